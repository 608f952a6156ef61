package io.fleetcrawl.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fleetcrawl.config.PoolConfig;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Each limit of an exchange against a server that breaks exactly that limit. */
@Tag("integration")
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TimeoutsIT {
  private static final PoolConfig CONFIG =
      new PoolConfig.Builder()
          .connectTimeoutMs(500)
          .firstByteTimeoutMs(500)
          .idleReadTimeoutMs(500)
          .build();

  @Test
  void slowHeadersHitTheFirstByteLimit(Vertx vertx) throws Exception {
    try (TestServer server =
            TestServer.start(
                vertx, o -> {}, req -> vertx.setTimer(3_000, t -> req.response().end("late")));
        Drive drive = new Drive(vertx, CONFIG)) {
      FetchOutcome outcome = drive.one("http://127.0.0.1:" + server.port() + "/");
      assertTrue(outcome.error().startsWith("timeout"), outcome.error());
      assertTrue(outcome.fetchMs() < 1_500, "took " + outcome.fetchMs());
    }
  }

  @Test
  void stalledBodyHitsTheIdleReadLimit(Vertx vertx) throws Exception {
    try (TestServer server =
            TestServer.start(
                vertx,
                o -> {},
                req -> {
                  req.response().setChunked(true).write("<html>");
                  vertx.setTimer(3_000, t -> req.response().end("</html>"));
                });
        Drive drive =
            new Drive(vertx, new PoolConfig.Builder(CONFIG).firstByteTimeoutMs(5_000).build())) {
      FetchOutcome outcome = drive.one("http://127.0.0.1:" + server.port() + "/");
      assertTrue(
          outcome.error() != null && outcome.error().startsWith("timeout"),
          String.valueOf(outcome));
      assertTrue(outcome.fetchMs() < 1_500, "took " + outcome.fetchMs());
    }
  }

  @Test
  void drippingBodyHitsTheTotalDeadline(Vertx vertx) throws Exception {
    try (TestServer server =
            TestServer.start(
                vertx,
                o -> {},
                req -> {
                  req.response().setChunked(true);
                  long timer = vertx.setPeriodic(100, t -> req.response().write("."));
                  req.response().closeHandler(v -> vertx.cancelTimer(timer));
                  req.connection().closeHandler(v -> vertx.cancelTimer(timer));
                });
        Drive drive = new Drive(vertx, CONFIG)) {
      FetchOutcome outcome = drive.one("http://127.0.0.1:" + server.port() + "/", 1_000);
      assertEquals("timeout: no complete response within 1000 ms", outcome.error());
    }
  }

  @Test
  void unreachablePortFailsAsConnectError(Vertx vertx) throws Exception {
    try (Drive drive = new Drive(vertx, CONFIG)) {
      FetchOutcome outcome = drive.one("http://127.0.0.1:1/");
      assertTrue(outcome.error().startsWith("connect:"), outcome.error());
    }
  }
}
