package io.fleetcrawl.robots;

import crawlercommons.robots.BaseRobotRules;
import crawlercommons.robots.SimpleRobotRules;
import crawlercommons.robots.SimpleRobotRules.RobotRulesMode;

/**
 * The robots.txt verdict for one origin.
 *
 * @param rules the parsed rules (allow-all or allow-none when there was no usable file)
 * @param unreachable true when robots.txt could not be fetched (5xx, network error): RFC 9309 says
 *     to assume complete disallow, which the crawler treats as "not yet": URLs wait and retry
 * @param expiresAt when the verdict should be fetched again
 * @param refused why the origin may not be fetched at all (its robots.txt, or where that redirects,
 *     is on a network the crawl refuses), or null; its URLs end with this reason
 * @param busy true when there is no verdict at all: the worker's own connection pool had no room to
 *     ask (its backpressure), so nothing is known of the host; such a verdict is not kept
 */
public record RobotsRules(
    BaseRobotRules rules, boolean unreachable, long expiresAt, String refused, boolean busy) {

  public RobotsRules(BaseRobotRules rules, boolean unreachable, long expiresAt) {
    this(rules, unreachable, expiresAt, null, false);
  }

  public RobotsRules(BaseRobotRules rules, boolean unreachable, long expiresAt, String refused) {
    this(rules, unreachable, expiresAt, refused, false);
  }

  /**
   * Returns the verdict "robots.txt unreachable": everything disallowed until {@code expiresAt}.
   */
  public static RobotsRules unreachableUntil(long expiresAt) {
    return new RobotsRules(new SimpleRobotRules(RobotRulesMode.ALLOW_NONE), true, expiresAt);
  }

  /** Returns "not asked": the pool had no room for robots.txt; already stale at {@code now}. */
  static RobotsRules busy(long now) {
    return new RobotsRules(new SimpleRobotRules(RobotRulesMode.ALLOW_NONE), true, now, null, true);
  }

  /** Returns whether the URL may be fetched now. */
  public boolean allows(String url) {
    return !unreachable && rules.isAllowed(url);
  }

  /** Returns the crawl-delay in milliseconds, or 0 when the file sets none. */
  public long crawlDelayMs() {
    long delay = rules.getCrawlDelay();
    return delay == BaseRobotRules.UNSET_CRAWL_DELAY || delay < 0 ? 0 : delay;
  }
}
