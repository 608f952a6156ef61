package io.fleetcrawl.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fleetcrawl.config.FetchConfig;
import io.fleetcrawl.config.PoolConfig;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Every URL that can reach the fetch path ends with an outcome and a reason, whatever its port,
 * scheme case, escapes, characters or length: a fetch that threw instead would never settle its
 * lease, and the crawl would never drain.
 */
@Tag("integration")
@ExtendWith(VertxExtension.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class UnusualUrlsIT {
  private static final PoolConfig CONFIG =
      new PoolConfig.Builder().connectTimeoutMs(2_000).firstByteTimeoutMs(2_000).build();

  @Test
  void everyUrlEndsWithAnOutcomeAndAReason(Vertx vertx) throws Exception {
    try (TestServer server = TestServer.start(vertx, o -> {}, req -> req.response().end("ok"));
        Drive drive = new Drive(vertx, CONFIG)) {
      String local = "http://127.0.0.1:" + server.port();
      Map<String, String> expected = new LinkedHashMap<>();
      expected.put("http://127.0.0.1:99999/", "malformed URL: port 99999");
      expected.put("http://127.0.0.1:0/", "malformed URL: port 0");
      expected.put("https://127.0.0.1:65536/x", "malformed URL: port 65536");
      expected.put("http://[::1]:99999/", "malformed URL: port 99999");
      expected.put(local + "/%ZZ", "malformed URL");
      expected.put(local + "/a b", "malformed URL");
      expected.put("http:///no-host", "malformed URL");
      expected.put(local + "/" + "a".repeat(100_000), "status 414");
      expected.put(local + "/?" + "q=1&".repeat(5_000), "status 414");
      expected.put(local + "/\u00fc?q=\u00e4", "status 200");
      expected.put("HTTP://127.0.0.1:" + server.port() + "/", "status 200");
      expected.put("http://user:pw@127.0.0.1:" + server.port() + "/", "status 200");
      expected.put(local, "status 200");
      expected.put("https://127.0.0.1:" + server.port() + "/", "tls:");
      expected.put("http://127.0.0.1:1/", "connect:");
      FetchConfig fetch = new FetchConfig(1, 64, 8, 10_000, 1 << 20, 30_000, CONFIG, 0);
      for (Map.Entry<String, String> e : expected.entrySet()) {
        String url = e.getKey();
        String shown = url.length() > 80 ? url.substring(0, 80) + "..." : url;
        Promise<FetchOutcome> done = Promise.promise();
        drive.context.runOnContext(
            v ->
                new PageFetcher(vertx, drive.pool, fetch, "fleetcrawl/test")
                    .fetch(url, 1 << 20)
                    .onComplete(ar -> done.complete(ar.result())));
        FetchOutcome outcome = done.future().await(30, TimeUnit.SECONDS);
        assertNotNull(outcome, shown);
        String seen = outcome.error() != null ? outcome.error() : "status " + outcome.status();
        assertTrue(seen.startsWith(e.getValue()), shown + " -> " + seen);
      }
      // The exchange itself, below the fetcher's checks, ends too.
      FetchOutcome direct = drive.one("http://127.0.0.1:99999/");
      assertNotNull(direct.error(), "port 99999 through Exchange");
      assertEquals(0, drive.pool.active().get(), "connections left marked active");
    }
  }
}
