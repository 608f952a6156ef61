package io.fleetcrawl.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fleetcrawl.config.PoolConfig;
import io.fleetcrawl.metrics.CloseReason;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Request caps and lifetimes retire connections, as the server observes them. */
@Tag("integration")
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RetirementIT {
  @TempDir Path dir;

  @Test
  void http1ConnectionServesAtMostTheRequestCap(Vertx vertx) throws Exception {
    try (TestServer server = TestServer.start(vertx, o -> {}, null);
        Drive drive =
            new Drive(
                vertx,
                new PoolConfig.Builder()
                    .maxRequestsPerConnection(10)
                    .http1MaxPerOrigin(1)
                    .build())) {
      drive.run(100, 1, i -> "http://127.0.0.1:" + server.port() + "/" + i);
      assertEquals(100, server.requestCount());
      assertEquals(10, server.connectionCount(), "connections the server saw");
      server
          .connections
          .values()
          .forEach(
              s -> assertTrue(s.requests.get() <= 10, "requests on a connection: " + s.requests));
      assertTrue(
          drive.metrics.closed(CloseReason.REQUEST_CAP) >= 9, "closes attributed to the cap");
    }
  }

  @Test
  void http2ConnectionIsShutDownAtTheRequestCap(Vertx vertx) throws Exception {
    Path trust = TestServer.resourceFile("tls/loopback-cert.pem", dir);
    try (TestServer server = TestServer.start(vertx, TestServer.tls(true), null);
        Drive drive =
            new Drive(
                vertx,
                new PoolConfig.Builder().tlsTrustPem(trust).maxRequestsPerConnection(10).build())) {
      drive.run(100, 1, i -> "https://127.0.0.1:" + server.port() + "/" + i);
      assertEquals(100, server.requestCount());
      assertTrue(
          server.connectionCount() >= 10,
          "connections the server saw: " + server.connectionCount());
      server
          .connections
          .values()
          .forEach(
              s -> assertTrue(s.requests.get() <= 10, "requests on a connection: " + s.requests));
    }
  }

  @Test
  void connectionOlderThanItsLifetimeIsRetired(Vertx vertx) throws Exception {
    try (TestServer server = TestServer.start(vertx, o -> {}, null);
        Drive drive =
            new Drive(
                vertx,
                new PoolConfig.Builder().maxLifetimeSeconds(1).http1MaxPerOrigin(1).build())) {
      long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(3_300);
      int i = 0;
      while (System.nanoTime() < end) {
        drive.one("http://127.0.0.1:" + server.port() + "/" + i++);
        Thread.sleep(100);
      }
      assertTrue(
          server.connectionCount() >= 3, "connections the server saw: " + server.connectionCount());
      server
          .connections
          .values()
          .forEach(
              s -> {
                long spanMs =
                    TimeUnit.NANOSECONDS.toMillis(s.times.get(s.times.size() - 1) - s.times.get(0));
                assertTrue(spanMs <= 1_250, "a connection served requests over " + spanMs + " ms");
              });
      assertTrue(
          drive.metrics.closed(CloseReason.LIFETIME) >= 2, "closes attributed to the lifetime");
    }
  }
}
