package io.fleetcrawl.ratecontrol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fleetcrawl.ratecontrol.DomainController.Budget;
import io.fleetcrawl.ratecontrol.DomainController.Sample;
import io.fleetcrawl.ratecontrol.DomainController.Settings;
import org.junit.jupiter.api.Test;

/**
 * The controller against simulated sites, one-second intervals on a fake clock (no sleeping): a
 * token bucket of R requests per second with a burst, reached through connections that each do 1000
 * / latency requests per second.
 */
class DomainControllerTest {
  private static final Settings SETTINGS = Settings.defaults();

  /** A token-bucket site: the simulation of one interval of requests at a budget. */
  private static final class Site {
    final double limit;
    final double burst;
    final double latencyMs;
    double tokens;

    Site(double limit, double burst, double latencyMs) {
      this.limit = limit;
      this.burst = burst;
      this.latencyMs = latencyMs;
      this.tokens = burst;
    }

    Sample interval(Budget budget) {
      double offered = budget.concurrency() * 1_000.0 / latencyMs;
      if (budget.ratePerSecond() > 0) {
        offered = Math.min(offered, budget.ratePerSecond());
      }
      double available = tokens + limit;
      double ok = Math.min(offered, available);
      tokens = Math.min(burst, available - ok);
      return new Sample(Math.round(ok), Math.round(offered - ok), 0, latencyMs, 0);
    }
  }

  /** The defaults without the frontier's gentle start (--start-rate 0). */
  private static final Settings NO_GENTLE_START =
      new Settings(2, 64, 0.02, 1.25, 0.5, 1.03, 1.5, 1_000, 0);

  @Test
  void withoutAGentleStartConnectionsStartLowAndDoubleWhileTheSiteIsQuiet() {
    assertConnectionsPerQuietInterval(
        new DomainController(NO_GENTLE_START), 2, 4, 8, 16, 32, 64, 64);
  }

  @Test
  void whileAGentleStartPacesTheHostConnectionsQuadruplePerQuietInterval() {
    assertConnectionsPerQuietInterval(new DomainController(SETTINGS), 4, 16, 64, 64);
  }

  /** From {@code start}, one-second intervals on a site that never throttles nor slows. */
  private static void assertConnectionsPerQuietInterval(
      DomainController c, int start, int... expected) {
    assertEquals(new Budget(start, 0), c.budget());
    Site slow = new Site(1e9, 0, 100);
    for (int i = 0; i < expected.length; i++) {
      assertEquals(
          expected[i], c.onInterval(1_000L * (i + 1), slow.interval(c.budget())).concurrency());
    }
  }

  @Test
  void connectionsGrowWhileTheGentleStartHoldsAPaceTheSiteStillThrottles() {
    DomainController c = new DomainController(SETTINGS);
    // The start met the site's limit: 156 accepted, 2 refused, and the frontier holds a pace.
    Budget held = c.whileStartHoldsPace(new Sample(156, 2, 0, 1, 0));
    assertEquals(new Budget(16, 0), held, "the held pace bounds the rate; no pace of its own yet");
    assertEquals(64, c.whileStartHoldsPace(new Sample(150, 3, 0, 1, 0)).concurrency());
  }

  @Test
  void connectionsStayWhileTheGentleStartHoldsAPaceMostRequestsAreRefusedAt() {
    DomainController c = new DomainController(SETTINGS);
    assertEquals(new Budget(4, 0), c.whileStartHoldsPace(new Sample(40, 60, 0, 1, 0)));
    DomainController resumed = new DomainController(SETTINGS, new Budget(4, 0));
    assertEquals(
        new Budget(4, 0),
        resumed.whileStartHoldsPace(new Sample(150, 3, 0, 1, 0)),
        "a budget taken over is past its slow start");
  }

