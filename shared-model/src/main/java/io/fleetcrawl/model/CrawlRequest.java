package io.fleetcrawl.model;

import java.io.Serializable;
import java.util.Objects;

/**
 * A URL admitted to a crawl, as it travels from intake through the frontier to a fetch worker.
 *
 * @param url the normalised absolute URL
 * @param depth link hops from the seed it was found through; seeds have depth 0
 * @param attempts fetch attempts already made; 0 for a fresh URL
 * @param redirects redirects in a row that led here (a 3xx or a meta refresh each); 0 for a seed or
 *     a link. A request whose every hop from its seed was a redirect has {@code redirects ==
 *     depth}.
 * @param sitemap 0 for a page; {@link #SITEMAP} for a sitemap a robots.txt names, {@link
 *     #CHILD_SITEMAP} for one a sitemap index names (whose own children are not followed)
 */
public record CrawlRequest(String url, int depth, int attempts, int redirects, int sitemap)
    implements Serializable {
  /** A sitemap named by a robots.txt: a sitemap or a sitemap index. */
  public static final int SITEMAP = 1;

  /** A sitemap named by a sitemap index: the protocol does not nest indexes. */
  public static final int CHILD_SITEMAP = 2;

  /** Deepest depth a request can hold; the frontier's compact forms hold no more. */
  public static final int MAX_DEPTH = 0x3FFF;

  /** Most attempts a request can count; the frontier's compact forms hold no more. */
  public static final int MAX_ATTEMPTS = 31;

  /** Most redirects in a row a request can count; the frontier's compact forms hold no more. */
  public static final int MAX_REDIRECTS = 7;

  public CrawlRequest {
    Objects.requireNonNull(url, "url");
    if (depth < 0) throw new IllegalArgumentException("depth must be >= 0, was " + depth);
    if (attempts < 0) throw new IllegalArgumentException("attempts must be >= 0, was " + attempts);
    if (sitemap < 0 || sitemap > CHILD_SITEMAP) {
      throw new IllegalArgumentException("sitemap must be 0..2, was " + sitemap);
    }
    if (redirects < 0 || redirects > MAX_REDIRECTS) {
      throw new IllegalArgumentException(
          "redirects must be 0.." + MAX_REDIRECTS + ", was " + redirects);
    }
  }

  /** A page not reached through a redirect. */
  public CrawlRequest(String url, int depth, int attempts) {
    this(url, depth, attempts, 0, 0);
  }

  /** A page. */
  public CrawlRequest(String url, int depth, int attempts, int redirects) {
    this(url, depth, attempts, redirects, 0);
  }

  /** Returns a seed request at depth 0. */
  public static CrawlRequest seed(String url) {
    return new CrawlRequest(url, 0, 0);
  }

  /** Returns the same request with one more attempt counted. */
  public CrawlRequest nextAttempt() {
    return new CrawlRequest(url, depth, attempts + 1, redirects, sitemap);
  }

  /** Returns whether every hop from the seed to this request was a redirect (or it is a seed). */
  public boolean seedOrSeedRedirect() {
    return redirects == depth;
  }
}
