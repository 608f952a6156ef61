package io.fleetcrawl.frontier;

import java.util.Locale;

/**
 * The unit of politeness: URLs sharing a key share one queue, one concurrency limit and one
 * crawl-delay. The key is the lower-case host, so http and https of a host, and every port of it,
 * are throttled together.
 */
public final class PolitenessKey {
  private PolitenessKey() {}

  /** Returns the politeness key of a URL's host. */
  public static String of(String host) {
    return host.toLowerCase(Locale.ROOT);
  }
}
