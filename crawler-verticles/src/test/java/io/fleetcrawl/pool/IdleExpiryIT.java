package io.fleetcrawl.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fleetcrawl.config.PoolConfig;
import io.fleetcrawl.metrics.CloseReason;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A server closes connections idle for 2 s. Requests paced at about 2 s hit the moment the server
 * tears the pooled connection down.
 */
@Tag("integration")
@ExtendWith(VertxExtension.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class IdleExpiryIT {
  private static final long[] PACING_MS = {1_990, 2_000, 2_005, 2_010, 1_995, 2_000, 2_015, 2_000};

  private static List<FetchOutcome> paced(Drive drive, TestServer server) throws Exception {
    List<FetchOutcome> outcomes = new ArrayList<>();
    outcomes.add(drive.one("http://127.0.0.1:" + server.port() + "/first"));
    for (int i = 0; i < PACING_MS.length; i++) {
      Thread.sleep(PACING_MS[i]);
      outcomes.add(drive.one("http://127.0.0.1:" + server.port() + "/" + i));
    }
    return outcomes;
  }

  @Test
  void idleExpiryLongerThanTheServersLosesNoFetchThanksToTheStaleRetry(Vertx vertx)
      throws Exception {
    try (TestServer server = TestServer.start(vertx, o -> o.setIdleTimeout(2), null);
        Drive drive =
            new Drive(
                vertx,
                new PoolConfig.Builder().idleExpirySeconds(5).http1MaxPerOrigin(1).build())) {
      List<FetchOutcome> outcomes = paced(drive, server);
      assertEquals(
          List.of(), outcomes.stream().filter(o -> o.status() != 200).toList(), "failed fetches");
      System.out.println(
          "stale retries with a 5 s idle expiry against a 2 s server: "
              + drive.metrics.staleRetries());
    }
  }

  @Test
  void idleExpiryBelowTheServersNeedsNoRetry(Vertx vertx) throws Exception {
    try (TestServer server = TestServer.start(vertx, o -> o.setIdleTimeout(2), null);
        Drive drive =
            new Drive(
                vertx,
                new PoolConfig.Builder().idleExpirySeconds(1).http1MaxPerOrigin(1).build())) {
      List<FetchOutcome> outcomes = paced(drive, server);
      assertEquals(
          List.of(), outcomes.stream().filter(o -> o.status() != 200).toList(), "failed fetches");
      assertEquals(0, drive.metrics.staleRetries(), "stale retries");
      assertTrue(
          drive.metrics.closed(CloseReason.IDLE_EXPIRY) >= PACING_MS.length,
          "closes by our idle expiry");
      assertEquals(0, drive.metrics.closed(CloseReason.SERVER_CLOSE), "closes by the server");
    }
  }

  @Test
  void serversKeepAliveHeaderLowersTheIdleExpiry(Vertx vertx) throws Exception {
    try (TestServer server =
            TestServer.start(
                vertx,
                o -> o.setIdleTimeout(2),
                req -> req.response().putHeader("Keep-Alive", "timeout=2").end("ok"));
        Drive drive =
            new Drive(
                vertx,
                new PoolConfig.Builder().idleExpirySeconds(30).http1MaxPerOrigin(1).build())) {
      List<FetchOutcome> outcomes = paced(drive, server);
      assertEquals(
          List.of(), outcomes.stream().filter(o -> o.status() != 200).toList(), "failed fetches");
      assertEquals(0, drive.metrics.staleRetries(), "stale retries");
      assertEquals(0, drive.metrics.closed(CloseReason.SERVER_CLOSE), "closes by the server");
    }
  }
}
