package io.fleetcrawl.ratecontrol;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Learned budgets against Debian's nginx with {@code limit_req} (100 r/s, burst 10, nodelay, status
 * 429), the rate limiter sites really use: 429s stay rare once converged and no URL is given up;
 * the rate reached is reported. nginx's access log is the judge.
 */
@Tag("integration")
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class NginxRateLimitIT {
  private static final int PAGES = 3_000;
  private static final double LIMIT = 100;
  private static final String HOST = "127.0.1.3";

  @TempDir Path dir;
  private Process nginx;

  @AfterEach
  void stopNginx() throws Exception {
    if (nginx != null) {
      nginx.destroy();
      if (!nginx.waitFor(10, TimeUnit.SECONDS)) {
        nginx.destroyForcibly();
      }
    }
  }

  private int startNginx() throws Exception {
    Path www = Files.createDirectories(dir.resolve("www/p"));
    for (int n = 0; n < PAGES; n++) {
      StringBuilder html = new StringBuilder("<html><body>");
      for (int c = 5 * n + 1; c <= 5 * n + 5 && c < PAGES; c++) {
        html.append("<a href=\"/p/").append(c).append("\">").append(c).append("</a>");
      }
      Files.writeString(www.resolve(Integer.toString(n)), html + "</body></html>");
    }
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
      port = s.getLocalPort();
    }
    Path conf = dir.resolve("nginx.conf");
    Files.writeString(
        conf,
        String.join(
            "\n",
            "daemon off;",
            "master_process off;",
            "worker_processes 1;",
            "pid " + dir.resolve("nginx.pid") + ";",
            "error_log " + dir.resolve("error.log") + " warn;",
            "events { worker_connections 1024; }",
            "http {",
            "  log_format rl '$msec $status';",
            "  access_log " + dir.resolve("access.log") + " rl;",
            "  client_body_temp_path " + dir.resolve("tmp") + ";",
            "  proxy_temp_path " + dir.resolve("tmp") + ";",
            "  fastcgi_temp_path " + dir.resolve("tmp") + ";",
            "  uwsgi_temp_path " + dir.resolve("tmp") + ";",
            "  scgi_temp_path " + dir.resolve("tmp") + ";",
            "  limit_req_zone $server_name zone=site:1m rate=100r/s;",
            "  server {",
            "    listen " + HOST + ":" + port + ";",
            "    server_name site;",
            "    root " + dir.resolve("www") + ";",
            "    default_type text/html;",
            "    location = /robots.txt { return 404; }",
            "    location / {",
            "      limit_req zone=site burst=10 nodelay;",
            "      limit_req_status 429;",
            "    }",
            "  }",
            "}",
            ""));
    Files.createDirectories(dir.resolve("tmp"));
    nginx =
        new ProcessBuilder(
                "/usr/sbin/nginx",
                "-p",
                dir.toString(),
                "-c",
                conf.toString(),
                "-e",
                dir.resolve("error.log").toString())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("nginx.out").toFile())
            .start();
    long deadline = System.currentTimeMillis() + 10_000;
    while (true) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(HOST, port), 200);
        return port;
      } catch (java.io.IOException e) {
        assertTrue(nginx.isAlive(), "nginx exited: " + Files.readString(dir.resolve("nginx.out")));
        assertTrue(System.currentTimeMillis() < deadline, "nginx did not start listening");
        Thread.sleep(50);
      }
    }
  }

  @Test
  void learnedBudgetKeeps429sRareUnderNginxLimitReqAndGivesNothingUp() throws Exception {
    int port = startNginx();
    RateLimitedCrawl.crawlEveryPage(
        dir.resolve("out"), "http://" + HOST + ":" + port + "/p/0", PAGES);

    // Per second of nginx's clock: answers 200 and 429, robots.txt (404) aside.
    TreeMap<Long, long[]> perSecond = new TreeMap<>();
    for (String entry : Files.readAllLines(dir.resolve("access.log"))) {
      String[] f = entry.split(" ");
      long second = (long) Double.parseDouble(f[0]);
      long[] counts = perSecond.computeIfAbsent(second, s -> new long[2]);
      if (f[1].equals("200")) {
        counts[0]++;
      } else if (f[1].equals("429")) {
        counts[1]++;
      }
    }
    RateLimitedCrawl.Judged judged = RateLimitedCrawl.Judged.of(perSecond, perSecond.firstKey());
    double goodput = judged.goodput();
    double share = judged.share();
    String figures =
        String.format(
            "nginx limit_req 100 r/s burst 10: %d s; after 10 s: %.1f pages/s (%.0f%% of the"
                + " permitted rate), 429 share %.2f%%",
            judged.seconds(), goodput, 100 * goodput / LIMIT, 100 * share);
    System.out.println(figures);
    Files.writeString(Path.of("target", "NginxRateLimitIT.txt"), figures + "\n");
    // The goodput (93-99% of the permitted rate in full CI runs) is reported; 429s and nothing
    // given up are what this test holds the crawl to.
    assertTrue(share <= 0.02, figures);
    assertTrue(goodput > 0, figures);
  }
}
