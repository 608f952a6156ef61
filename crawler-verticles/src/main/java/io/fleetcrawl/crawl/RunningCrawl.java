package io.fleetcrawl.crawl;

import io.fleetcrawl.config.CrawlConfig;
import io.fleetcrawl.config.FetchConfig;
import io.fleetcrawl.frontier.FrontierStore;
import io.fleetcrawl.intake.UrlIntake;
import io.fleetcrawl.metrics.CrawlStats;
import io.fleetcrawl.metrics.PoolMetrics;
import io.fleetcrawl.output.JsonlResultSink;

/**
 * What a node's verticles share about one crawl: its settings, its frontier, its intake, where its
 * results go and its counters. Every member is safe to use from any event loop.
 */
public record RunningCrawl(
    CrawlConfig config,
    FetchConfig fetch,
    FrontierStore frontier,
    UrlIntake intake,
    JsonlResultSink sink,
    CrawlStats stats,
    PoolMetrics poolMetrics) {

  /**
   * Returns how long a lease lasts: a whole fetch, its robots.txt fetch and a generous allowance
   * for writing the result, so a live worker's lease never expires under it.
   */
  public long leaseMs() {
    return 2L * fetch.totalTimeoutMs() + 60_000L;
  }
}
