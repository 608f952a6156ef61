package io.fleetcrawl.frontier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fleetcrawl.config.PolitenessMode;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BinaryOperator;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class PolitenessKeyTest {
  @Test
  void domainKeysAreRegistrableDomainsAndAddressesOrBareNamesStayThemselves() {
    assertEquals("example.co.uk", PolitenessKey.domainOf("A.b.Example.CO.uk"));
    assertEquals("example.com", PolitenessKey.domainOf("www.example.com"));
    assertEquals("127.0.0.1", PolitenessKey.domainOf("127.0.0.1"));
    assertEquals("[::1]", PolitenessKey.domainOf("[::1]"));
    assertEquals("localhost", PolitenessKey.domainOf("localhost"));
    assertEquals("site.test", PolitenessKey.domainOf("a.b.site.test"), "the list's default rule");
  }

  @Test
  void theSuffixListIsCrawlerCommonsCurrentOneNotThe2023Copy() {
    // 12chars.dev joined the private section of the list after 2023: under the old copy the
    // registrable domain would be 12chars.dev itself.
    assertEquals("alice.12chars.dev", PolitenessKey.domainOf("shop.alice.12chars.dev"));
  }

  @Test
  void hostAndDomainKeysAreImmediateAndAddressKeysAreNot() {
    PolitenessKeys hosts = PolitenessKeys.of(PolitenessMode.HOST);
    assertTrue(hosts.immediate());
    assertEquals("a.example.com", hosts.now("A.example.com"));
    assertEquals("example.com", PolitenessKeys.of(PolitenessMode.DOMAIN).now("a.example.com"));
    assertFalse(PolitenessKeys.byAddress(h -> null, (h, a) -> a).immediate());
  }

  @Test
  void anAddressKeyIsTheFirstAnswerPinnedSoRotatingAnswersKeepOneKey() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      Map<String, String> shared = new ConcurrentHashMap<>();
      AtomicInteger asked = new AtomicInteger();
      Function<String, Future<InetAddress>> rotating =
          host -> {
            int n = asked.incrementAndGet();
            if (host.equals("gone.test")) {
              return Future.failedFuture(new UnknownHostException(host));
            }
            try {
              return Future.succeededFuture(
                  InetAddress.getByAddress(host, new byte[] {10, 0, 0, (byte) n}));
            } catch (UnknownHostException e) {
              return Future.failedFuture(e);
            }
          };
      BinaryOperator<String> pin =
          (host, address) -> {
            String previous = shared.putIfAbsent(host, address);
            return previous == null ? address : previous;
          };
      // Two nodes: each its own local cache and resolver answers, one shared pin.
      PolitenessKeys nodeA = PolitenessKeys.byAddress(rotating, pin);
      PolitenessKeys nodeB = PolitenessKeys.byAddress(rotating, pin);
      Context context = vertx.getOrCreateContext();
      assertEquals("10.0.0.1", nodeA.of(context, "Shared.test").await(5, TimeUnit.SECONDS));
      assertEquals("10.0.0.1", nodeB.of(context, "shared.test").await(5, TimeUnit.SECONDS));
      assertEquals("10.0.0.1", nodeA.of(context, "shared.test").await(5, TimeUnit.SECONDS));
      assertEquals(2, asked.get(), "node A answered from its own cache the second time");
      assertEquals(
          "gone.test",
          nodeA.of(context, "gone.test").await(5, TimeUnit.SECONDS),
          "a name that does not resolve keeps its name");
    } finally {
      vertx.close().await(5, TimeUnit.SECONDS);
    }
  }
}
