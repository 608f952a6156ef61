package io.fleetcrawl.ratecontrol;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class RetryAfterTest {
  @Test
  void readsDeltaSeconds() {
    assertEquals(120_000, RetryAfter.parseMs("120", 0));
  }

  @Test
  void readsHttpDateRelativeToNow() {
    long now = java.time.Instant.parse("2015-10-21T07:27:00Z").toEpochMilli();
    assertEquals(60_000, RetryAfter.parseMs("Wed, 21 Oct 2015 07:28:00 GMT", now));
  }

  @Test
  void capsHugeValuesAtOneHour() {
    assertEquals(RetryAfter.MAX_MS, RetryAfter.parseMs("99999999999999999999", 0));
  }

  @Test
  void returnsMinusOneForAbsentOrGarbage() {
    assertEquals(-1, RetryAfter.parseMs(null, 0));
    assertEquals(-1, RetryAfter.parseMs("soon", 0));
  }

  @Test
  void onlyAThrottleAnswersRetryAfterIsADeadline() {
    assertEquals(31_000, RetryAfter.until(429, "30", 1_000));
    assertEquals(31_000, RetryAfter.until(503, "30", 1_000));
    assertEquals(0, RetryAfter.until(200, "30", 1_000), "a 200's Retry-After asks for nothing");
    assertEquals(0, RetryAfter.until(429, "soon", 1_000));
    assertEquals(0, RetryAfter.until(429, null, 1_000));
  }

  @Test
  void backoffDoublesPerAttemptUpToTheCap() {
    assertEquals(1_000, Backoff.delayMs(1_000, 1, 0));
    assertEquals(4_000, Backoff.delayMs(1_000, 3, 0));
    assertEquals(Backoff.MAX_MS, Backoff.delayMs(1_000, 40, 0));
    assertEquals(1_250, Backoff.delayMs(1_000, 1, 0.999999), 1);
  }
}
