package io.fleetcrawl.cli;

import io.fleetcrawl.metrics.CrawlStats;
import io.fleetcrawl.metrics.PoolMetrics;

/** Formats the live progress line: what a person watching a crawl wants at a glance. */
final class ProgressLine {
  private long lastTerminal;
  private long lastNanos;

  ProgressLine(long startNanos) {
    this.lastNanos = startNanos;
  }

  /** Returns the line for now, with the rate since the previous line. */
  String format(CrawlStats stats, PoolMetrics pool, long nowNanos) {
    long terminal = stats.terminal.sum();
    double seconds = Math.max(1e-3, (nowNanos - lastNanos) / 1e9);
    double rate = (terminal - lastTerminal) / seconds;
    lastTerminal = terminal;
    lastNanos = nowNanos;
    long inFlight = stats.inFlight.get();
    return String.format(
        "pages %,d | %,.0f/s | queued %,d | in flight %d | 2xx %,d 3xx %,d 4xx %,d 5xx %,d 429/503 %,d"
            + " | errors %,d | retries %,d | conns %d",
        terminal,
        rate,
        Math.max(0, stats.outstanding() - inFlight),
        inFlight,
        stats.status2xx.sum(),
        stats.status3xx.sum(),
        stats.status4xx.sum(),
        stats.status5xx.sum(),
        stats.throttled.sum(),
        stats.fetchErrors.sum(),
        stats.retries.sum(),
        pool.openConnections());
  }
}
