package io.fleetcrawl.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.fleetcrawl.model.CrawlRequest;
import io.fleetcrawl.pool.FetchFailure;
import io.fleetcrawl.pool.FetchOutcome;
import io.fleetcrawl.worker.OutcomePolicy.Finish;
import io.fleetcrawl.worker.OutcomePolicy.GiveUp;
import io.fleetcrawl.worker.OutcomePolicy.Retry;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

class OutcomePolicyTest {
  private static final long NOW = 1_000_000;
  private static final int MAX_ATTEMPTS = 3;

  private static FetchOutcome response(int status, String retryAfter) {
    return new FetchOutcome(
        status,
        null,
        null,
        "HTTP/1.1",
        Buffer.buffer(),
        false,
        5,
        "text/html",
        null,
        retryAfter,
        null,
        null);
  }

  private static CrawlRequest attempt(int attemptsSoFar) {
    return new CrawlRequest("https://a.test/", 1, attemptsSoFar);
  }

  @Test
  void throttledUrlWaitsForRetryAfterWithoutUsingAnAttemptAndPausesTheHost() {
    Retry retry =
        (Retry) OutcomePolicy.decide(response(429, "7"), attempt(2), MAX_ATTEMPTS, NOW, 0);
    assertEquals(new Retry(NOW + 7_000, false, NOW + 7_000), retry);
  }

  @Test
  void throttledUrlIsNeverGivenUp() {
    assertInstanceOf(
        Retry.class, OutcomePolicy.decide(response(429, null), attempt(50), MAX_ATTEMPTS, NOW, 0));
  }

  @Test
  void throttleWithoutRetryAfterBacksOffTwoSeconds() {
    Retry retry =
        (Retry) OutcomePolicy.decide(response(429, null), attempt(0), MAX_ATTEMPTS, NOW, 0);
    assertEquals(NOW + 2_000, retry.at());
  }

  @Test
  void aPacedHostsThrottledUrlIsAskedAgainAfterHalfASecondWithoutPausingTheHost() {
    Retry retry =
        (Retry) OutcomePolicy.decide(response(429, null), attempt(0), MAX_ATTEMPTS, NOW, 0, true);
    assertEquals(new Retry(NOW + 500, false, 0), retry);
  }

  @Test
  void unavailableUsesAttemptsAndEndsWithAnErrorNamingIt() {
    assertEquals(
        new Retry(NOW + 1_000, true, NOW + 1_000),
        OutcomePolicy.decide(response(503, "1"), attempt(0), MAX_ATTEMPTS, NOW, 0));
    assertEquals(
        new GiveUp("HTTP 503 (after 3 attempts)"),
        OutcomePolicy.decide(response(503, "1"), attempt(2), MAX_ATTEMPTS, NOW, 0));
  }

  @Test
  void serverErrorIsRetriedWithBackoffThenKeptAsTheResult() {
    assertEquals(
        new Retry(NOW + 2_000, true, 0),
        OutcomePolicy.decide(response(500, null), attempt(1), MAX_ATTEMPTS, NOW, 0));
    assertInstanceOf(
        Finish.class, OutcomePolicy.decide(response(500, null), attempt(2), MAX_ATTEMPTS, NOW, 0));
  }

  @Test
  void networkErrorsRetryWhenRetryableAndOtherwiseEndAtOnce() {
    FetchOutcome reset = FetchOutcome.failure(FetchFailure.CLOSED, "connection closed by peer", 3);
    FetchOutcome tls = FetchOutcome.failure(FetchFailure.TLS, "tls: bad certificate", 3);
    assertEquals(
        new Retry(NOW + 1_000, true, 0),
        OutcomePolicy.decide(reset, attempt(0), MAX_ATTEMPTS, NOW, 0));
    assertEquals(
        new GiveUp("connection closed by peer (after 3 attempts)"),
        OutcomePolicy.decide(reset, attempt(2), MAX_ATTEMPTS, NOW, 0));
    assertEquals(
        new GiveUp("tls: bad certificate"),
        OutcomePolicy.decide(tls, attempt(0), MAX_ATTEMPTS, NOW, 0));
  }

  @Test
  void fullPoolQueueIsBackpressureNotAFailure() {
    FetchOutcome busy = FetchOutcome.failure(FetchFailure.POOL_BUSY, "pool busy: queue full", 0);
    assertEquals(
        new Retry(NOW + OutcomePolicy.POOL_BUSY_DELAY_MS, false, 0),
        OutcomePolicy.decide(busy, attempt(2), MAX_ATTEMPTS, NOW, 0));
  }

  @Test
  void successesRedirectsAndClientErrorsFinish() {
    for (int status : new int[] {200, 301, 404}) {
      assertInstanceOf(
          Finish.class,
          OutcomePolicy.decide(response(status, null), attempt(0), MAX_ATTEMPTS, NOW, 0));
    }
  }

  @Test
  void aPacedHostIsPausedOnlyByTheSitesOwnRetryAfter() {
    Retry noHeader =
        (Retry) OutcomePolicy.decide(response(429, null), attempt(0), MAX_ATTEMPTS, NOW, 0, true);
    assertEquals(0, noHeader.pauseHostUntil(), "the pace, not a pause, answers a bare 429");
    assertEquals(
        new Retry(NOW + 7_000, false, NOW + 7_000),
        OutcomePolicy.decide(response(429, "7"), attempt(0), MAX_ATTEMPTS, NOW, 0, true));
  }
}
