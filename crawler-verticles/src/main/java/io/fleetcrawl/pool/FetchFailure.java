package io.fleetcrawl.pool;

/**
 * Why a fetch got no response. The kind, not the message, decides what becomes of the URL: whether
 * trying again later may succeed, and whether the failure is the crawler's own backpressure rather
 * than the site's.
 */
public enum FetchFailure {
  /** The URL cannot be fetched as written (no host, a port out of range, bad syntax). */
  MALFORMED_URL(false),
  /** The host leads to an internal address the crawl may not reach. */
  PRIVATE_NETWORK(false),
  /** The host name did not resolve. */
  DNS(true),
  /** No TCP connection could be made. */
  CONNECT(true),
  /** The TLS handshake failed (certificate, protocol): the same next time. */
  TLS(false),
  /** A phase or the whole fetch took too long. */
  TIMEOUT(true),
  /** The peer closed the connection before the response was complete. */
  CLOSED(true),
  /** The proxy refused or failed, not the site. */
  PROXY(true),
  /** The worker's pool queue was full: backpressure, not a failure of the URL. */
  POOL_BUSY(true),
  /** The fetch could not even start (an input the HTTP client rejects). */
  CANNOT_START(false),
  /** Anything else the client reported. */
  OTHER(true);

  private final boolean retryable;

  FetchFailure(boolean retryable) {
    this.retryable = retryable;
  }

  /** Returns whether trying again later may succeed. */
  public boolean retryable() {
    return retryable;
  }
}
