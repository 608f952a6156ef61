package io.fleetcrawl.model;

import java.io.Serializable;
import java.util.Objects;

/**
 * A URL admitted to a crawl, as it travels from intake through the frontier to a fetch worker.
 *
 * @param url the normalised absolute URL
 * @param depth link hops from the seed it was found through; seeds have depth 0
 * @param attempts fetch attempts already made; 0 for a fresh URL
 */
public record CrawlRequest(String url, int depth, int attempts) implements Serializable {
  public CrawlRequest {
    Objects.requireNonNull(url, "url");
    if (depth < 0) throw new IllegalArgumentException("depth must be >= 0, was " + depth);
    if (attempts < 0) throw new IllegalArgumentException("attempts must be >= 0, was " + attempts);
  }

  /** Returns a seed request at depth 0. */
  public static CrawlRequest seed(String url) {
    return new CrawlRequest(url, 0, 0);
  }

  /** Returns the same request with one more attempt counted. */
  public CrawlRequest nextAttempt() {
    return new CrawlRequest(url, depth, attempts + 1);
  }
}