  @Test
  void rampsByAQuarterOnceLatencyHasClimbed() {
    DomainController c = new DomainController(NO_GENTLE_START);
    c.onInterval(1_000, new Sample(20, 0, 0, 100, 0));
    assertEquals(4, c.budget().concurrency(), "doubled while quiet");
    c.onInterval(2_000, new Sample(20, 0, 0, 400, 0));
    assertEquals(4, c.budget().concurrency(), "held while latency climbs");
    int[] expected = {5, 7, 9, 12};
    for (int i = 0; i < expected.length; i++) {
      assertEquals(
          expected[i],
          c.onInterval(3_000L + 1_000L * i, new Sample(20, 0, 0, 100, 0)).concurrency());
    }
  }

  @Test
  void aCoordinatorTakingOverABudgetRampsByAQuarter() {
    // The budget in force was learned by an earlier coordinator: its slow start is over.
    DomainController resumed = new DomainController(SETTINGS, new Budget(8, 0));
    resumed.onInterval(1_000, new Sample(80, 0, 0, 100, 0));
    assertEquals(10, resumed.budget().concurrency());
  }

  @Test
  void respectsTheCeilingAndTheFloor() {
    DomainController c = new DomainController(SETTINGS);
    Site slow = new Site(1e9, 0, 100);
    for (int i = 1; i <= 40; i++) {
      c.onInterval(i * 1_000L, slow.interval(c.budget()));
    }
    assertEquals(SETTINGS.ceiling(), c.budget().concurrency());
    for (int i = 41; i <= 60; i++) {
      c.onInterval(i * 1_000L, new Sample(0, 50, 0, 100, 0));
    }
    assertEquals(1, c.budget().concurrency(), "never below one request in flight");
    assertTrue(c.budget().ratePerSecond() > 0, "at the floor, pacing takes over");
  }

  @Test
  void onAFastSiteOneConnectionOutrunsTheLimitSoItPacesJustBelowIt() {
    // One connection does 1,000 requests/s against a 200 r/s limit (burst 20).
    assertConvergesToTheLimit(200, 20, 1);
  }

  @Test
  void atFiftyRequestsPerSecondToo() {
    assertConvergesToTheLimit(50, 10, 1);
  }

  @Test
  void onASlowSiteItAddsConnectionsUntilTheRateIsReached() {
    // 100 ms per response: 200 r/s needs 20 requests in flight.
    assertConvergesToTheLimit(200, 20, 100);
  }

  private static void assertConvergesToTheLimit(double limit, double burst, double latencyMs) {
    DomainController c = new DomainController(SETTINGS);
    Site site = new Site(limit, burst, latencyMs);
    long ok = 0;
    long throttled = 0;
    for (int i = 1; i <= 70; i++) {
      Sample s = site.interval(c.budget());
      c.onInterval(i * 1_000L, s);
      // Converged within 10 s: from then on, over a minute, the measured figures.
      if (i > 10) {
        ok += s.ok();
        throttled += s.throttled();
      }
    }
    double goodput = ok / 60.0;
    double share = (double) throttled / (ok + throttled);
    String figures =
        String.format("goodput %.1f of %.0f r/s, 429 share %.2f%%", goodput, limit, share * 100);
    System.out.println("limit " + limit + " r/s, " + latencyMs + " ms: " + figures);
    assertTrue(goodput >= 0.95 * limit, figures);
    assertTrue(share <= 0.02, figures);
  }

  @Test
  void aPaceTakenOverFromTheGentleStartClimbsToTheLimitAndSettlesJustUnderIt() {
    // The start held 110/s after its first 429s against a 200 r/s limit (burst 20).
    DomainController c = new DomainController(SETTINGS);
    c.adoptStartPace(110);
    Site site = new Site(200, 20, 1);
    long ok = 0;
    long throttled = 0;
    double previous = c.budget().ratePerSecond();
    for (int i = 1; i <= 30; i++) {
      Sample s = site.interval(c.budget());
      ok += s.ok();
      throttled += s.throttled();
      c.onInterval(i * 1_000L, s);
      double now = c.budget().ratePerSecond();
      assertTrue(now <= previous * 1.25 + 1e-9, "steps of at most 25%: " + previous + " -> " + now);
      previous = now;
    }
    assertTrue(
        throttled <= 0.02 * (ok + throttled), "429s " + throttled + " of " + (ok + throttled));
    assertTrue(c.budget().ratePerSecond() >= 0.95 * 200, "settled at " + c.budget());
  }

