package io.fleetcrawl.frontier;

/**
 * How a worker ends one lease.
 *
 * @param leaseId the lease's fencing token
 * @param retryAt for a retry, the earliest time of the next attempt; {@link #DONE} when the URL
 *     reached its terminal state
 * @param countsAsAttempt whether a retry uses up one of the URL's attempts; a 429 does not, since
 *     the site is throttling rather than failing
 * @param failed for a finished URL, whether its terminal state is a failure
 * @param throttled for a retry, whether the site answered 429 or 503 (counted per key for status)
 */
public record Settlement(
    long leaseId, long retryAt, boolean countsAsAttempt, boolean failed, boolean throttled) {
  /** Marks a settlement whose URL is finished. */
  public static final long DONE = -1;

  /** Returns the settlement of a lease whose URL reached its terminal state. */
  public static Settlement done(long leaseId) {
    return new Settlement(leaseId, DONE, false, false, false);
  }

  /** Returns the settlement of a lease whose URL was given up. */
  public static Settlement failed(long leaseId) {
    return new Settlement(leaseId, DONE, false, true, false);
  }

  /** Returns the settlement that queues the URL again, not before {@code retryAt}. */
  public static Settlement retry(long leaseId, long retryAt, boolean countsAsAttempt) {
    return new Settlement(leaseId, retryAt, countsAsAttempt, false, false);
  }

  /** Returns the settlement of a 429 or 503: queued again, not before {@code retryAt}. */
  public static Settlement throttled(long leaseId, long retryAt, boolean countsAsAttempt) {
    return new Settlement(leaseId, retryAt, countsAsAttempt, false, true);
  }

  /** Returns whether the URL is finished. */
  public boolean isDone() {
    return retryAt == DONE;
  }
}
