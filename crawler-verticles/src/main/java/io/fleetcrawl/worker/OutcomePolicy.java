package io.fleetcrawl.worker;

import io.fleetcrawl.model.CrawlRequest;
import io.fleetcrawl.pool.FetchFailure;
import io.fleetcrawl.pool.FetchOutcome;
import io.fleetcrawl.ratecontrol.Backoff;
import io.fleetcrawl.ratecontrol.HostSignal;
import io.fleetcrawl.ratecontrol.RetryAfter;

/**
 * Decides what becomes of a URL after a fetch: queued again (when, whether it costs an attempt,
 * whether its host pauses), given up with an error, or finished with its response. Pure: time and
 * jitter are passed in, so every rule is a unit test.
 */
final class OutcomePolicy {
  /** Delay before a request refused by a full pool queue is tried again. */
  static final long POOL_BUSY_DELAY_MS = 250;

  private OutcomePolicy() {}

  /** What to do with the URL. */
  sealed interface Decision {}

  /**
   * Queue the URL again.
   *
   * @param at earliest next attempt
   * @param countsAsAttempt whether this uses up one of the URL's attempts
   * @param pauseHostUntil no request to the host before this time; 0 for no pause
   */
  record Retry(long at, boolean countsAsAttempt, long pauseHostUntil) implements Decision {}

  /** End the URL with an error. */
  record GiveUp(String error) implements Decision {}

  /** End the URL with its response. */
  record Finish() implements Decision {}

  /**
   * Returns the decision for a fetch outcome.
   *
   * @param jitter in [0, 1), spreads back-offs
   */
  static Decision decide(
      FetchOutcome outcome, CrawlRequest request, int maxAttempts, long now, double jitter) {
    return decide(outcome, request, maxAttempts, now, jitter, false);
  }

  /**
   * Returns the decision for a fetch outcome.
   *
   * @param jitter in [0, 1), spreads back-offs
   * @param paced whether the coordinator paces the host: then a 429/503 without Retry-After does
   *     not pause the host (the pace is cut instead); the site's own Retry-After always does
   */
  static Decision decide(
      FetchOutcome outcome,
      CrawlRequest request,
      int maxAttempts,
      long now,
      double jitter,
      boolean paced) {
    if (!outcome.responded()) {
      if (outcome.failure() == FetchFailure.POOL_BUSY) {
        return poolBusy(now);
      }
      return outcome.retryable()
          ? retryWithBackoff(request, maxAttempts, outcome.error(), now, jitter)
          : new GiveUp(outcome.error());
    }
    int status = outcome.status();
    if (HostSignal.isThrottle(status)) {
      long asked = RetryAfter.until(status, outcome.retryAfter(), now);
      long wait = paced ? Backoff.THROTTLE_PACED_MS : Backoff.THROTTLE_BASE_MS;
      long until = asked > 0 ? asked : now + Backoff.delayMs(wait, 1, jitter);
      long hostPause = asked > 0 || !paced ? until : 0;
      if (status == 429) {
        // A site that throttles is not failing: never give a URL up for 429s.
        return new Retry(until, false, hostPause);
      }
      // A 503 may be an outage rather than throttling: it pauses the host and uses up attempts.
      Decision retry = retryAt(request, maxAttempts, "HTTP 503", until);
      return retry instanceof Retry r ? new Retry(r.at(), true, hostPause) : retry;
    }
    if (status >= 500 && request.attempts() + 1 < maxAttempts) {
      return retryWithBackoff(request, maxAttempts, "HTTP " + status, now, jitter);
    }
    return new Finish();
  }

  /** Returns a retry after the exponential back-off of the URL's next attempt, or a give-up. */
  static Decision retryWithBackoff(
      CrawlRequest request, int maxAttempts, String error, long now, double jitter) {
    return retryAt(
        request,
        maxAttempts,
        error,
        now + Backoff.delayMs(Backoff.BASE_MS, request.attempts() + 1, jitter));
  }

  /** Returns a counted retry at {@code at}, or a give-up when the URL's attempts are used up. */
  /**
   * The worker's own pool had no room (its wait queue is full): backpressure, not a failure of the
   * URL or of its host, so it is tried again shortly without counting an attempt.
   */
  static Retry poolBusy(long now) {
    return new Retry(now + POOL_BUSY_DELAY_MS, false, 0);
  }

  static Decision retryAt(CrawlRequest request, int maxAttempts, String error, long at) {
    int attemptsAfter = request.attempts() + 1;
    if (attemptsAfter >= maxAttempts) {
      return new GiveUp(error + " (after " + attemptsAfter + " attempts)");
    }
    return new Retry(at, true, 0);
  }
}
