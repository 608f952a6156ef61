package io.fleetcrawl.ratecontrol;

/**
 * How a crawl governs each host's request rate, as the fetch path sees it: what every answer tells
 * it, whether a throttled host is paced by the coordinator or paused, and the concurrency a host's
 * claims carry before the coordinator has decided on it.
 */
public interface RateControl {
  /** Records what one fetch told about its key's host. */
  void observe(String key, HostSignal signal);

  /**
   * Returns whether the coordinator paces hosts: then a 429/503 without Retry-After cuts the host's
   * pace (learned from the reports) instead of pausing it; the site's own Retry-After always pauses
   * it.
   */
  boolean paces();

  /** Returns the concurrency a key's claims carry until the coordinator sets a budget for it. */
  int startingLimit();

  /** Fixed budgets: every host gets {@code perHost} requests in flight, and nothing is learned. */
  static RateControl fixed(int perHost) {
    return new RateControl() {
      @Override
      public void observe(String key, HostSignal signal) {}

      @Override
      public boolean paces() {
        return false;
      }

      @Override
      public int startingLimit() {
        return perHost;
      }
    };
  }

  /**
   * Learned budgets: answers go into {@code reports}, which the node's {@link BudgetCoordinator}
   * drains each interval; hosts start at {@code startingLimit}.
   */
  static RateControl learned(DomainReports reports, int startingLimit) {
    return new RateControl() {
      @Override
      public void observe(String key, HostSignal signal) {
        reports.observe(key, signal);
      }

      @Override
      public boolean paces() {
        return true;
      }

      @Override
      public int startingLimit() {
        return startingLimit;
      }
    };
  }
}
