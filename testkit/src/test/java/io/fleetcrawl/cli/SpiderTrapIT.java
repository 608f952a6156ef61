package io.fleetcrawl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fleetcrawl.bus.Json;
import io.fleetcrawl.config.CrawlConfig;
import io.fleetcrawl.config.TrapLimits;
import io.fleetcrawl.testkit.site.TrapSite;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.YearMonth;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A crawl of a host made of spider traps (an endless calendar, nesting and branching relative
 * links, session ids in every link, a growing query, a growing path, a page of 200,000 links) ends
 * by itself with the default limits, without --max-pages, and each trap ends where its limit says.
 */
@Tag("integration")
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class SpiderTrapIT {
  private static final String HOST = "127.0.0.61";

  /** The bound docs/USAGE.md states for this site with the default limits. */
  private static final long STATED_BOUND = 11_300;

  @TempDir Path dir;
  private Vertx vertx;
  private TrapSite site;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    site = TrapSite.start(vertx, HOST).await(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(30, TimeUnit.SECONDS);
  }

  @Test
  void aTrapSiteCrawlEndsByItselfWithEachTrapEndedByItsOwnLimit() throws Exception {
    JsonNode summary = crawl("out");

    Map<String, Long> byTrap = site.requestsByTrap();
    long total = site.totalRequests();
    System.out.println(
        "trap site: " + total + " requests " + byTrap + "; refused " + summary.path("refused"));

    // The calendar: months up to 99 away from the first one (depth <= 100), and the days of the
    // months up to 98 away; a month's depth is its distance + 1, a day's one more.
    int depth = CrawlConfig.DEFAULT_MAX_DEPTH;
    YearMonth first = YearMonth.of(2026, 12);
    long calendar = 2L * (depth - 1) + 1;
    for (int o = -(depth - 2); o <= depth - 2; o++) {
      calendar += first.plusMonths(o).lengthOfMonth();
    }
    assertEquals(calendar, byTrap.get("calendar"), "calendar pages: the default --max-depth");
    assertEquals(3, byTrap.get("nest"), "/nest/, /nest/a/, /nest/a/a/: a third 'a' is refused");
    assertEquals(1 + 2 + 4 + 6 + 6, byTrap.get("branch"), "paths with at most two a and two b");
    assertEquals(1 + 10, byTrap.get("session"), "ten pages, however many session ids");
    assertEquals(
        TrapLimits.DEFAULT_MAX_QUERY_PARAMS, byTrap.get("search"), "one page per parameter");
    int seedLength = (site.seed() + "grow/x").length();
    long grow = (TrapLimits.DEFAULT_MAX_URL_LENGTH - seedLength) / 50 + 1;
    assertEquals(grow, byTrap.get("grow"), "pages until the URL passes --max-url-length");
    assertEquals(1, byTrap.get("big"));
    assertEquals(TrapLimits.DEFAULT_MAX_LINKS_PER_PAGE, byTrap.get("item"), "--max-links-per-page");
    assertEquals(1, byTrap.get("robots.txt"));
    assertEquals(1, byTrap.get("home"));
    assertTrue(
        total <= STATED_BOUND, total + " requests, more than the " + STATED_BOUND + " stated");

    assertEquals(total - 1, summary.path("results").asLong(), "one result per page fetched");
    JsonNode refused = summary.path("refused");
    assertTrue(refused.path("too_deep").asLong() > 0, summary.toString());
    assertTrue(refused.path("repeated_segments").asLong() > 0, summary.toString());
    assertTrue(refused.path("too_many_parameters").asLong() > 0, summary.toString());
    assertTrue(refused.path("url_too_long").asLong() > 0, summary.toString());
    assertEquals(
        TrapSite.BIG_PAGE_LINKS - TrapLimits.DEFAULT_MAX_LINKS_PER_PAGE,
        summary.path("linksCapped").asLong());
    for (String line : Files.readAllLines(dir.resolve("out").resolve("pages.jsonl"))) {
      String url = Json.MAPPER.readTree(line).path("url").asText();
      assertTrue(!url.toLowerCase().contains("sessionid") && !url.contains("utm_"), url);
    }
  }

  @Test
  void aSitePageBudgetEndsATrapSiteAtTheBudget() throws Exception {
    JsonNode summary = crawl("budget", "--max-urls-per-host", "300");
    long total = site.totalRequests();
    assertEquals(300, summary.path("results").asLong(), summary.toString());
    assertEquals(301, total, "300 pages and robots.txt: " + site.requestsByTrap());
    assertTrue(summary.path("refusedHostFull").asLong() > 0, summary.toString());
    assertEquals(
        summary.path("refusedHostFull").asLong(),
        summary.path("refused").path("host_full").asLong(),
        summary.toString());
  }

  private JsonNode crawl(String out, String... extra) throws Exception {
    String[] args = {
      "crawl",
      "--seeds",
      site.seed(),
      "--out",
      dir.resolve(out).toString(),
      "--allow-private-networks",
      "--no-progress",
      "--no-warc"
    };
    List<String> all = new java.util.ArrayList<>(List.of(args));
    all.addAll(List.of(extra));
    System.out.println(InProcessCrawl.run(all));
    return Json.MAPPER.readTree(dir.resolve(out).resolve("summary.json").toFile());
  }
}
