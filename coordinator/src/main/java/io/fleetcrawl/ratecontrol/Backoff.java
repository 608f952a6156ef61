package io.fleetcrawl.ratecontrol;

/** Exponential back-off delays for failed attempts and throttled keys. */
public final class Backoff {
  /** Delay before the second attempt of a failed URL. */
  public static final long BASE_MS = 1_000;

  /** Longest delay between attempts. */
  public static final long MAX_MS = 300_000;

  /** Pause of a key answering 429/503 without Retry-After. */
  public static final long THROTTLE_BASE_MS = 2_000;

  /**
   * Wait before a URL answered 429 without Retry-After is asked again when the host is paced: the
   * pace, cut at once on the 429s, already protects the host, and a longer wait only leaves the
   * refused URLs for the end of the crawl.
   */
  public static final long THROTTLE_PACED_MS = 500;

  private Backoff() {}

  /**
   * Returns the delay before attempt {@code attempt + 1}: base × 2^(attempt-1), capped, with {@code
   * jitter} in [0, 1) spreading it by up to +25% so retries of many URLs do not align.
   */
  public static long delayMs(long baseMs, int attempt, double jitter) {
    int exponent = Math.max(0, Math.min(attempt - 1, 20));
    long delay = Math.min(MAX_MS, baseMs << exponent);
    return delay + (long) (delay * 0.25 * jitter);
  }
}
