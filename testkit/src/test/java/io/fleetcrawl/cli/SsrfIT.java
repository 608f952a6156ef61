package io.fleetcrawl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fleetcrawl.bus.Json;
import io.fleetcrawl.config.CrawlConfig;
import io.fleetcrawl.config.FetchConfig;
import io.fleetcrawl.config.FollowRules;
import io.fleetcrawl.config.OutputConfig;
import io.fleetcrawl.config.PoolConfig;
import io.fleetcrawl.config.ScopeMode;
import io.fleetcrawl.network.NetworkPolicy;
import io.fleetcrawl.node.ClusterSettings;
import io.fleetcrawl.testing.TestDns;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Server-side request forgery, tried every way a stranger's page can: links, seeds and 301, 302,
 * 307 and 308 redirects to internal addresses and to names that resolve to them, a robots.txt that
 * redirects inward, and a name that answers an allowed address first and an internal one next (DNS
 * rebinding). Canaries listen on the internal addresses and count every TCP connection they accept:
 * there must be none. Only the site's own address is allowed (--allow-network).
 */
@Tag("integration")
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class SsrfIT {
  private static final String SITE = "127.0.0.51";
  private static final String INTERNAL = "127.0.0.66";

  @TempDir Path dir;
  private Vertx vertx;
  private int port;
  private final List<Canary> canaries = new ArrayList<>();
  private TestDns dns;
  private final AtomicInteger rebindAnswers = new AtomicInteger();

  /** A listening socket that counts the connections it accepts and closes them. */
  private static final class Canary implements AutoCloseable {
    final ServerSocket socket;
    final AtomicInteger accepted = new AtomicInteger();

    Canary(String host, int port) throws Exception {
      socket = new ServerSocket();
      socket.bind(new InetSocketAddress(InetAddress.getByName(host), port));
      Thread t =
          new Thread(
              () -> {
                while (!socket.isClosed()) {
                  try (Socket s = socket.accept()) {
                    accepted.incrementAndGet();
                  } catch (Exception e) {
                    // closed
                  }
                }
              },
              "canary-" + host);
      t.setDaemon(true);
      t.start();
    }

    @Override
    public void close() throws Exception {
      socket.close();
    }
  }

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    HttpServer server =
        vertx
            .createHttpServer()
            .requestHandler(this::site)
            .listen(0, SITE)
            .await(10, TimeUnit.SECONDS);
    port = server.actualPort();
    // The internal address listens on the site's port too, so a rebinding or a literal link with
    // the site's port would land on a canary rather than on a closed port.
    canaries.add(new Canary(INTERNAL, port));
    canaries.add(new Canary("127.0.0.1", 0));
    // TTL 0: every look-up asks again, which is what a rebinding attacker relies on.
    dns = TestDns.start(this::answer, 0);
  }

  @AfterEach
  void stop() throws Exception {
    for (Canary c : canaries) {
      c.close();
    }
    dns.close();
    vertx.close().await(30, TimeUnit.SECONDS);
  }

  private String canary2() {
    return "127.0.0.1:" + canaries.get(1).socket.getLocalPort();
  }

  private void site(HttpServerRequest req) {
    String host = req.authority() == null ? "" : req.authority().host();
    String p = req.path();
    if (host.equals("robots.test") && p.equals("/robots.txt")) {
      req.response()
          .setStatusCode(301)
          .putHeader("Location", "http://canary.test:" + port + "/robots.txt")
          .end();
      return;
    }
    if (host.equals("robots2.test") && p.equals("/robots.txt")) {
      req.response()
          .setStatusCode(302)
          .putHeader("Location", "http://" + INTERNAL + ":" + port + "/robots.txt")
          .end();
      return;
    }
    if (host.equals("site.test") && p.equals("/robots.txt")) {
      // Sitemaps are fetched like pages, so they meet the same checks: one named by an internal
      // literal, one by a name that resolves inward, and one of the site's own that lists both.
      req.response()
          .end(
              "User-agent: *\nAllow: /\n"
                  + "Sitemap: http://"
                  + INTERNAL
                  + ":"
                  + port
                  + "/sitemap-literal.xml\n"
                  + "Sitemap: http://canary.test:"
                  + port
                  + "/sitemap-name.xml\n"
                  + "Sitemap: http://site.test:"
                  + port
                  + "/sitemap.txt\n");
      return;
    }
    if (p.equals("/sitemap.txt")) {
      req.response()
          .putHeader("Content-Type", "text/plain")
          .end(
              "http://"
                  + INTERNAL
                  + ":"
                  + port
                  + "/from-sitemap\n"
                  + "http://canary.test:"
                  + port
                  + "/from-sitemap-name\n"
                  + "http://"
                  + canary2()
                  + "/from-sitemap2\n");
      return;
    }
    if (p.equals("/robots.txt")) {
      req.response().setStatusCode(404).end();
      return;
    }
    Map<String, String> redirects = new HashMap<>();
    redirects.put("/r301", "http://" + INTERNAL + ":" + port + "/a");
    redirects.put("/r302", "http://canary.test:" + port + "/b");
    redirects.put("/r307", "http://" + canary2() + "/c");
    redirects.put("/r308", "http://canary.test:" + port + "/d");
    redirects.put("/r301name", "http://localhost:" + port + "/e");
    if (redirects.containsKey(p)) {
      int code = Integer.parseInt(p.substring(2, 5));
      req.response().setStatusCode(code).putHeader("Location", redirects.get(p)).end();
      return;
    }
    StringBuilder html = new StringBuilder("<html><body>");
    // A meta refresh is followed like a redirect, so it must meet the same checks.
    if (p.equals("/refresh-literal")) {
      html.append("<meta http-equiv=\"refresh\" content=\"0; url=http://")
          .append(INTERNAL)
          .append(':')
          .append(port)
          .append("/refreshed\">");
    }
    if (p.equals("/refresh-name")) {
      html.append("<meta http-equiv=\"refresh\" content=\"0; url=http://canary.test:")
          .append(port)
          .append("/refreshed-name\">");
    }
    if (p.equals("/")) {
      for (String link :
          List.of(
              "/r301",
              "/r302",
              "/r307",
              "/r308",
              "/r301name",
              "/refresh-literal",
              "/refresh-name",
              "http://canary.test:" + port + "/link",
              "http://" + INTERNAL + ":" + port + "/literal",
              "http://" + canary2() + "/literal2",
              "http://[::ffff:127.0.0.66]:" + port + "/mapped",
              "http://robots.test:" + port + "/page",
              "http://robots2.test:" + port + "/page",
              "http://rebind.test:" + port + "/one",
              "http://rebind.test:" + port + "/two")) {
        html.append("<a href=\"").append(link).append("\">x</a>\n");
      }
    }
    req.response().putHeader("Content-Type", "text/html").end(html + "</body></html>");
  }

  /** site.test, robots.test, robots2.test: the site; canary.test: internal; rebind.test: both. */
  private byte[] answer(String name) {
    byte[] site = {127, 0, 0, 51};
    byte[] internal = {127, 0, 0, 66};
    return switch (name) {
      case "site.test.", "robots.test.", "robots2.test." -> site;
      case "canary.test." -> internal;
      case "rebind.test." -> rebindAnswers.getAndIncrement() == 0 ? site : internal;
      default -> null;
    };
  }

  @Test
  void noLinkRedirectSeedRobotsOrRebindingReachesAnInternalAddress() throws Exception {
    CrawlConfig config =
        new CrawlConfig(
                "ssrf",
                ScopeMode.ANY,
                List.of(),
                List.of(),
                5,
                Long.MAX_VALUE,
                NetworkPolicy.of(false, List.of(SITE + "/32")),
                true,
                CrawlConfig.DEFAULT_USER_AGENT,
                1)
            .withFollow(new FollowRules(5, false, true, FollowRules.DEFAULT_MAX_SITEMAP_BYTES));
    PoolConfig pool =
        new PoolConfig.Builder()
            .dnsServers(List.of(dns.address()))
            .dnsTtlSeconds(0)
            .dnsNegativeTtlSeconds(0)
            .build();
    FetchConfig fetch = new FetchConfig(1, 64, 4, 10_000, 1 << 20, 30_000, pool, 0);
    Path out = dir.resolve("out");
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    new CrawlRun(
            ClusterSettings.bundled(),
            config,
            fetch,
            OutputConfig.defaults(),
            out,
            new PrintStream(err, true),
            false)
        .run(
            List.of(
                "http://site.test:" + port + "/",
                "http://canary.test:" + port + "/seed",
                "http://" + INTERNAL + ":" + port + "/seed-literal"));

    Map<String, JsonNode> results = new HashMap<>();
    for (String line : Files.readAllLines(out.resolve("pages.jsonl"))) {
      JsonNode r = Json.MAPPER.readTree(line);
      results.put(r.get("url").asText(), r);
    }
    for (Canary c : canaries) {
      assertEquals(
          0,
          c.accepted.get(),
          "connections to " + c.socket.getLocalSocketAddress() + "; results " + results.keySet());
    }
    // The names that lead inside end with the reason docs/USAGE.md promises, not a timeout.
    for (String url :
        List.of(
            "http://canary.test:" + port + "/seed",
            "http://canary.test:" + port + "/link",
            "http://canary.test:" + port + "/b",
            "http://canary.test:" + port + "/d",
            "http://canary.test:" + port + "/refreshed-name",
            "http://canary.test:" + port + "/sitemap-name.xml",
            "http://canary.test:" + port + "/from-sitemap-name")) {
      JsonNode r = results.get(url);
      assertTrue(r != null, url + " has no result: " + results.keySet());
      assertTrue(
          r.path("error")
              .asText()
              .startsWith("private-network: canary.test resolves to an internal"),
          url + " -> " + r);
    }
    JsonNode sitemap = results.get("http://site.test:" + port + "/sitemap.txt");
    assertEquals("urlset", sitemap.path("sitemap").asText(), "" + sitemap);
    assertTrue(
        !results.containsKey("http://" + INTERNAL + ":" + port + "/from-sitemap")
            && !results.containsKey("http://" + INTERNAL + ":" + port + "/sitemap-literal.xml"),
        "internal literals from robots.txt and a sitemap are refused at intake: "
            + results.keySet());
    JsonNode refreshLiteral = results.get("http://site.test:" + port + "/refresh-literal");
    assertTrue(
        refreshLiteral.path("redirectRefused").asText().startsWith("PRIVATE_NETWORK"),
        "" + refreshLiteral);
    // A host whose robots.txt redirects inward ends at once, with the reason, not as unreachable.
    for (String host : List.of("robots.test", "robots2.test")) {
      JsonNode r = results.get("http://" + host + ":" + port + "/page");
      assertTrue(
          r != null
              && r.path("error").asText().startsWith("private-network: ")
              && r.path("error").asText().endsWith(", where robots.txt redirects"),
          host + " -> " + r);
    }
    // rebind.test answered the site's address for its robots.txt, then the internal one.
    for (String page : List.of("/one", "/two")) {
      JsonNode r = results.get("http://rebind.test:" + port + page);
      assertTrue(
          r != null
              && r.path("error")
                  .asText()
                  .startsWith("private-network: rebind.test resolves to an internal"),
          page + " -> " + r);
    }
    assertTrue(rebindAnswers.get() >= 2, "rebind.test was asked again: " + rebindAnswers.get());
  }
}
