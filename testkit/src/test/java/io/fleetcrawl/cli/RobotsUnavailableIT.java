package io.fleetcrawl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
 * A host whose robots.txt cannot be had yet, or cannot be followed, holds its URLs back only as
 * long as RFC 9309 asks, end to end against real local servers: a robots.txt that answers 503 once
 * makes the page wait for the unreachable verdict to expire (30 s) and then be fetched, and a
 * robots.txt that redirects to a Location no URL can be made of reads as no robots.txt at all.
 * Until December 2026 the first left the page's lease unsettled (an exception lost in a callback)
 * until it expired, 210 s later; the test's timeout is well short of that.
 */
@Tag("integration")
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class RobotsUnavailableIT {
  private static final String ONCE_DOWN = "127.0.0.74";
  private static final String BAD_REDIRECT = "127.0.0.75";

  @TempDir Path dir;
  private Vertx vertx;
  private final AtomicInteger robotsAsked = new AtomicInteger();
  private final List<String> origins = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    for (String host : List.of(ONCE_DOWN, BAD_REDIRECT)) {
      HttpServer server =
          vertx
              .createHttpServer()
              .requestHandler(req -> handle(host, req))
              .listen(0, host)
              .await(10, TimeUnit.SECONDS);
      origins.add("http://" + host + ":" + server.actualPort());
    }
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(30, TimeUnit.SECONDS);
  }

  private void handle(String host, HttpServerRequest req) {
    if (req.path().equals("/robots.txt")) {
      if (host.equals(BAD_REDIRECT)) {
        req.response().setStatusCode(302).putHeader("Location", "http://[bad").end();
      } else if (robotsAsked.getAndIncrement() == 0) {
        req.response().setStatusCode(503).end();
      } else {
        req.response()
            .putHeader("Content-Type", "text/plain")
            .end("User-agent: *\nDisallow: /private/\n");
      }
      return;
    }
    req.response()
        .putHeader("Content-Type", "text/html")
        .end("<html><body><p>" + host + req.path() + "</p></body></html>");
  }

  @Test
  void aPageWaitsOutAnUnreachableRobotsTxtAndAnUnfollowableRedirectAllowsAll() throws Exception {
    Path seeds = dir.resolve("seeds.txt");
    Files.write(seeds, List.of(origins.get(0) + "/", origins.get(1) + "/"));
    Path out = dir.resolve("out");
    long started = System.nanoTime();
    Map<String, JsonNode> results = InProcessCrawl.crawl(seeds.toString(), out);
    long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);

    JsonNode waited = results.get(origins.get(0) + "/");
    assertEquals(200, waited.path("status").asInt(), "fetched once robots.txt answered: " + waited);
    assertEquals(2, waited.path("attempts").asInt(), "one retry, for robots.txt: " + waited);
    assertEquals(2, robotsAsked.get(), "robots.txt asked for again once its verdict expired");
    JsonNode allowed = results.get(origins.get(1) + "/");
    assertEquals(200, allowed.path("status").asInt(), "allowed at once: " + allowed);
    assertEquals(1, allowed.path("attempts").asInt(), allowed.toString());
    assertEquals(2, results.size(), results.keySet().toString());
    // The unreachable verdict holds 30 s; a lease left to expire would take 210 s.
    assertTrue(seconds < 100, "the crawl took " + seconds + " s");
  }
}
