package io.fleetcrawl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Redirects, meta refresh, canonical links and robots directives, end to end against three real
 * local hosts: a seed that redirects to another host widens the scope to it, a redirect loop and an
 * endless redirect chain end, a meta refresh is followed like a redirect, canonical links are
 * recorded (and followed when asked), {@code noindex}/{@code nofollow} in meta tags and {@code
 * X-Robots-Tag} are recorded and honoured.
 */
@Tag("integration")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CrawlSemanticsIT {
  private static final String SEED_HOST = "127.0.0.71";
  private static final String SITE_HOST = "127.0.0.72";
  private static final String OTHER_HOST = "127.0.0.73";

  @TempDir Path dir;
  private Vertx vertx;
  private final Queue<String> requests = new ConcurrentLinkedQueue<>();
  private final Map<String, String> origins = new HashMap<>();

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    for (String host : List.of(SEED_HOST, SITE_HOST, OTHER_HOST)) {
      HttpServer server =
          vertx
              .createHttpServer()
              .requestHandler(req -> handle(host, req))
              .listen(0, host)
              .await(10, TimeUnit.SECONDS);
      origins.put(host, "http://" + host + ":" + server.actualPort());
    }
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(30, TimeUnit.SECONDS);
  }

  private void handle(String host, HttpServerRequest req) {
    String path = req.path();
    requests.add(host + path);
    if (path.equals("/robots.txt")) {
      req.response().setStatusCode(404).end();
      return;
    }
    if (host.equals(SEED_HOST) && path.equals("/")) {
      redirect(req, 301, origins.get(SITE_HOST) + "/home");
      return;
    }
    if (!host.equals(SITE_HOST)) {
      html(req, "<p>elsewhere</p>");
      return;
    }
    if (path.startsWith("/chain/")) {
      int n = Integer.parseInt(path.substring("/chain/".length()));
      redirect(req, 302, "/chain/" + (n + 1));
      return;
    }
    switch (path) {
      case "/home" ->
          html(
              req,
              links(
                  "/loop1",
                  "/chain/0",
                  "/refresh",
                  "/canon",
                  "/noindex",
                  "/header-nofollow",
                  "/doc.pdf",
                  "/away",
                  origins.get(OTHER_HOST) + "/linked"));
      case "/loop1" -> redirect(req, 302, "/loop2");
      case "/loop2" -> redirect(req, 302, "/loop1");
      case "/away" -> redirect(req, 302, origins.get(OTHER_HOST) + "/redirected");
      case "/refresh" ->
          html(req, "<meta http-equiv=\"refresh\" content=\"0; url=/refreshed\"><p>moved</p>");
      case "/canon" ->
          html(req, "<link rel=\"canonical\" href=\"/canonical-target\">" + links("/plain"));
      case "/noindex" ->
          html(req, "<meta name=\"robots\" content=\"noindex, nofollow\">" + links("/hidden"));
      case "/header-nofollow" -> {
        req.response()
            .putHeader("X-Robots-Tag", (Iterable<String>) List.of("otherbot: noindex", "nofollow"))
            .putHeader("Content-Type", "text/html")
            .end("<html><body>" + links("/hidden2") + "</body></html>");
      }
      case "/doc.pdf" ->
          req.response()
              .putHeader("Content-Type", "application/pdf")
              .putHeader("Link", "</doc>; rel=\"canonical\"")
              .putHeader("X-Robots-Tag", "noindex")
              .end("%PDF-1.4 not really");
      default -> html(req, "<p>" + path + "</p>");
    }
  }

  private static void redirect(HttpServerRequest req, int status, String location) {
    req.response().setStatusCode(status).putHeader("Location", location).end();
  }

  private static void html(HttpServerRequest req, String body) {
    req.response()
        .putHeader("Content-Type", "text/html; charset=utf-8")
        .end("<!doctype html><html><body>" + body + "</body></html>");
  }

  private static String links(String... hrefs) {
    StringBuilder b = new StringBuilder();
    for (String href : hrefs) {
      b.append("<a href=\"").append(href).append("\">").append(href).append("</a>\n");
    }
    return b.toString();
  }

  @Test
  void redirectsRefreshesCanonicalsAndRobotsDirectivesAreFollowedRecordedAndHonoured()
      throws Exception {
    Map<String, JsonNode> results = crawl("out");
    String site = origins.get(SITE_HOST);

    // The seed's redirect to another host brought that host into the scope.
    assertEquals(
        site + "/home", results.get(origins.get(SEED_HOST) + "/").path("redirect").asText());
    assertEquals(
        200, results.get(site + "/home").path("status").asInt(), results.keySet().toString());

    // A loop ends at the first URL already admitted, and the result says so.
    assertTrue(
        results.get(site + "/loop2").path("redirectRefused").asText().startsWith("DUPLICATE"),
        results.get(site + "/loop2").toString());
    assertEquals(1, count(SITE_HOST + "/loop1"));
    assertEquals(1, count(SITE_HOST + "/loop2"));

    // An endless chain ends after --max-redirects (5) redirects in a row from its first URL.
    for (int n = 0; n <= 5; n++) {
      assertEquals(1, count(SITE_HOST + "/chain/" + n), "chain/" + n);
    }
    assertEquals(0, count(SITE_HOST + "/chain/6"));
    assertTrue(
        results
            .get(site + "/chain/5")
            .path("redirectRefused")
            .asText()
            .contains("--max-redirects 5"),
        results.get(site + "/chain/5").toString());

    // A redirect off the scope is not followed, and the result says why.
    assertTrue(
        results.get(site + "/away").path("redirectRefused").asText().startsWith("OUT_OF_SCOPE"),
        results.get(site + "/away").toString());
    assertEquals(0, requests.stream().filter(r -> r.startsWith(OTHER_HOST)).count(), "" + requests);

    // A meta refresh is followed like a redirect.
    assertEquals(site + "/refreshed", results.get(site + "/refresh").path("refresh").asText());
    assertEquals(200, results.get(site + "/refreshed").path("status").asInt());

    // Canonical links are recorded, from the page or the Link header, and not followed by default.
    assertEquals(
        site + "/canonical-target", results.get(site + "/canon").path("canonical").asText());
    assertEquals(0, count(SITE_HOST + "/canonical-target"));
    assertEquals(site + "/doc", results.get(site + "/doc.pdf").path("canonical").asText());

    // Robots directives: recorded; nofollow (meta or header) keeps the page's links unfollowed.
    assertEquals(
        List.of("noindex", "nofollow"), strings(results.get(site + "/noindex").path("robots")));
    assertEquals(0, count(SITE_HOST + "/hidden"));
    assertEquals(
        List.of("nofollow"), strings(results.get(site + "/header-nofollow").path("robots")));
    assertEquals(0, count(SITE_HOST + "/hidden2"));
    assertEquals(List.of("noindex"), strings(results.get(site + "/doc.pdf").path("robots")));
    assertNull(results.get(site + "/home").get("robots"));
    assertEquals(200, results.get(site + "/plain").path("status").asInt());
  }

  @Test
  void canonicalLinksAreFollowedWhenAsked() throws Exception {
    Map<String, JsonNode> results = crawl("canonical", "--follow-canonical");
    String site = origins.get(SITE_HOST);
    assertEquals(200, results.get(site + "/canonical-target").path("status").asInt());
    assertEquals(1, count(SITE_HOST + "/canonical-target"));
    assertFalse(results.containsKey(site + "/chain/6"));
  }

  private long count(String hostPath) {
    return requests.stream().filter(hostPath::equals).count();
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new java.util.ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  private Map<String, JsonNode> crawl(String out, String... extra) throws Exception {
    return InProcessCrawl.crawl(origins.get(SEED_HOST) + "/", dir.resolve(out), extra);
  }
}
