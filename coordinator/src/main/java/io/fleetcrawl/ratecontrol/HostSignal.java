package io.fleetcrawl.ratecontrol;

/** What one fetch told rate control about its host: the one signal workers send it. */
public sealed interface HostSignal {
  /**
   * The host answered.
   *
   * @param throttled whether the answer was a 429 or a 503 (see {@link #isThrottle})
   * @param retryAfterUntil when its Retry-After lets requests resume (epoch ms), or 0 for none
   */
  record Answered(boolean throttled, long latencyMs, long retryAfterUntil) implements HostSignal {}

  /** The host gave no answer: connect error, reset, timeout. */
  record Unanswered() implements HostSignal {}

  /** Returns whether an HTTP status is the host asking the crawler to slow down. */
  static boolean isThrottle(int status) {
    return status == 429 || status == 503;
  }

  /** Returns the signal of an answer with this status and Retry-After header, at {@code now}. */
  static HostSignal answered(int status, long latencyMs, String retryAfter, long now) {
    return new Answered(isThrottle(status), latencyMs, RetryAfter.until(status, retryAfter, now));
  }
}
