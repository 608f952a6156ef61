package io.fleetcrawl.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
 * Four real servers (four origins), fetched one after another by a worker that keeps two idle
 * connections: the least recently used ones close at once, long before their idle expiry, and the
 * kept ones are reused.
 */
@Tag("integration")
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class IdleCapIT {
  @Test
  void beyondTheIdleCapTheLeastRecentlyUsedConnectionsCloseAndTheOthersAreReused(Vertx vertx)
      throws Exception {
    List<TestServer> servers = new ArrayList<>();
    try (Drive drive =
        new Drive(
            vertx,
            new PoolConfig.Builder()
                .maxIdleConnections(2)
                .idleExpirySeconds(300)
                .http1MaxPerOrigin(1)
                .build())) {
      for (int i = 0; i < 4; i++) {
        servers.add(TestServer.start(vertx, o -> {}, null));
      }
      for (TestServer server : servers) {
        assertEquals(200, drive.one("http://127.0.0.1:" + server.port() + "/").status());
      }
      awaitOpen(drive, 2);
      assertEquals(2, drive.metrics.closed(CloseReason.IDLE_CAP), "closed by the idle cap");
      assertEquals(0, drive.metrics.closed(CloseReason.IDLE_EXPIRY), "closed by idle expiry");

      // The two most recent origins are still connected; the first one connects again.
      long opened = drive.metrics.opened();
      assertEquals(200, drive.one("http://127.0.0.1:" + servers.get(3).port() + "/b").status());
      assertEquals(200, drive.one("http://127.0.0.1:" + servers.get(2).port() + "/b").status());
      assertEquals(opened, drive.metrics.opened(), "the kept connections are reused");
      assertEquals(1, servers.get(3).connectionCount());
      assertEquals(200, drive.one("http://127.0.0.1:" + servers.get(0).port() + "/b").status());
      assertEquals(opened + 1, drive.metrics.opened(), "an evicted origin connects again");
      assertEquals(2, servers.get(0).connectionCount());
      awaitOpen(drive, 2);
      assertEquals(3, drive.metrics.closed(CloseReason.IDLE_CAP));
    } finally {
      for (TestServer server : servers) {
        server.close();
      }
    }
  }

  private static void awaitOpen(Drive drive, long expected) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (drive.metrics.openConnections() != expected && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertEquals(expected, drive.metrics.openConnections(), "connections open");
  }
}
