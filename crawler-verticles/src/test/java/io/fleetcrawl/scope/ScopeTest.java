package io.fleetcrawl.scope;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fleetcrawl.config.CrawlConfig;
import io.fleetcrawl.config.ScopeMode;
import io.fleetcrawl.network.NetworkGuard;
import io.fleetcrawl.network.NetworkPolicy;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class ScopeTest {
  private static CrawlConfig config(
      ScopeMode mode, List<Pattern> includes, List<Pattern> excludes) {
    CrawlConfig d = CrawlConfig.defaults();
    return new CrawlConfig(
        "t",
        mode,
        includes,
        excludes,
        5,
        100,
        NetworkPolicy.of(false, List.of()),
        true,
        d.userAgent(),
        3);
  }

  @Test
  void hostScopeAdmitsOnlySeedHosts() {
    CrawlScope scope = new CrawlScope(config(ScopeMode.HOST, List.of(), List.of()));
    scope.addSeedHost("www.example.com");
    assertNull(scope.check("https://www.example.com/a", "www.example.com"));
    assertNotNull(scope.check("https://blog.example.com/a", "blog.example.com"));
  }

  @Test
  void domainScopeAdmitsSiblingHostsOfTheRegistrableDomain() {
    CrawlScope scope = new CrawlScope(config(ScopeMode.DOMAIN, List.of(), List.of()));
    scope.addSeedHost("www.example.co.uk");
    assertNull(scope.check("https://blog.example.co.uk/", "blog.example.co.uk"));
    assertNotNull(scope.check("https://other.co.uk/", "other.co.uk"));
  }

  @Test
  void domainScopeUnderASuffixTheListDoesNotKnowTakesTheLastTwoLabelsAsPolitenessKeysDo() {
    CrawlScope scope = new CrawlScope(config(ScopeMode.DOMAIN, List.of(), List.of()));
    scope.addSeedHost("a.site.test");
    assertNull(scope.check("https://b.site.test/", "b.site.test"));
    assertNull(scope.check("https://site.test/", "site.test"));
    assertNotNull(scope.check("https://a.other.test/", "a.other.test"));
  }

  @Test
  void includeAndExcludePatternsApplyToTheWholeUrl() {
    CrawlScope scope =
        new CrawlScope(
            config(
                ScopeMode.ANY,
                List.of(Pattern.compile("/docs/")),
                List.of(Pattern.compile("\\.pdf$"))));
    assertNull(scope.check("https://a.test/docs/x.html", "a.test"));
    assertTrue(scope.check("https://a.test/blog/x.html", "a.test").contains("--include"));
    assertTrue(scope.check("https://a.test/docs/x.pdf", "a.test").contains("--exclude"));
  }

  @Test
  void networkGuardRecognisesInternalTargets() {
    for (String host :
        List.of(
            "localhost",
            "127.0.0.1",
            "10.1.2.3",
            "192.168.0.1",
            "172.16.5.4",
            "169.254.169.254",
            "[::1]",
            "[fd00::1]",
            "0.0.0.0",
            "100.64.0.1",
            "api.localhost")) {
      assertTrue(NetworkGuard.isInternalHost(host), host);
    }
    for (String host : List.of("example.com", "8.8.8.8", "[2001:4860:4860::8888]", "172.32.0.1")) {
      assertFalse(NetworkGuard.isInternalHost(host), host);
    }
  }
}
