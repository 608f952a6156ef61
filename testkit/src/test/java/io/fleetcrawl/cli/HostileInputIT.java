package io.fleetcrawl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fleetcrawl.bus.Json;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A crawl fed what strangers publish still drains: a seeds file with a line that is not UTF-8, a
 * link and a seed to port 99999, and a robots.txt asking for a 100,000-second crawl-delay.
 */
@Tag("integration")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class HostileInputIT {
  private static final String HOST = "127.0.0.41";
  private static final int PAGES = 4;
  private static final long CAP_MS = 200;

  @TempDir Path dir;

  @Test
  void crawlOfBadSeedsOddPortsAndAHugeCrawlDelayDrainsWithReasons() throws Exception {
    Vertx vertx = Vertx.vertx();
    Queue<long[]> pageTimes = new ConcurrentLinkedQueue<>();
    try {
      int[] port = {0};
      HttpServer server =
          vertx
              .createHttpServer()
              .requestHandler(
                  req -> {
                    if (req.path().equals("/robots.txt")) {
                      req.response().end("User-agent: *\nCrawl-delay: 100000\n");
                      return;
                    }
                    pageTimes.add(new long[] {System.nanoTime()});
                    StringBuilder html = new StringBuilder("<html><body>");
                    if (req.path().equals("/")) {
                      for (int i = 1; i <= PAGES; i++) {
                        html.append("<a href=\"/p").append(i).append("\">p</a>");
                      }
                      html.append("<a href=\"http://" + HOST + ":99999/\">bad port</a>");
                      html.append("<a href=\"http://" + HOST + ":0/zero\">port 0</a>");
                    }
                    req.response()
                        .putHeader("Content-Type", "text/html")
                        .end(html.append("</body></html>").toString());
                  })
              .listen(0, HOST)
              .await(10, TimeUnit.SECONDS);
      port[0] = server.actualPort();
      Path seeds = dir.resolve("seeds.txt");
      ByteArrayOutputStream file = new ByteArrayOutputStream();
      file.write(("http://" + HOST + ":" + port[0] + "/\n").getBytes(StandardCharsets.UTF_8));
      file.write(new byte[] {'h', 't', 't', 'p', ':', '/', '/', (byte) 0xff, (byte) 0xfe, '\n'});
      file.write(("http://" + HOST + ":99999/\n").getBytes(StandardCharsets.UTF_8));
      Files.write(seeds, file.toByteArray());
      Path out = dir.resolve("out");

      ByteArrayOutputStream err = new ByteArrayOutputStream();
      PrintStream original = System.err;
      int status;
      long start = System.nanoTime();
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      try {
        status =
            Fleetcrawl.commandLine()
                .execute(
                    "crawl",
                    "--seeds",
                    seeds.toString(),
                    "--out",
                    out.toString(),
                    "--allow-private-networks",
                    "--no-progress",
                    "--no-warc",
                    "--max-crawl-delay-ms",
                    "" + CAP_MS);
      } finally {
        System.setErr(original);
      }
      long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
      String messages = err.toString(StandardCharsets.UTF_8);
      assertEquals(0, status, messages);
      assertTrue(seconds < 60, "took " + seconds + " s");
      assertTrue(messages.contains("seeds.txt line 2: not valid UTF-8"), messages);
      assertTrue(messages.contains("port 99999 is not 1..65535"), messages);

      List<JsonNode> results = new ArrayList<>();
      for (String line : Files.readAllLines(out.resolve("pages.jsonl"))) {
        results.add(Json.MAPPER.readTree(line));
      }
      assertEquals(PAGES + 1, results.size(), "results: " + results);
      assertTrue(results.stream().allMatch(r -> r.path("status").asInt() == 200), "" + results);

      // The host asked for 100,000 s between requests: it is crawled at the cap, not dropped.
      List<Long> times = pageTimes.stream().map(t -> t[0]).sorted().toList();
      assertEquals(PAGES + 1, times.size());
      for (int i = 1; i < times.size(); i++) {
        long gapMs = TimeUnit.NANOSECONDS.toMillis(times.get(i) - times.get(i - 1));
        assertTrue(gapMs >= CAP_MS - 20, "requests " + gapMs + " ms apart");
      }
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }
}
