package io.fleetcrawl.robots;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fleetcrawl.config.FetchConfig;
import io.fleetcrawl.config.PoolConfig;
import io.fleetcrawl.metrics.PoolMetrics;
import io.fleetcrawl.pool.ClientPool;
import io.fleetcrawl.pool.PageFetcher;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.junit5.VertxExtension;
import java.util.Map;
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
                  if (status == 301) {
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
  void unreachableServerMeansDisallow() throws Exception {
    RobotsRules rules = cache.rulesFor("http://127.0.0.1:1").await(20, TimeUnit.SECONDS);
    assertTrue(rules.unreachable());
  }

  @Test
  void rulesAreFetchedOncePerOrigin() throws Exception {
    rulesFor("127.0.0.1");
    rulesFor("127.0.0.1");
    assertEquals(1, robotsRequests.get());
  }
}
