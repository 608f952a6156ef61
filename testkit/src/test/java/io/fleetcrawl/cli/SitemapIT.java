package io.fleetcrawl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sitemaps against a real local site: robots.txt names a sitemap index and a text sitemap; the
 * index lists a gzip sitemap (served as application/octet-stream) and an index that lists itself
 * and another sitemap. With {@code --sitemaps} every listed page is crawled though no link leads to
 * it, robots.txt and scope still apply to what sitemaps list, and the nested index is not followed;
 * without it, the sitemaps are not fetched.
 */
@Tag("integration")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SitemapIT {
  private static final String HOST = "127.0.0.91";
  private static final String OTHER = "127.0.0.92";

  @TempDir Path dir;
  private Vertx vertx;
  private String origin;
  private String other;
  private final Queue<String> requests = new ConcurrentLinkedQueue<>();

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    HttpServer server =
        vertx
            .createHttpServer()
            .requestHandler(this::handle)
            .listen(0, HOST)
            .await(10, TimeUnit.SECONDS);
    origin = "http://" + HOST + ":" + server.actualPort();
    HttpServer elsewhere =
        vertx
            .createHttpServer()
            .requestHandler(
                req -> {
                  requests.add("other" + req.path());
                  req.response().end("elsewhere");
                })
            .listen(0, OTHER)
            .await(10, TimeUnit.SECONDS);
    other = "http://" + OTHER + ":" + elsewhere.actualPort();
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(30, TimeUnit.SECONDS);
  }

  private void handle(HttpServerRequest req) {
    String path = req.path();
    requests.add(path);
    switch (path) {
      case "/robots.txt" ->
          req.response()
              .end(
                  "User-agent: *\nDisallow: /private/\n"
                      + "Sitemap: "
                      + origin
                      + "/sitemap_index.xml\n"
                      + "Sitemap: "
                      + origin
                      + "/list.txt\n");
      case "/sitemap_index.xml" ->
          xml(req, index(origin + "/sitemap1.xml.gz", origin + "/nested.xml"));
      case "/nested.xml" -> xml(req, index(origin + "/nested.xml", origin + "/deep.xml"));
      case "/sitemap1.xml.gz" -> {
        String urlset =
            "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">"
                + loc(origin + "/a")
                + loc(origin + "/b")
                + loc(origin + "/private/x")
                + loc(other + "/outside")
                + "</urlset>";
        req.response()
            .putHeader("Content-Type", "application/octet-stream")
            .end(Buffer.buffer(gzip(urlset)));
      }
      case "/list.txt" ->
          req.response()
              .putHeader("Content-Type", "text/plain")
              .end(origin + "/c\n" + origin + "/d\n");
      default ->
          req.response()
              .putHeader("Content-Type", "text/html")
              .end("<html><body><p>" + path + "</p></body></html>");
    }
  }

  private static String loc(String url) {
    return "<url><loc>" + url + "</loc></url>";
  }

  private static String index(String... sitemaps) {
    StringBuilder b =
        new StringBuilder("<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">");
    for (String s : sitemaps) {
      b.append("<sitemap><loc>").append(s).append("</loc></sitemap>");
    }
    return b.append("</sitemapindex>").toString();
  }

  private static void xml(HttpServerRequest req, String body) {
    req.response().putHeader("Content-Type", "application/xml").end(body);
  }

  private static byte[] gzip(String text) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
        gz.write(text.getBytes(StandardCharsets.UTF_8));
      }
      return out.toByteArray();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void sitemapsNamedByRobotsTxtSeedTheCrawlWithinScopeAndRobotsAndIndexesDoNotNest()
      throws Exception {
    Map<String, JsonNode> results = crawl("on", "--sitemaps");
    for (String page : List.of("/a", "/b", "/c", "/d")) {
      assertEquals(
          200, results.get(origin + page).path("status").asInt(), page + " " + results.keySet());
      assertEquals(1, count(page), page);
    }
    assertEquals("urlset", results.get(origin + "/sitemap1.xml.gz").path("sitemap").asText());
    assertEquals(4, results.get(origin + "/sitemap1.xml.gz").path("links").asInt());
    assertEquals("index", results.get(origin + "/sitemap_index.xml").path("sitemap").asText());
    assertTrue(
        results.get(origin + "/nested.xml").path("sitemap").asText().startsWith("index inside"),
        "" + results.get(origin + "/nested.xml"));
    assertEquals(0, count("/deep.xml"), "an index inside an index is not followed");
    assertEquals(1, count("/nested.xml"), "listed twice, fetched once");
    // What a sitemap lists meets robots.txt and the scope like any link.
    assertEquals(0, count("/private/x"));
    assertEquals(
        "excluded: robots.txt disallows",
        results.get(origin + "/private/x").path("error").asText());
    assertEquals(0, requests.stream().filter(r -> r.startsWith("other")).count(), "" + requests);
  }

  @Test
  void withoutTheOptionSitemapsAreNotFetched() throws Exception {
    Map<String, JsonNode> results = crawl("off");
    assertEquals(List.of(origin + "/"), new ArrayList<>(results.keySet()));
    assertEquals(0, count("/sitemap_index.xml"));
  }

  private long count(String path) {
    return requests.stream().filter(path::equals).count();
  }

  private Map<String, JsonNode> crawl(String out, String... extra) throws Exception {
    return InProcessCrawl.crawl(origin + "/", dir.resolve(out), extra);
  }
}
