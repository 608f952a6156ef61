package io.fleetcrawl.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fleetcrawl.config.ProxyEndpoint;
import io.fleetcrawl.config.ProxySelection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ProxyRouterTest {
  private final ProxyEndpoint a = ProxyEndpoint.parse("http://a.proxy:1");
  private final ProxyEndpoint b = ProxyEndpoint.parse("socks5://b.proxy:2");
  private long now = 1_000;

  private ProxyRouter router(ProxySelection selection) {
    return new ProxyRouter(List.of(a, b), selection, 3, 30_000, () -> now);
  }

  @Test
  void noProxiesMeansDirect() {
    assertNull(new ProxyRouter(List.of(), ProxySelection.ROUND_ROBIN, 3, 1, () -> now).choose("x"));
  }

  @Test
  void roundRobinAlternates() {
    ProxyRouter router = router(ProxySelection.ROUND_ROBIN);
    assertEquals(
        List.of(a, b, a, b),
        List.of(router.choose("h"), router.choose("h"), router.choose("h"), router.choose("h")));
  }

  @Test
  void stickyKeepsAHostOnOneProxy() {
    ProxyRouter router = router(ProxySelection.STICKY);
    ProxyEndpoint first = router.choose("example.com");
    for (int i = 0; i < 10; i++) {
      assertEquals(first, router.choose("example.com"));
    }
    Set<ProxyEndpoint> used = new HashSet<>();
    for (int i = 0; i < 50; i++) {
      used.add(router.choose("host" + i + ".test"));
    }
    assertEquals(Set.of(a, b), used, "hosts spread over both proxies");
  }

  @Test
  void proxyFailingRepeatedlyIsTakenOutThenProbedBackIn() {
    ProxyRouter router = router(ProxySelection.STICKY);
    String host = "example.com";
    ProxyEndpoint sticky = router.choose(host);
    ProxyEndpoint other = sticky == a ? b : a;
    router.failed(sticky, "refused");
    router.failed(sticky, "refused");
    assertTrue(router.healthy(sticky), "two failures are not enough");
    router.failed(sticky, "refused");
    assertFalse(router.healthy(sticky));
    assertEquals(other, router.choose(host), "the host moves to the healthy proxy");
    now += 30_000;
    assertEquals(sticky, router.choose(host), "one probe after the pause");
    assertEquals(
        other, router.choose(host), "while the probe is out, others use the healthy proxy");
    router.succeeded(sticky);
    assertEquals(sticky, router.choose(host), "a successful probe brings it back");
  }

  @Test
  void whenEveryProxyIsOutTheOneDueSoonestIsUsed() {
    ProxyRouter router = router(ProxySelection.ROUND_ROBIN);
    for (int i = 0; i < 3; i++) {
      router.failed(a, "x");
    }
    now += 10;
    for (int i = 0; i < 3; i++) {
      router.failed(b, "x");
    }
    assertEquals(a, router.choose("h"));
  }
}
