package io.fleetcrawl.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fleetcrawl.config.PoolConfig;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** A full wait queue answers at once with "pool busy", which the worker treats as backpressure. */
@Tag("integration")
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WaitQueueIT {
  @Test
  void requestsBeyondTheWaitQueueAreRefusedQuicklyAsPoolBusy(Vertx vertx) throws Exception {
    try (TestServer server =
            TestServer.start(
                vertx, o -> {}, req -> vertx.setTimer(300, t -> req.response().end("slow")));
        Drive drive =
            new Drive(
                vertx, new PoolConfig.Builder().http1MaxPerOrigin(1).maxWaitQueue(2).build())) {
      List<FetchOutcome> outcomes =
          drive.run(10, 10, i -> "http://127.0.0.1:" + server.port() + "/" + i);
      long busy =
          outcomes.stream()
              .filter(o -> o.error() != null && o.error().startsWith(Exchange.POOL_BUSY))
              .count();
      long ok = outcomes.stream().filter(o -> o.status() == 200).count();
      assertEquals(10, busy + ok, "every request either served or refused as busy: " + outcomes);
      assertTrue(
          ok >= 1 && ok <= 3, "served: at most one on the connection and two waiting, was " + ok);
      assertTrue(
          outcomes.stream().filter(o -> o.error() != null).allMatch(o -> o.fetchMs() < 250),
          "refusals are immediate");
    }
  }
}
