package io.fleetcrawl.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fleetcrawl.config.PoolConfig;
import io.fleetcrawl.metrics.PoolMetrics;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetServer;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** h2c with prior knowledge, the multiplexing limit, the TLS handshake limit and the idle gauge. */
@Tag("integration")
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ProtocolsIT {
  @TempDir Path dir;

  @Test
  void h2cWithPriorKnowledgeSpeaksHttp2WithoutTls(Vertx vertx) throws Exception {
    try (TestServer server = TestServer.start(vertx, o -> o.setHttp2ClearTextEnabled(true), null);
        Drive drive = new Drive(vertx, new PoolConfig.Builder().h2cPriorKnowledge(true).build())) {
      var outcomes = drive.run(200, 16, i -> "http://127.0.0.1:" + server.port() + "/" + i);
      assertTrue(
          outcomes.stream().allMatch(o -> o.status() == 200 && "HTTP/2".equals(o.protocol())),
          outcomes.get(0).toString());
      assertEquals(1, server.connectionCount());
    }
  }

  @Test
  void multiplexingLimitCapsStreamsPerConnection(Vertx vertx) throws Exception {
    AtomicInteger concurrent = new AtomicInteger();
    AtomicInteger peak = new AtomicInteger();
    Path trust = TestServer.resourceFile("tls/loopback-cert.pem", dir);
    try (TestServer server =
            TestServer.start(
                vertx,
                TestServer.tls(true),
                req -> {
                  peak.accumulateAndGet(concurrent.incrementAndGet(), Math::max);
                  vertx.setTimer(
                      20,
                      t -> {
                        concurrent.decrementAndGet();
                        req.response().end("ok");
                      });
                });
        Drive drive =
            new Drive(
                vertx,
                new PoolConfig.Builder().tlsTrustPem(trust).http2MultiplexingLimit(4).build())) {
      var outcomes = drive.run(100, 32, i -> "https://127.0.0.1:" + server.port() + "/" + i);
      assertEquals(100, outcomes.stream().filter(o -> o.status() == 200).count());
      assertEquals(1, server.connectionCount());
      assertTrue(peak.get() <= 4, "streams at once on the connection: " + peak.get());
    }
  }

  @Test
  void silentTlsPeerHitsTheHandshakeLimit(Vertx vertx) throws Exception {
    NetServer silent =
        vertx
            .createNetServer()
            .connectHandler(socket -> {})
            .listen(0, "127.0.0.1")
            .await(10, TimeUnit.SECONDS);
    try (Drive drive =
        new Drive(vertx, new PoolConfig.Builder().tlsHandshakeTimeoutMs(500).build())) {
      var outcome = drive.one("https://127.0.0.1:" + silent.actualPort() + "/");
      assertEquals(0, outcome.status());
      assertTrue(
          outcome.fetchMs() < 2_000, "took " + outcome.fetchMs() + " ms: " + outcome.error());
    } finally {
      silent.close().await(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void idleGaugeCountsOpenConnectionsWithNothingInFlight(Vertx vertx) throws Exception {
    try (TestServer server = TestServer.start(vertx, o -> {}, null);
        Drive drive = new Drive(vertx, new PoolConfig.Builder().http1MaxPerOrigin(4).build())) {
      drive.run(40, 4, i -> "http://127.0.0.1:" + server.port() + "/" + i);
      PoolMetrics metrics = drive.metrics;
      double idle = metrics.registry().get("fleetcrawl.pool.idle").gauge().value();
      double open = metrics.registry().get("fleetcrawl.pool.open").gauge().value();
      double active = metrics.registry().get("fleetcrawl.pool.active").gauge().value();
      assertEquals(open, idle, "after the run every open connection is idle");
      assertTrue(open >= 1 && open <= 4, "open " + open);
      assertEquals(0, active);
    }
  }
}
