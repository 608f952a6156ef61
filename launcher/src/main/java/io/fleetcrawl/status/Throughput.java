package io.fleetcrawl.status;

import io.fleetcrawl.metrics.CrawlStats;
import io.vertx.core.Vertx;

/** Pages per second over the last few seconds, sampled once a second. */
final class Throughput implements AutoCloseable {
  private static final int WINDOW = 5;

  private final Vertx vertx;
  private final CrawlStats stats;
  private final long[] samples = new long[WINDOW + 1];
  private final long timer;
  private int taken;
  private volatile double rate;

  Throughput(Vertx vertx, CrawlStats stats) {
    this.vertx = vertx;
    this.stats = stats;
    this.timer = vertx.setPeriodic(1_000, id -> sample());
  }

  private void sample() {
    samples[taken % samples.length] = stats.pages.sum();
    taken++;
    int span = Math.min(taken - 1, WINDOW);
    if (span > 0) {
      long newest = samples[(taken - 1) % samples.length];
      long oldest = samples[(taken - 1 - span) % samples.length];
      rate = Math.round((newest - oldest) * 10.0 / span) / 10.0;
    }
  }

  double pagesPerSecond() {
    return rate;
  }

  @Override
  public void close() {
    vertx.cancelTimer(timer);
  }
}
