package io.fleetcrawl.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fleetcrawl.config.PoolConfig;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Ten thousand requests to one origin ride the configured connections, almost all reused. */
@Tag("integration")
@ExtendWith(VertxExtension.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PoolReuseIT {
  private static final int REQUESTS = 10_000;

  @TempDir Path dir;

  private void assertReuse(Vertx vertx, boolean alpn, int maxConnections, String protocol)
      throws Exception {
    Path trust = TestServer.resourceFile("tls/loopback-cert.pem", dir);
    try (TestServer server = TestServer.start(vertx, TestServer.tls(alpn), null);
        Drive drive =
            new Drive(
                vertx, new PoolConfig.Builder().tlsTrustPem(trust).http1MaxPerOrigin(8).build())) {
      List<FetchOutcome> outcomes =
          drive.run(REQUESTS, 64, i -> "https://127.0.0.1:" + server.port() + "/p/" + i);
      assertEquals(
          REQUESTS, outcomes.stream().filter(o -> o.status() == 200).count(), "successful fetches");
      assertTrue(
          outcomes.stream().allMatch(o -> protocol.equals(o.protocol())), "protocol " + protocol);
      assertTrue(
          server.connectionCount() <= maxConnections,
          "server saw " + server.connectionCount() + " connections");
      assertEquals(REQUESTS, server.requestCount());
      double reusedShare = (double) drive.metrics.reusedRequests() / drive.metrics.requests();
      assertTrue(reusedShare >= 0.99, "reused share " + reusedShare);
      assertEquals(
          server.connectionCount(),
          drive.metrics.opened(),
          "connections opened, as the client counts them");
    }
  }

  @Test
  void http2CarriesEveryRequestOnOneConnection(Vertx vertx) throws Exception {
    assertReuse(vertx, true, 1, "HTTP/2");
  }

  @Test
  void http1UsesAtMostTheConfiguredConnectionsPerOrigin(Vertx vertx) throws Exception {
    assertReuse(vertx, false, 8, "HTTP/1.1");
  }
}
