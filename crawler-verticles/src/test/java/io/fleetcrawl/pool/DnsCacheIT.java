package io.fleetcrawl.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fleetcrawl.config.PoolConfig;
import io.fleetcrawl.testing.TestDns;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A real DNS server on loopback (Netty's DNS codec over a UDP socket) counts the questions the
 * crawler's resolver asks: answers are cached up to the configured TTL, failures briefly.
 */
@Tag("integration")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DnsCacheIT {
  private TestDns dns;

  /** Answers A questions for *.found.test with 127.0.0.1 (TTL 1 hour), everything else NXDOMAIN. */
  @BeforeEach
  void startDns() throws Exception {
    dns =
        TestDns.start(
            name -> name.endsWith("found.test.") ? new byte[] {127, 0, 0, 1} : null, 3600);
  }

  @AfterEach
  void stopDns() throws Exception {
    dns.close();
  }

  private int asked(String name) {
    return dns.asked(name);
  }

  @Test
  void answersAreCachedUpToTheTtlAndFailuresBriefly() throws Exception {
    PoolConfig config =
        new PoolConfig.Builder().keepAlive(false).dnsTtlSeconds(2).dnsNegativeTtlSeconds(2).build();
    var resolver =
        DnsCache.resolverOptions(config)
            .setServers(List.of(dns.address()))
            .setHostsValue(Buffer.buffer("\n"))
            .setOptResourceEnabled(false)
            .setQueryTimeout(2_000);
    Vertx vertx = Vertx.vertx(new VertxOptions().setAddressResolverOptions(resolver));
    try (TestServer server = TestServer.start(vertx, o -> o.setHost("127.0.0.1"), null);
        Drive drive = new Drive(vertx, config)) {
      String url = "http://www.found.test:" + server.port() + "/";
      for (int i = 0; i < 5; i++) {
        assertEquals(200, drive.one(url).status());
      }
      assertEquals(1, asked("www.found.test"), "questions within the TTL: " + dns.questions());
      for (int i = 0; i < 3; i++) {
        assertTrue(
            drive.one("http://nowhere.test:" + server.port() + "/").error().startsWith("dns:"));
      }
      assertEquals(
          1,
          asked("nowhere.test"),
          "questions for a failing name within the negative TTL: " + dns.questions());
      Thread.sleep(2_500);
      assertEquals(200, drive.one(url).status());
      drive.one("http://nowhere.test:" + server.port() + "/");
      assertEquals(
          2,
          asked("www.found.test"),
          "a server TTL of 1 hour is capped at ours: " + dns.questions());
      assertEquals(
          2,
          asked("nowhere.test"),
          "failures are asked again after the negative TTL: " + dns.questions());
      assertEquals(5 + 1, server.requestCount());
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }
}
