package io.fleetcrawl.model;

/** Why intake refused a URL. Every refusal names one, so a feed's author can fix the list. */
public enum RejectReason {
  /** Not a parseable absolute URL. */
  MALFORMED,
  /** A scheme other than http or https. */
  DISALLOWED_SCHEME,
  /** Outside the crawl's host/domain scope or its include/exclude patterns. */
  OUT_OF_SCOPE,
  /** A loopback, private or link-local target while private networks are not allowed. */
  PRIVATE_NETWORK,
  /** Already admitted to this crawl. */
  DUPLICATE,
  /** Deeper than the crawl's maximum depth. */
  TOO_DEEP,
  /** The crawl's page limit is reached. */
  LIMIT_REACHED,
  /** The host already holds the crawl's most URLs per host ({@code --max-urls-per-host}). */
  HOST_FULL,
  /** Longer than the crawl's {@code --max-url-length}. */
  URL_TOO_LONG,
  /** A path segment repeated more often than {@code --max-segment-repeats}: nesting links. */
  REPEATED_SEGMENTS,
  /** More query parameters than {@code --max-query-params}: a query that grows hop by hop. */
  TOO_MANY_PARAMETERS,
  /** A redirect target reached through more redirects in a row than {@code --max-redirects}. */
  TOO_MANY_REDIRECTS,
  /** The operator cancelled the crawl: it admits nothing more. */
  CRAWL_CANCELLED;

  /** Returns whether the same URL found at a shallower depth, or later, might be admitted. */
  public boolean dependsOnDepth() {
    return this == TOO_DEEP || this == LIMIT_REACHED;
  }
}
