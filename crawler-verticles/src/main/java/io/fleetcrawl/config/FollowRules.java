package io.fleetcrawl.config;

import static io.fleetcrawl.model.InvalidInputException.requireSetting;

import io.fleetcrawl.model.CrawlRequest;

/**
 * Which of a response's pointers elsewhere the crawl follows beyond its links: redirects (3xx and
 * meta refresh) up to a chain length, and canonical links when asked. Immutable; validated at
 * start-up.
 *
 * @param maxRedirects most redirects in a row; the target of one more is not admitted and the
 *     redirecting URL's result says why
 * @param followCanonical whether a page's canonical URL ({@code <link rel=canonical>} or a {@code
 *     Link: rel="canonical"} header) is admitted like a link; it is recorded either way
 * @param sitemaps whether the sitemaps each host's robots.txt names are fetched and the URLs they
 *     list admitted like links
 * @param maxSitemapBytes most bytes of one sitemap read (after decompression)
 */
public record FollowRules(
    int maxRedirects, boolean followCanonical, boolean sitemaps, int maxSitemapBytes) {
  /** The sitemaps protocol's own limit for one file, uncompressed. */
  public static final int DEFAULT_MAX_SITEMAP_BYTES = 50 << 20;

  /** What browsers' early limit and this crawler's robots.txt fetches use. */
  public static final int DEFAULT_MAX_REDIRECTS = 5;

  public FollowRules {
    requireSetting(
        maxRedirects >= 0 && maxRedirects <= CrawlRequest.MAX_REDIRECTS,
        "max-redirects",
        "must be 0.." + CrawlRequest.MAX_REDIRECTS + ", was " + maxRedirects);
    requireSetting(
        maxSitemapBytes >= 1024, "max-sitemap-bytes", "must be >= 1024, was " + maxSitemapBytes);
  }

  /**
   * Returns the defaults: 5 redirects in a row, canonical links recorded but not followed, no
   * sitemaps.
   */
  public static FollowRules defaults() {
    return new FollowRules(DEFAULT_MAX_REDIRECTS, false, false, DEFAULT_MAX_SITEMAP_BYTES);
  }
}
