package io.fleetcrawl.ratecontrol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fleetcrawl.model.HostReport;
import java.util.List;
import org.junit.jupiter.api.Test;

class DomainReportsTest {
  @Test
  void drainReturnsEachHostsFiguresOnceAndStartsAfresh() {
    long[] now = {1_000};
    DomainReports reports = new DomainReports(() -> now[0]++);
    reports.response("a.test", false, 10, 0);
    reports.response("a.test", false, 30, 0);
    reports.response("a.test", true, 1, 5_000);
    reports.error("a.test");
    List<HostReport> drained = reports.drain();
    assertEquals(1, drained.size());
    HostReport a = drained.get(0);
    assertEquals(2, a.ok());
    assertEquals(1, a.throttled());
    assertEquals(1, a.errors());
    assertEquals(10, a.p50Ms());
    assertEquals(5_000, a.retryAfterUntil());
    assertEquals(1_000, a.firstAt());
    assertEquals(1_003, a.lastAt());
    assertTrue(reports.drain().isEmpty(), "nothing recorded since");
    reports.response("a.test", false, 5, 0);
    assertEquals(1, reports.drain().get(0).ok(), "a record after a drain lands in the next");
  }

  @Test
  void signalsAreRecordedAsAnswersThrottlesAndErrors() {
    DomainReports reports = new DomainReports(() -> 5);
    reports.observe("a.test", HostSignal.answered(200, 12, null, 0));
    reports.observe("a.test", HostSignal.answered(429, 3, "2", 1_000));
    reports.observe("a.test", HostSignal.answered(503, 3, null, 1_000));
    reports.observe("a.test", new HostSignal.Unanswered());
    HostReport a = reports.drain().get(0);
    assertEquals(1, a.ok());
    assertEquals(2, a.throttled());
    assertEquals(1, a.errors());
    assertEquals(3_000, a.retryAfterUntil(), "the 429's Retry-After: 2 s after 1,000");
  }

  @Test
  void fixedBudgetsLearnNothingAndLearnedOnesReportEverySignal() {
    DomainReports reports = new DomainReports(() -> 0);
    RateControl fixed = RateControl.fixed(8);
    fixed.observe("a.test", HostSignal.answered(429, 1, null, 0));
    assertEquals(8, fixed.startingLimit());
    assertFalse(fixed.paces());
    RateControl learned = RateControl.learned(reports, 2);
    learned.observe("a.test", HostSignal.answered(429, 1, null, 0));
    assertEquals(2, learned.startingLimit());
    assertTrue(learned.paces());
    assertEquals(1, reports.drain().get(0).throttled());
  }
}