  @Test
  void aPaceRaisedByAQuarterIsJudgedOnAWholeIntervalAtItBeforeTheNextQuarter() {
    DomainController c = new DomainController(SETTINGS);
    c.adoptStartPace(160);
    c.onInterval(1_000, new Sample(158, 0, 0, 5, 0));
    assertEquals(200, c.budget().ratePerSecond(), 1e-9, "calm at 160/s: a quarter up");
    // Decided half an interval late, the 200/s pace ran only the second half of this interval;
    // a limiter's burst can hide that half's overshoot, so its calm says little about 200/s.
    c.onInterval(2_000, new Sample(181, 0, 0, 5, 0));
    assertEquals(200, c.budget().ratePerSecond(), 1e-9, "half an interval at 200/s: held");
    c.onInterval(3_000, new Sample(199, 0, 0, 5, 0));
    assertEquals(250, c.budget().ratePerSecond(), 1e-9, "a whole calm interval at 200/s");
    c.onInterval(4_000, new Sample(224, 0, 0, 5, 0));
    assertEquals(250, c.budget().ratePerSecond(), 1e-9, "half an interval at 250/s: not 312");
  }

  @Test
  void connectionsThatCannotFillAPaceJustRaisedGrowWithoutWaitingForItsWholeInterval() {
    DomainController c = new DomainController(SETTINGS);
    c.adoptStartPace(160);
    c.onInterval(1_000, new Sample(158, 0, 0, 5, 0));
    Budget raised = c.budget();
    assertEquals(200, raised.ratePerSecond(), 1e-9);
    // Half the interval at 200/s should have sent about 180; the connections held it to 167.
    Budget next = c.onInterval(2_000, new Sample(167, 0, 0, 5, 0));
    assertEquals(200, next.ratePerSecond(), 1e-9, "the pace still waits for a whole interval");
    assertTrue(next.concurrency() > raised.concurrency(), raised + " -> " + next);
  }

  @Test
  void theIntervalAfterACutIsNotCutAgainForThe429sOfThePaceItWasCutFrom() {
    DomainController c = new DomainController(SETTINGS, new Budget(8, 250));
    c.onInterval(1_000, new Sample(200, 30, 0, 5, 0));
    double cut = c.budget().ratePerSecond();
    assertEquals(200 * 0.985, cut, 1e-6, "just under what the site accepted at 250/s");
    // Decided half an interval late: this interval ran half at 250/s, whose 429s these are, and
    // the site accepted more than the new pace.
    c.onInterval(2_000, new Sample(199, 20, 0, 5, 0));
    assertEquals(cut, c.budget().ratePerSecond(), 1e-9, "held, not cut to 194/s");
    // A whole interval at the new pace refused too: that counts.
    c.onInterval(3_000, new Sample(190, 10, 0, 5, 0));
    assertEquals(190 * 0.985, c.budget().ratePerSecond(), 1e-6);
  }

  @Test
  void theIntervalAfterACutIsCutAgainWhenTheSiteAcceptedLessThanTheNewPace() {
    // The first cut was learned from an interval the limiter's burst inflated (216/s at 200).
    DomainController c = new DomainController(SETTINGS, new Budget(8, 250));
    c.onInterval(1_000, new Sample(216, 40, 0, 5, 0));
    assertEquals(216 * 0.985, c.budget().ratePerSecond(), 1e-6);
    c.onInterval(2_000, new Sample(200, 30, 0, 5, 0));
    assertEquals(200 * 0.985, c.budget().ratePerSecond(), 1e-6, "under the 213/s pace: cut");
  }

