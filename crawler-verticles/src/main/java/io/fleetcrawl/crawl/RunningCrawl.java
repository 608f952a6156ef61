package io.fleetcrawl.crawl;

import io.fleetcrawl.config.CrawlConfig;
import io.fleetcrawl.config.FetchConfig;
import io.fleetcrawl.config.OutputConfig;
import io.fleetcrawl.control.CrawlControls;
import io.fleetcrawl.frontier.FrontierStore;
import io.fleetcrawl.intake.UrlIntake;
import io.fleetcrawl.metrics.CrawlStats;
import io.fleetcrawl.metrics.PoolMetrics;
import io.fleetcrawl.output.ResultSink;
import io.fleetcrawl.ratecontrol.RateControl;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;

/**
 * What a node's verticles share about one crawl: its settings, its frontier, its intake, where its
 * results go and its counters. Every member is safe to use from any event loop. {@code stopping} is
 * set when the node is leaving: its workers settle what they hold and claim nothing more. {@code
 * mayClaim} says whether this node should claim URLs of a key now (see KeyDispatch). {@code rates}
 * is how the crawl governs each host's rate (fixed or learned budgets). {@code sink} is every place
 * the crawl's results go (JSONL, WARC), written in one call per batch. {@code controls} is what an
 * operator has told the crawl (paused, cancelled, hosts blocked), checked before every fetch.
 */
public record RunningCrawl(
    CrawlConfig config,
    FetchConfig fetch,
    FrontierStore frontier,
    UrlIntake intake,
    OutputConfig output,
    ResultSink sink,
    CrawlStats stats,
    PoolMetrics poolMetrics,
    AtomicBoolean stopping,
    long leaseMs,
    Predicate<String> mayClaim,
    RateControl rates,
    CrawlControls controls) {

  /**
   * Returns the limit a key's claims carry: the fixed per-host concurrency, or with learned budgets
   * the starting budget, until the coordinator's own budget for the key replaces it.
   */
  public int keyLimit() {
    return rates.startingLimit();
  }

  /**
   * Returns the default lease: a whole fetch, its robots.txt fetch and a generous allowance for
   * writing the result, so a live worker's lease never expires under it.
   */
  public static long defaultLeaseMs(FetchConfig fetch) {
    return 2L * fetch.totalTimeoutMs() + 60_000L;
  }
}
