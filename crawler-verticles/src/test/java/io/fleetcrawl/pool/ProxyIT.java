package io.fleetcrawl.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fleetcrawl.config.PoolConfig;
import io.fleetcrawl.config.ProxyEndpoint;
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

/**
 * Through real proxies (Debian's tinyproxy for HTTP CONNECT with Basic auth, Dante for SOCKS5 with
 * a user and password), thousands of requests ride at most the pool's tunnels, h2 works inside a
 * CONNECT tunnel, and a wrong password gives an error naming the proxy but not the password.
 */
@Tag("integration")
@ExtendWith(VertxExtension.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ProxyIT {
  private static final int REQUESTS = 2_000;

  @TempDir Path dir;

  private PoolConfig.Builder throughProxy(String proxy) throws Exception {
    return new PoolConfig.Builder()
        .tlsTrustPem(TestServer.resourceFile("tls/loopback-cert.pem", dir))
        .proxies(List.of(ProxyEndpoint.parse(proxy)));
  }

  @Test
  void http2RidesOneConnectTunnelThroughTinyproxy(Vertx vertx) throws Exception {
    int port = RealProxy.freePort();
    try (RealProxy proxy = RealProxy.tinyproxy(dir, port);
        TestServer server = TestServer.start(vertx, TestServer.tls(true), null);
        Drive drive =
            new Drive(vertx, throughProxy("http://bench:s3cret@127.0.0.1:" + port).build())) {
      List<FetchOutcome> outcomes =
          drive.run(REQUESTS, 32, i -> "https://127.0.0.1:" + server.port() + "/" + i);
      assertEquals(
          REQUESTS,
          outcomes.stream().filter(o -> o.status() == 200).count(),
          "fetched: " + outcomes.get(0));
      assertTrue(
          outcomes.stream().allMatch(o -> "HTTP/2".equals(o.protocol())), "h2 inside the tunnel");
      long tunnels = proxy.logLines("): CONNECT 127.0.0.1:" + server.port());
      assertEquals(1, tunnels, "CONNECT tunnels in tinyproxy's log");
      assertEquals(1, server.connectionCount());
    }
  }

  @Test
  void http1TunnelsStayWithinThePoolSize(Vertx vertx) throws Exception {
    int port = RealProxy.freePort();
    try (RealProxy proxy = RealProxy.tinyproxy(dir, port);
        TestServer server = TestServer.start(vertx, TestServer.tls(false), null);
        Drive drive =
            new Drive(
                vertx,
                throughProxy("http://bench:s3cret@127.0.0.1:" + port)
                    .http1MaxPerOrigin(8)
                    .build())) {
      List<FetchOutcome> outcomes =
          drive.run(REQUESTS, 32, i -> "https://127.0.0.1:" + server.port() + "/" + i);
      assertEquals(REQUESTS, outcomes.stream().filter(o -> o.status() == 200).count());
      long tunnels = proxy.logLines("): CONNECT 127.0.0.1:" + server.port());
      assertTrue(tunnels >= 1 && tunnels <= 8, "CONNECT tunnels: " + tunnels);
    }
  }

  @Test
  void socks5WithPasswordReusesItsConnections(Vertx vertx) throws Exception {
    int port = RealProxy.freePort();
    try (RealProxy proxy = RealProxy.dante(dir, port);
        TestServer server = TestServer.start(vertx, TestServer.tls(true), null);
        Drive drive =
            new Drive(
                vertx,
                throughProxy(
                        "socks5://"
                            + RealProxy.SOCKS_USER
                            + ":"
                            + RealProxy.SOCKS_PASSWORD
                            + "@127.0.0.1:"
                            + port)
                    .build())) {
      List<FetchOutcome> outcomes =
          drive.run(REQUESTS, 32, i -> "https://127.0.0.1:" + server.port() + "/" + i);
      assertEquals(
          REQUESTS,
          outcomes.stream().filter(o -> o.status() == 200).count(),
          "fetched: " + outcomes.get(0));
      long tunnels = proxy.logLines("pass(1): tcp/connect");
      assertEquals(1, tunnels, "SOCKS connections in Dante's log:\n" + proxy.logText());
    }
  }

  @Test
  void wrongHttpProxyPasswordIsReportedWithoutThePassword(Vertx vertx) throws Exception {
    int port = RealProxy.freePort();
    try (RealProxy proxy = RealProxy.tinyproxy(dir, port);
        TestServer server = TestServer.start(vertx, TestServer.tls(true), null);
        Drive drive =
            new Drive(vertx, throughProxy("http://bench:wrong-pw@127.0.0.1:" + port).build())) {
      FetchOutcome outcome = drive.one("https://127.0.0.1:" + server.port() + "/");
      assertEquals(0, outcome.status());
      assertTrue(
          outcome.error().contains("proxy http://bench:***@127.0.0.1:" + port), outcome.error());
      assertTrue(outcome.error().contains("authentication failed"), outcome.error());
      assertFalse(outcome.error().contains("wrong-pw"), outcome.error());
      assertEquals(0, server.requestCount());
    }
  }

  @Test
  void wrongSocksPasswordIsReportedWithoutThePassword(Vertx vertx) throws Exception {
    int port = RealProxy.freePort();
    try (RealProxy proxy = RealProxy.dante(dir, port);
        TestServer server = TestServer.start(vertx, TestServer.tls(true), null);
        Drive drive =
            new Drive(vertx, throughProxy("socks5://fcsocks:wrong-pw@127.0.0.1:" + port).build())) {
      FetchOutcome outcome = drive.one("https://127.0.0.1:" + server.port() + "/");
      assertEquals(0, outcome.status());
      assertTrue(
          outcome.error().contains("proxy socks5://fcsocks:***@127.0.0.1:" + port),
          outcome.error());
      assertFalse(outcome.error().contains("wrong-pw"), outcome.error());
    }
  }

  @Test
  void deadProxyIsTakenOutAndTheRestRideTheHealthyOne(Vertx vertx) throws Exception {
    int port = RealProxy.freePort();
    int dead = RealProxy.freePort();
    try (RealProxy proxy = RealProxy.tinyproxy(dir, port);
        TestServer server = TestServer.start(vertx, TestServer.tls(true), null);
        Drive drive =
            new Drive(
                vertx,
                throughProxy("http://bench:s3cret@127.0.0.1:" + port)
                    .proxies(
                        List.of(
                            ProxyEndpoint.parse("http://127.0.0.1:" + dead),
                            ProxyEndpoint.parse("http://bench:s3cret@127.0.0.1:" + port)))
                    .build())) {
      List<FetchOutcome> outcomes =
          drive.run(40, 1, i -> "https://127.0.0.1:" + server.port() + "/" + i);
      List<FetchOutcome> failed = outcomes.stream().filter(o -> o.status() != 200).toList();
      assertEquals(3, failed.size(), "failures before the dead proxy is taken out: " + failed);
      assertTrue(
          failed.stream().allMatch(o -> o.error().contains("proxy http://127.0.0.1:" + dead)),
          failed.toString());
    }
  }

  @Test
  void credentialsNeverReachTheTarget(Vertx vertx) throws Exception {
    int port = RealProxy.freePort();
    java.util.List<String> headersSeen = new java.util.concurrent.CopyOnWriteArrayList<>();
    try (RealProxy proxy = RealProxy.tinyproxy(dir, port);
        TestServer server =
            TestServer.start(
                vertx,
                o -> {},
                req -> {
                  headersSeen.add(req.headers().entries().toString());
                  req.response().end("ok");
                });
        Drive drive =
            new Drive(vertx, throughProxy("http://bench:s3cret@127.0.0.1:" + port).build())) {
      List<FetchOutcome> outcomes =
          drive.run(200, 4, i -> "http://127.0.0.1:" + server.port() + "/" + i);
      // tinyproxy closes a forwarded connection after each response while announcing keep-alive;
      // the pool learns that after two such closes, so at most the first requests race a close.
      List<FetchOutcome> failed = outcomes.stream().filter(o -> o.status() != 200).toList();
      assertTrue(failed.size() <= 2, "failed: " + failed);
      assertTrue(failed.stream().allMatch(FetchOutcome::retryable), "failed: " + failed);
      assertEquals(200 - failed.size(), headersSeen.size());
      for (String headers : headersSeen) {
        assertFalse(headers.toLowerCase().contains("proxy-authorization"), headers);
        assertFalse(headers.contains("s3cret") || headers.contains("YmVuY2g6czNjcmV0"), headers);
      }
    }
  }
}
