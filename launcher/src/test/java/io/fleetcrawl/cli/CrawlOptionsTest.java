package io.fleetcrawl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fleetcrawl.config.CrawlConfig;
import io.fleetcrawl.config.TrapLimits;
import io.fleetcrawl.model.InvalidInputException;
import io.fleetcrawl.settings.LayeredDefaults;
import io.fleetcrawl.settings.SettingLayers;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** What requests carry is set by flags for every crawl and per crawl in a --crawls file. */
class CrawlOptionsTest {
  private static CrawlOptions parse(String... args) {
    CrawlOptions options = new CrawlOptions();
    // With the bundled defaults, lists included, as the crawl command has them.
    LayeredDefaults.applyLists(
        new CommandLine(options)
            .setCaseInsensitiveEnumValuesAllowed(true)
            .setDefaultValueProvider(
                new LayeredDefaults(SettingLayers.load(null, Map.of()), "crawl"))
            .parseArgs(args));
    return options;
  }

  @Test
  void flagsSetCookiesAndHeadersAndACrawlsFileEntryOverridesThem() {
    CrawlOptions options = parse("--header", "Accept-Language: de", "--max-cookies-per-host", "7");
    CrawlConfig plain = options.crawlConfig();
    assertFalse(plain.requests().cookies());
    assertEquals(7, plain.requests().maxCookiesPerHost());
    assertEquals("de", plain.requests().headers().get(0).value());

    CrawlConfig entry =
        options.crawlConfig(
            Map.of(
                "name",
                "shop",
                "cookies",
                true,
                "header",
                List.of("*.shop.example=X-Team: crawl", "Accept-Language: fr")),
            "entry 1");
    assertTrue(entry.requests().cookies());
    assertEquals(2, entry.requests().headers().size());
    assertEquals("*.shop.example", entry.requests().headers().get(0).hosts().text());
  }

  @Test
  void badHeaderInACrawlsFileIsRefusedNamingTheEntry() {
    CrawlOptions options = parse();
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                options.crawlConfig(
                    Map.of("header", List.of("Host: elsewhere.example")), "crawls.json entry 2"));
    assertTrue(e.getMessage().startsWith("crawls.json entry 2: "), e.getMessage());
    assertTrue(e.getMessage().contains("header 'Host' cannot be set"), e.getMessage());
  }

  @Test
  void aGentlyStartedHostBeginsAtFourInFlightAnUnpacedOneAtTwoNeitherAboveTheCeiling() {
    assertEquals(4, parse().budgetConfig().controller().initialConcurrency());
    assertEquals(2, parse("--start-rate", "0").budgetConfig().controller().initialConcurrency());
    assertEquals(
        3, parse("--per-host-concurrency", "3").budgetConfig().controller().initialConcurrency());
    assertEquals(
        1,
        parse("--per-host-concurrency", "1", "--start-rate", "0")
            .budgetConfig()
            .controller()
            .initialConcurrency());
  }

  @Test
  void mostUrlsPerHostDefaultsToTwoMillionAndRefusesWhatCouldNotMoveBetweenMembers() {
    assertEquals(2_000_000, parse().crawlConfig().maxUrlsPerHost());
    assertEquals(5, parse().crawlConfig(Map.of("maxUrlsPerHost", 5), "entry 1").maxUrlsPerHost());
    for (String bad : List.of("0", "30000000")) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> parse("--max-urls-per-host", bad).crawlConfig());
      assertTrue(e.getMessage().contains("max-urls-per-host"), e.getMessage());
      assertTrue(e.getMessage().contains("2 GiB"), e.getMessage());
    }
  }

  @Test
  void spiderTrapLimitsDefaultFromTheDefaultsFileCanBeChangedPerCrawlAndBadOnesAreNamed() {
    TrapLimits defaults = parse().crawlConfig().traps();
    assertEquals(TrapLimits.defaults(), defaults);
    assertEquals(100, parse().crawlConfig().maxDepth());
    TrapLimits given =
        parse("--strip-param", "sid", "--strip-param", "ref_*", "--max-query-params", "0")
            .crawlConfig()
            .traps();
    assertEquals(List.of("sid", "ref_*"), given.stripParams(), "a list given replaces the default");
    assertTrue(given.strips("REF_source"));
    assertEquals(0, given.maxQueryParams());
    assertEquals(
        7,
        parse()
            .crawlConfig(Map.of("max-segment-repeats", 7), "entry 1")
            .traps()
            .maxSegmentRepeats());
    for (String[] bad :
        List.of(
            new String[] {"--max-segment-repeats", "-1"},
            new String[] {"--max-url-length", "10"},
            new String[] {"--strip-param", "a b"})) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> parse(bad).crawlConfig());
      assertTrue(e.getMessage().contains(bad[0].substring(2)), e.getMessage());
    }
  }

  @Test
  void aContactUrlIsAddedToTheUserAgentAndTheRobotsAgentNameStaysTheFirstToken() {
    CrawlConfig config = parse("--contact", "https://example.org/bot").crawlConfig();
    assertEquals("fleetcrawl/0.1 (+https://example.org/bot)", config.userAgent());
    assertEquals("fleetcrawl", config.robotsAgentName());

    CrawlConfig own =
        parse("--user-agent", "examplebot/2.0", "--contact", "mailto:crawl@example.org")
            .crawlConfig();
    assertEquals("examplebot/2.0 (+mailto:crawl@example.org)", own.userAgent());

    CrawlConfig perCrawl =
        parse("--contact", "https://example.org/bot")
            .crawlConfig(Map.of("name", "shop", "contact", "https://shop.example/crawler"), "e");
    assertEquals("fleetcrawl/0.1 (+https://shop.example/crawler)", perCrawl.userAgent());
  }

  @Test
  void aContactThatIsNotAUrlAHeaderCanCarryIsRefusedNamingTheFlag() {
    for (String bad :
        new String[] {"javascript:alert(1)", "https://a.example/\r\nX-Evil: 1", "me at home"}) {
      InvalidInputException e =
          assertThrows(
              InvalidInputException.class, () -> parse("--contact", bad).crawlConfig(), bad);
      assertTrue(e.getMessage().startsWith("invalid --contact"), e.getMessage());
      assertFalse(e.getMessage().contains("\n"), "no line break echoed: " + e.getMessage());
    }
  }

  @Test
  void bodyMemoryDefaultsToAQuarterOfTheHeapAndASizeBelowTwoPagesIsRefusedNamingTheFlag() {
    long heap = 1L << 30;
    assertEquals(heap / 4, parse().fetchConfig().bodyMemoryLimit(heap));
    assertEquals(64L << 20, parse("--body-memory-mb", "64").fetchConfig().bodyMemoryLimit(heap));
    for (String bad : new String[] {"-1", "19"}) {
      InvalidInputException e =
          assertThrows(
              InvalidInputException.class, () -> parse("--body-memory-mb", bad).fetchConfig(), bad);
      assertTrue(e.getMessage().contains("body-memory-mb"), e.getMessage());
    }
  }
}
