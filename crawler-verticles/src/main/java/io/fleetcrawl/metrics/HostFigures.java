package io.fleetcrawl.metrics;

/**
 * One politeness key (host) as the status command, the status page and {@code /metrics} show it:
 * the frontier's counts and budget plus rates over the last window.
 *
 * @param key the politeness key
 * @param queued URLs waiting (ready and delayed)
 * @param leased URLs leased to workers on any node, i.e. requests in flight
 * @param done URLs settled for good (failed ones included)
 * @param failed URLs given up
 * @param throttled 429/503 answers ever settled
 * @param settled settlements ever (done, retried or throttled)
 * @param budget requests in flight the key may have across the cluster
 * @param spacingMicros minimum time between two requests the budget sets, microseconds (0: unpaced)
 * @param coordinated whether the coordinator set the budget (else the fixed per-host limit)
 * @param nextAllowedAt epoch ms before which no request may start
 * @param backoffUntil epoch ms the key is held back to beyond its pace (Retry-After, back-off,
 *     crawl-delay), 0 when it is not
 * @param pagesPerSecond successful pages per second over the last window (goodput)
 * @param recentThrottledShare share of 429/503 among the settlements of the last window
 */
public record HostFigures(
    String key,
    long queued,
    long leased,
    long done,
    long failed,
    long throttled,
    long settled,
    int budget,
    long spacingMicros,
    boolean coordinated,
    long nextAllowedAt,
    long backoffUntil,
    double pagesPerSecond,
    double recentThrottledShare) {

  /** Returns the rate the budget allows, requests per second; 0 when unpaced. */
  public double requestsPerSecondLimit() {
    return spacingMicros > 0 ? 1_000_000.0 / spacingMicros : 0;
  }
}
