package io.fleetcrawl.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fleetcrawl.config.PoolConfig;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.dns.AddressResolverOptions;
import io.vertx.core.net.PemKeyCertOptions;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two virtual hosts behind one address and port, each with its own certificate (chosen by SNI): no
 * connection is ever used for both.
 */
@Tag("integration")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class VirtualHostIT {
  @TempDir Path dir;
  private Vertx vertx;

  @BeforeEach
  void start() {
    // a.test and b.test resolve to loopback through the resolver's hosts file, as DNS would.
    vertx =
        Vertx.vertx(
            new VertxOptions()
                .setAddressResolverOptions(
                    new AddressResolverOptions()
                        .setHostsValue(Buffer.buffer("127.0.0.1 a.test b.test\n"))));
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  void virtualHostsOnOneAddressNeverShareAConnection() throws Exception {
    PemKeyCertOptions certs =
        new PemKeyCertOptions()
            .addCertValue(TestServer.resource("tls/a.test-cert.pem"))
            .addKeyValue(TestServer.resource("tls/a.test-key.pem"))
            .addCertValue(TestServer.resource("tls/b.test-cert.pem"))
            .addKeyValue(TestServer.resource("tls/b.test-key.pem"));
    Path trust = TestServer.resourceFile("tls/vhosts-trust.pem", dir);
    try (TestServer server =
            TestServer.start(
                vertx,
                o -> o.setSsl(true).setUseAlpn(true).setSni(true).setKeyCertOptions(certs),
                null);
        Drive drive = new Drive(vertx, new PoolConfig.Builder().tlsTrustPem(trust).build())) {
      List<FetchOutcome> outcomes =
          drive.run(
              400,
              16,
              i -> "https://" + (i % 2 == 0 ? "a" : "b") + ".test:" + server.port() + "/" + i);
      assertEquals(
          400,
          outcomes.stream().filter(o -> o.status() == 200).count(),
          "successful fetches: " + outcomes.get(0));
      Set<String> hostsSeen = new HashSet<>();
      server
          .connections
          .values()
          .forEach(
              seen -> {
                assertEquals(1, seen.hosts.size(), "hosts on one connection: " + seen.hosts);
                assertEquals(seen.hosts.iterator().next(), seen.sni, "SNI matches the Host");
                hostsSeen.addAll(seen.hosts);
              });
      assertEquals(Set.of("a.test", "b.test"), hostsSeen);
      assertTrue(server.connectionCount() >= 2);
    }
  }
}