  @Test
  void aRaiseTheFrontierTookBackIsFollowedByRaisesToTheMiddleOfTheGap() {
    DomainController c = new DomainController(SETTINGS);
    c.adoptStartPace(160);
    c.onInterval(1_000, new Sample(158, 0, 0, 5, 0));
    c.onInterval(2_000, new Sample(181, 0, 0, 5, 0));
    c.onInterval(3_000, new Sample(199, 0, 0, 5, 0));
    assertEquals(250, c.budget().ratePerSecond(), 1e-9, "a whole calm interval at 200/s");
    // The site refused a request sent at 250/s and the frontier went back to 200/s at once: this
    // interval ran partly at 250/s, and its 429s (3 %) are the raise's.
    c.adoptRefusedRaise(200);
    c.onInterval(4_000, new Sample(204, 6, 0, 5, 0));
    assertEquals(200, c.budget().ratePerSecond(), 1e-9, "held, neither cut nor raised again");
    c.onInterval(5_000, new Sample(200, 0, 0, 5, 0));
    double middle = Math.sqrt(200 * 250);
    assertEquals(middle, c.budget().ratePerSecond(), 1e-9, "the limit lies between: 224/s");
    c.onInterval(6_000, new Sample(212, 0, 0, 5, 0));
    assertEquals(middle, c.budget().ratePerSecond(), 1e-9, "judged on a whole interval at it");
    c.adoptRefusedRaise(200); // refused in turn
    c.onInterval(7_000, new Sample(205, 4, 0, 5, 0));
    c.onInterval(8_000, new Sample(200, 0, 0, 5, 0));
    assertEquals(Math.sqrt(200 * middle), c.budget().ratePerSecond(), 1e-9, "212/s");
  }

  @Test
  void aRefusedProbeIsHeldUnderAsTheLimitAndProbedAgainOnlyAfterQuietIntervals() {
    DomainController c = new DomainController(SETTINGS, new Budget(8, 206));
    c.adoptRefusedRaise(200); // 206/s was a probe 3 % above 200/s
    c.onInterval(1_000, new Sample(203, 5, 0, 5, 0));
    for (long t = 2_000; t <= 6_000; t += 1_000) {
      c.onInterval(t, new Sample(200, 0, 0, 5, 0));
      assertEquals(200, c.budget().ratePerSecond(), 1e-9, "quiet at " + t + ": held");
    }
    c.onInterval(7_000, new Sample(200, 0, 0, 5, 0));
    assertEquals(206, c.budget().ratePerSecond(), 1e-6, "then probed 3 % up");
  }

  @Test
  void aRefusedRaiseFollowedByAFewLate429sIsNotRaisedOnThem() {
    DomainController c = new DomainController(SETTINGS, new Budget(8, 250));
    c.adoptRefusedRaise(200);
    c.onInterval(1_000, new Sample(200, 3, 0, 5, 0)); // 1.5 %: under the threshold
    assertEquals(200, c.budget().ratePerSecond(), 1e-9);
    assertEquals(c.budget(), c.adoptRefusedRaise(240), "a pace above the one in force is no news");
  }

  @Test
  void retryAfterHoldsTheBudgetUntilItExpires() {
    DomainController c = new DomainController(SETTINGS);
    Budget cut = c.onInterval(1_000, new Sample(10, 10, 0, 50, 31_000));
    assertTrue(
        cut.ratePerSecond() > 0 && cut.ratePerSecond() < 10, "paced under what was accepted");
    assertEquals(31_000, c.pausedUntil());
    for (long t = 2_000; t < 31_000; t += 1_000) {
      assertEquals(cut, c.onInterval(t, new Sample(20, 0, 0, 50, 0)), "no raise before " + t);
    }
    assertTrue(
        c.onInterval(31_000, new Sample(20, 0, 0, 50, 0)).ratePerSecond() > cut.ratePerSecond());
  }

  @Test
  void climbingLatencyHoldsTheRampEvenWithout429s() {
    DomainController c = new DomainController(SETTINGS);
    c.onInterval(1_000, new Sample(30, 0, 0, 40, 0));
    Budget before = c.budget();
    assertEquals(before, c.onInterval(2_000, new Sample(30, 0, 0, 90, 0)));
  }

