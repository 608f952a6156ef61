package io.fleetcrawl.intake;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.code_intelligence.jazzer.mutation.annotation.NotNull;
import io.fleetcrawl.config.CrawlConfig;
import io.fleetcrawl.config.ScopeMode;
import io.fleetcrawl.metrics.CrawlStats;
import io.fleetcrawl.model.CrawlRequest;
import io.fleetcrawl.network.NetworkPolicy;
import io.fleetcrawl.parse.LinkExtractor;
import io.fleetcrawl.scope.CrawlScope;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Intake's parsing of URLs from strangers, and link extraction feeding it, under Jazzer. Without
 * {@code JAZZER_FUZZ=1} each test runs its seeds and every input a past fuzzing run found ({@code
 * src/test/resources/io/fleetcrawl/intake/IntakeFuzzTestInputs/}) as regression tests; {@code
 * .ci/run} fuzzes each for a bounded time.
 */
class IntakeFuzzTest {
  private static UrlIntake intake() {
    CrawlConfig config =
        new CrawlConfig(
            "fuzz",
            ScopeMode.ANY,
            List.of(),
            List.of(),
            CrawlConfig.DEFAULT_MAX_DEPTH,
            CrawlConfig.DEFAULT_MAX_PAGES,
            NetworkPolicy.of(false, List.of()),
            true,
            CrawlConfig.DEFAULT_USER_AGENT,
            CrawlConfig.DEFAULT_MAX_ATTEMPTS);
    // No frontier: admissible() stops before it.
    return new UrlIntake(
        config, new CrawlScope(config), null, new CrawlStats(), new SeenCache(1 << 10), k -> {});
  }

  /**
   * Whatever a link says, intake either refuses it or admits an absolute http(s) URL with a host, a
   * port in range, no credentials and no fragment, which normalising again leaves unchanged.
   */
  @FuzzTest(maxDuration = "45s")
  void everyAdmittedUrlIsAbsoluteHttpWithoutCredentialsAndNormalisesToItself(@NotNull String raw) {
    UrlIntake intake = intake();
    CrawlRequest admitted = intake.admissible(raw, 1);
    if (admitted == null) {
      return;
    }
    String url = admitted.url();
    URI uri = URI.create(url);
    assertTrue(uri.getScheme().equals("http") || uri.getScheme().equals("https"), url);
    assertTrue(uri.getHost() != null && !uri.getHost().isEmpty(), url);
    assertTrue(uri.getPort() == -1 || (uri.getPort() >= 1 && uri.getPort() <= 65_535), url);
    assertEquals(null, uri.getRawUserInfo(), url);
    assertFalse(url.contains("#"), url);
    assertEquals(url, intake.normalised(url), "normalising twice changes " + url);
  }

  /** Any bytes served as a page yield links without an exception, and intake judges each. */
  @FuzzTest(maxDuration = "45s")
  void anyPageYieldsLinksThatIntakeJudgesWithoutFailing(
      byte @NotNull [] page, boolean declareCharset) {
    UrlIntake intake = intake();
    List<String> links =
        LinkExtractor.extract(
            page,
            declareCharset ? StandardCharsets.UTF_8.name() : null,
            "http://fuzz.example/dir/page.html",
            true);
    for (String link : links) {
      assertFalse(link.isEmpty());
      intake.admissible(link, 1);
    }
  }
}
