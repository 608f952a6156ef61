package io.fleetcrawl.frontier;

import crawlercommons.domains.EffectiveTldFinder;
import java.util.Locale;

/**
 * The unit of politeness: URLs sharing a key share one queue, one concurrency limit and one
 * crawl-delay. By default the key is the lower-case host, so http and https of a host, and every
 * port of it, are throttled together; {@link io.fleetcrawl.config.PolitenessMode} names the wider
 * keys.
 */
public final class PolitenessKey {
  private PolitenessKey() {}

  /** Returns the politeness key of a URL's host. */
  public static String of(String host) {
    return host.toLowerCase(Locale.ROOT);
  }

  /**
   * Returns the registrable domain of a host (crawler-commons' copy of the public suffix list), or
   * the host itself for an IP literal, a bare name or a public suffix.
   */
  public static String domainOf(String host) {
    String lower = host.toLowerCase(Locale.ROOT);
    if (lower.startsWith("[") || lower.matches("[0-9.]+")) {
      return lower;
    }
    String domain = EffectiveTldFinder.getAssignedDomain(lower, true, false);
    if (domain != null && !domain.isEmpty()) {
      return domain;
    }
    // No rule of the list matches (an intranet's .test, .lan): the list's default rule "*" makes
    // the last label the suffix, so a.site.test and b.site.test are one site, as browsers see it.
    int last = lower.lastIndexOf('.');
    int previous = last <= 0 ? -1 : lower.lastIndexOf('.', last - 1);
    return previous < 0 ? lower : lower.substring(previous + 1);
  }
}