  @Test
  void aFew429sInAQuietSecondDoNotCollapseThePaceToThatSecondsDemand() {
    DomainController c = new DomainController(SETTINGS, new Budget(2, 45));
    // Only 10 requests were due this second (the rest wait out a back-off); one got a 429.
    Budget after = c.onInterval(1_000, new Sample(9, 1, 0, 1, 0));
    assertTrue(after.ratePerSecond() >= 40, "eased off, not cut to 9 r/s: " + after);
    // Pushed at the pace, the site refuses some: now the accepted rate is the limit.
    after = c.onInterval(2_000, new Sample(30, 12, 0, 1, 0));
    assertTrue(after.ratePerSecond() <= 30, "cut to what the site accepted: " + after);
  }

  @Test
  void aFewMillisecondsOfJitterOnAFastSiteDoNotHoldTheRamp() {
    DomainController c = new DomainController(SETTINGS);
    c.onInterval(1_000, new Sample(300, 0, 0, 1, 0));
    Budget before = c.budget();
    // 20x the baseline, but only 19 ms more: the crawler's machine was busy, the site is fine.
    Budget after = c.onInterval(2_000, new Sample(300, 0, 0, 20, 0));
    assertTrue(after.concurrency() > before.concurrency(), before + " -> " + after);
  }

  @Test
  void aHostFirstSeenLateInAnIntervalIsMeasuredOverThePartItWasActive() {
    DomainController whole = new DomainController(SETTINGS);
    DomainController part = new DomainController(SETTINGS);
    // 27 accepted and 99 refused, all in the last 300 ms of the interval.
    Budget overWhole = whole.onInterval(1_000, new Sample(27, 99, 0, 1, 0));
    Budget overPart = part.onInterval(1_000, new Sample(27, 99, 0, 1, 0, 300));
    assertEquals(27 * 0.985, overWhole.ratePerSecond(), 1e-6);
    assertEquals(90 * 0.985, overPart.ratePerSecond(), 1e-6, "27 in 0.3 s is 90 r/s");
  }

  @Test
  void aPaceTheConnectionsCannotReachIsNotRaisedFurther() {
    DomainController c = new DomainController(SETTINGS, new Budget(1, 100));
    // One connection to a slow site gets 20 pages/s: more connections, not a faster pace.
    Budget after = c.onInterval(1_000, new Sample(20, 0, 0, 50, 0));
    assertEquals(100, after.ratePerSecond(), 1e-9);
    assertTrue(after.concurrency() > 1);
  }

  @Test
  void connectionsHoldingAPaceBackGrowToWhatThePaceNeedsAtTheTimeEachRequestTook() {
    DomainController c = new DomainController(SETTINGS, new Budget(4, 186));
    // 4 in flight sent 147/s: 27 ms a request, and 186/s needs 5.1 of them; a quarter over is 6.3.
    Budget after = c.onInterval(1_000, new Sample(147, 0, 0, 1, 0));
    assertEquals(186, after.ratePerSecond(), 1e-9, "the pace waits for the connections");
    assertEquals(7, after.concurrency(), "not 5, a quarter more");
  }

  @Test
  void connectionsFarShortOfAPaceAtMostDoubleInOneInterval() {
    DomainController c = new DomainController(SETTINGS, new Budget(3, 200));
    // 20/s from 3 in flight: the pace would need 38, but the demand may have held the rate too.
    Budget after = c.onInterval(1_000, new Sample(20, 0, 0, 1, 0));
    assertEquals(6, after.concurrency());
    assertEquals(12, c.onInterval(2_000, new Sample(40, 0, 0, 1, 0)).concurrency());
  }

  @Test
  void aCoordinatorTakingOverResumesFromTheBudgetInForce() {
    DomainController c = new DomainController(SETTINGS, new Budget(7, 180));
    assertEquals(new Budget(7, 180), c.budget());
    // A quiet interval at that pace: it stays near the limit the pace implies, no 25% jump.
    Budget next = c.onInterval(1_000, new Sample(180, 0, 0, 5, 0));
    assertTrue(next.ratePerSecond() <= 183, "resumed pace jumped: " + next);
    assertEquals(5_556, new Budget(1, 180).spacingMicros());
    assertEquals(0, new Budget(3, 0).spacingMicros());
  }
}
