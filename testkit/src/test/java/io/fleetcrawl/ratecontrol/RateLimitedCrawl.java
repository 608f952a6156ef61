package io.fleetcrawl.ratecontrol;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.fleetcrawl.bus.Json;
import io.fleetcrawl.cli.Fleetcrawl;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;

/**
 * What the rate-limit tests share: one node crawls a rate-limited site with learned budgets, and
 * the site's answers per second are judged after the convergence allowance.
 */
final class RateLimitedCrawl {
  /** Seconds a crawl has to converge before its figures count. */
  static final long ALLOWANCE_S = 10;

  private RateLimitedCrawl() {}

  /**
   * Crawls from {@code seed} into {@code out} with learned budgets and one worker; asserts every
   * one of {@code pages} has its line and none was given up (every line answered 200).
   */
  static void crawlEveryPage(Path out, String seed, int pages, String... extra) throws Exception {
    List<String> args =
        new ArrayList<>(
            List.of(
                "crawl",
                "--seeds",
                seed,
                "--out",
                out.toString(),
                "--allow-private-networks",
                "--adaptive-budgets",
                "--no-progress",
                "--workers",
                "1"));
    args.addAll(List.of(extra));
    assertEquals(0, Fleetcrawl.commandLine().execute(args.toArray(String[]::new)));
    List<String> lines = Files.readAllLines(out.resolve("pages.jsonl"));
    assertEquals(pages, lines.size(), "every page has its line");
    for (String line : lines) {
      JsonNode page = Json.MAPPER.readTree(line);
      assertEquals(200, page.path("status").asInt(), "no URL given up: " + line);
    }
  }

  /**
   * A crawl as the site saw it.
   *
   * @param seconds seconds from the first to the last one with an answer, both counted
   * @param goodput 200s per second from the allowance to the last (partial) second, excluded
   * @param share 429s among the answers over the same span
   * @param timeline "200s/429s" per second from the first
   */
  record Judged(long seconds, double goodput, double share, String timeline) {
    /** Judges answers per second ({@code {200s, 429s}} by second), counting from {@code first}. */
    static Judged of(SortedMap<Long, long[]> perSecond, long first) {
      long last = perSecond.lastKey();
      long ok = 0;
      long throttled = 0;
      StringBuilder timeline = new StringBuilder();
      for (long s = first; s <= last; s++) {
        long[] c = perSecond.getOrDefault(s, new long[2]);
        if (s >= first + ALLOWANCE_S && s < last) {
          ok += c[0];
          throttled += c[1];
        }
        timeline.append(c[0]).append('/').append(c[1]).append(' ');
      }
      return new Judged(
          last - first + 1,
          ok / (double) Math.max(1, last - first - ALLOWANCE_S),
          throttled / (double) Math.max(1, ok + throttled),
          timeline.toString().trim());
    }
  }
}
