package io.fleetcrawl.robots;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fleetcrawl.config.FetchConfig;
import io.fleetcrawl.config.PoolConfig;
import io.fleetcrawl.metrics.PoolMetrics;
import io.fleetcrawl.pool.ClientPool;
import io.fleetcrawl.pool.FetchOutcome;
import io.fleetcrawl.pool.PageFetcher;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.junit5.VertxExtension;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** RFC 9309 decisions against a real HTTP server whose robots.txt answer each test chooses. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class RobotsCacheTest {
  private final Map<String, Integer> statusByHost = new ConcurrentHashMap<>();
  private final AtomicInteger robotsRequests = new AtomicInteger();
  private HttpServer server;
  private RobotsCache cache;
  private ClientPool pool;

  @BeforeEach
  void start(Vertx vertx) throws Exception {
    server =
        vertx
            .createHttpServer()
            .requestHandler(
                req -> {
                  robotsRequests.incrementAndGet();
                  String path = req.path();
                  if (path.equals("/moved/robots.txt")) {
                    req.response().end("User-agent: *\nDisallow: /moved-away/\n");
                    return;
                  }
                  int status = statusByHost.getOrDefault(req.authority().host(), 200);
                  if (status == 302) {
                    // A Location no URL can be made of.
                    req.response().setStatusCode(302).putHeader("Location", "http://[bad").end();
                  } else if (status == 301) {
                    req.response()
                        .setStatusCode(301)
                        .putHeader("Location", "/moved/robots.txt")
                        .end();
                  } else if (status == 200) {
                    req.response()
                        .putHeader("Content-Type", "text/plain")
                        .end(
                            "User-agent: fleetcrawl\nDisallow: /secret/\nCrawl-delay: 2\n\nUser-agent: *\nDisallow: /\n");
                  } else {
                    req.response().setStatusCode(status).end();
                  }
                })
            .listen(0, "127.0.0.1")
            .await(10, TimeUnit.SECONDS);
    pool =
        ClientPool.create(
            vertx,
            PoolConfig.defaults(),
            new PoolMetrics(new SimpleMeterRegistry(), 10),
            "w0",
            true);
    cache =
        new RobotsCache(
            vertx,
            new PageFetcher(vertx, pool, FetchConfig.defaults(), "fleetcrawl/test"),
            "fleetcrawl",
            System::currentTimeMillis);
  }

  @AfterEach
  void stop() throws Exception {
    pool.close().await(10, TimeUnit.SECONDS);
    server.close().await(10, TimeUnit.SECONDS);
  }

  private RobotsRules rulesFor(String host) throws Exception {
    return cache.rulesFor("http://" + host + ":" + server.actualPort()).await(10, TimeUnit.SECONDS);
  }

  private String url(String host, String path) {
    return "http://" + host + ":" + server.actualPort() + path;
  }

  @Test
  void groupForOurAgentAppliesWithItsCrawlDelay() throws Exception {
    RobotsRules rules = rulesFor("127.0.0.1");
    assertTrue(rules.allows(url("127.0.0.1", "/public")));
    assertFalse(rules.allows(url("127.0.0.1", "/secret/x")));
    assertEquals(2_000, rules.crawlDelayMs());
  }

  @Test
  void clientErrorMeansAllowAll() throws Exception {
    statusByHost.put("localhost", 404);
    assertTrue(rulesFor("localhost").allows(url("localhost", "/anything")));
  }

  @Test
  void serverErrorMeansUnreachableAndDisallowsEverything() throws Exception {
    statusByHost.put("localhost", 503);
    RobotsRules rules = rulesFor("localhost");
    assertTrue(rules.unreachable());
    assertFalse(rules.allows(url("localhost", "/anything")));
  }

  @Test
  void redirectsAreFollowed() throws Exception {
    statusByHost.put("localhost", 301);
    RobotsRules rules = rulesFor("localhost");
    assertFalse(rules.allows(url("localhost", "/moved-away/x")));
    assertTrue(rules.allows(url("localhost", "/other")));
  }

  @Test
  void aRedirectToNowhereUsableReadsAsNoRobotsTxtAndAllowsAll() throws Exception {
    statusByHost.put("localhost", 302);
    RobotsRules rules = rulesFor("localhost");
    assertFalse(rules.unreachable());
    assertTrue(rules.allows(url("localhost", "/anything")));
  }

  @Test
  void aPoolWithNoRoomGivesNoVerdictAndTheNextAskFetchesRobotsTxt(Vertx vertx) throws Exception {
    AtomicInteger asked = new AtomicInteger();
    HttpServer slow =
        vertx
            .createHttpServer()
            .requestHandler(
                req -> {
                  if (req.path().equals("/robots.txt")) {
                    asked.incrementAndGet();
                    req.response().end("User-agent: *\nDisallow: /private/\n");
                  } else {
                    vertx.setTimer(1_000, t -> req.response().end("slow"));
                  }
                })
            .listen(0, "127.0.0.1")
            .await(10, TimeUnit.SECONDS);
    // One connection, with at most one request waiting for it: a third finds no room.
    ClientPool small =
        ClientPool.create(
            vertx,
            new PoolConfig.Builder().http1MaxPerOrigin(1).maxWaitQueue(1).build(),
            new PoolMetrics(new SimpleMeterRegistry(), 10),
            "w1",
            true);
    try {
      PageFetcher fetcher =
          new PageFetcher(vertx, small, FetchConfig.defaults(), "fleetcrawl/test");
      RobotsCache robots = new RobotsCache(vertx, fetcher, "fleetcrawl", System::currentTimeMillis);
      String origin = "http://127.0.0.1:" + slow.actualPort();
      // In order on one event loop, as a worker asks: the two fetches are in the pool before
      // robots.txt is asked for.
      Context loop = vertx.getOrCreateContext();
      var asks = new CompletableFuture<List<Future<?>>>();
      loop.runOnContext(
          v ->
              asks.complete(
                  List.of(
                      fetcher.fetch(origin + "/a", 1_000),
                      fetcher.fetch(origin + "/b", 1_000),
                      robots.rulesFor(origin))));
      List<Future<?>> started = asks.get(10, TimeUnit.SECONDS);
      @SuppressWarnings("unchecked")
      var first = (Future<FetchOutcome>) started.get(0);
      Future<?> second = started.get(1);
      RobotsRules busy = (RobotsRules) started.get(2).await(10, TimeUnit.SECONDS);
      assertTrue(busy.busy(), "no verdict while the pool has no room");
      assertFalse(busy.allows(origin + "/page"));
      assertEquals(0, asked.get(), "robots.txt was not asked for");
      assertEquals(200, first.await(10, TimeUnit.SECONDS).status());
      // The waiting one may have been refused as well: the pool counts its queue its own way.
      second.await(10, TimeUnit.SECONDS);

      var again = new CompletableFuture<Future<RobotsRules>>();
      loop.runOnContext(v -> again.complete(robots.rulesFor(origin)));
      RobotsRules rules = again.get(10, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
      assertFalse(rules.busy(), "the busy answer was not kept");
      assertTrue(rules.allows(origin + "/page"));
      assertFalse(rules.allows(origin + "/private/x"));
      assertEquals(1, asked.get());
    } finally {
      small.close().await(10, TimeUnit.SECONDS);
      slow.close().await(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void unreachableServerMeansDisallow() throws Exception {
    RobotsRules rules = cache.rulesFor("http://127.0.0.1:1").await(20, TimeUnit.SECONDS);
    assertTrue(rules.unreachable());
  }

  /** Starts {@code count} servers on loopback answering every robots.txt with {@code body}. */
  private static java.util.List<HttpServer> servers(
      Vertx vertx, int count, String body, AtomicInteger requests) throws Exception {
    java.util.List<HttpServer> servers = new java.util.ArrayList<>();
    for (int i = 0; i < count; i++) {
      servers.add(
          vertx
              .createHttpServer()
              .requestHandler(
                  req -> {
                    requests.incrementAndGet();
                    req.response().putHeader("Content-Type", "text/plain").end(body);
                  })
              .listen(0, "127.0.0.1")
              .await(10, TimeUnit.SECONDS));
    }
    return servers;
  }

  private RobotsCache boundedCache(Vertx vertx, int maxOrigins, long maxWeight) {
    return new RobotsCache(
        vertx,
        new PageFetcher(vertx, pool, FetchConfig.defaults(), "fleetcrawl/test"),
        "fleetcrawl",
        System::currentTimeMillis,
        (url, outcome) -> {},
        maxOrigins,
        maxWeight);
  }

  private static RobotsRules ask(RobotsCache cache, HttpServer server) throws Exception {
    return cache.rulesFor("http://127.0.0.1:" + server.actualPort()).await(10, TimeUnit.SECONDS);
  }

  @Test
  void atMostTheBoundOfOriginsIsKeptAndTheLeastRecentlyAskedGoFirst(Vertx vertx) throws Exception {
    AtomicInteger requests = new AtomicInteger();
    java.util.List<HttpServer> origins =
        servers(vertx, 30, "User-agent: *\nDisallow: /private/\n", requests);
    try {
      RobotsCache bounded = boundedCache(vertx, 10, Long.MAX_VALUE);
      for (HttpServer origin : origins) {
        ask(bounded, origin);
      }
      assertEquals(30, requests.get());
      assertEquals(10, bounded.size(), "30 origins asked, 10 kept");

      ask(bounded, origins.get(29));
      assertEquals(30, requests.get(), "a recent origin's rules are still held");
      ask(bounded, origins.get(0));
      assertEquals(31, requests.get(), "an evicted origin's robots.txt is fetched again");
      assertFalse(
          ask(bounded, origins.get(0)).allows("http://127.0.0.1/private/x"),
          "and its rules apply as before");
      assertEquals(10, bounded.size());
    } finally {
      for (HttpServer origin : origins) {
        origin.close().await(10, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void theRulesHeldStayUnderTheByteBoundWhateverTheFilesHold(Vertx vertx) throws Exception {
    StringBuilder big = new StringBuilder("User-agent: *\n");
    for (int i = 0; i < 2_000; i++) {
      big.append("Disallow: /area-").append(i).append("/\n");
    }
    AtomicInteger requests = new AtomicInteger();
    java.util.List<HttpServer> origins = servers(vertx, 12, big.toString(), requests);
    try {
      long bound = 1L << 20;
      RobotsCache bounded = boundedCache(vertx, 1_000, bound);
      long largest = 0;
      for (HttpServer origin : origins) {
        RobotsRules rules = ask(bounded, origin);
        largest = Math.max(largest, RobotsCache.weightOf(rules));
        assertTrue(bounded.weight() <= bound, "held " + bounded.weight() + " bytes");
      }
      assertTrue(largest > 100_000, "each file's 2,000 rules weigh " + largest);
      assertTrue(bounded.size() < 12, "only what fits is kept: " + bounded.size());
      assertTrue(bounded.size() >= bound / largest - 1, "but as much as fits: " + bounded.size());
    } finally {
      for (HttpServer origin : origins) {
        origin.close().await(10, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void rulesAreFetchedOncePerOrigin() throws Exception {
    rulesFor("127.0.0.1");
    rulesFor("127.0.0.1");
    assertEquals(1, robotsRequests.get());
  }
}
