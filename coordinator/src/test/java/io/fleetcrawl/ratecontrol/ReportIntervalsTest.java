package io.fleetcrawl.ratecontrol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fleetcrawl.model.HostReport;
import io.fleetcrawl.model.ReportBatch;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReportIntervalsTest {
  private static ReportBatch batch(long interval, long ok, long throttled, double p50) {
    return new ReportBatch(
        interval,
        List.of(
            new HostReport(
                "a.test",
                ok,
                throttled,
                0,
                p50,
                p50,
                0,
                1_000 * interval - 1_000,
                1_000 * interval - 10)));
  }

  @Test
  void eachDecisionSumsOneIntervalOfEveryNodeWhateverTheArrivalOrder() {
    ReportIntervals inbox = new ReportIntervals();
    // Node 3's report for interval 11 arrives before node 2's for interval 10.
    inbox.accept(batch(10, 60, 0, 10));
    inbox.accept(batch(11, 70, 1, 10));
    inbox.accept(batch(10, 70, 3, 30));
    inbox.accept(batch(10, 66, 1, 20));
    List<ReportIntervals.Interval> due = inbox.due(10);
    assertEquals(1, due.size(), "interval 11 is not due yet");
    HostReport a = due.get(0).reports().get("a.test");
    assertEquals(196, a.ok(), "three nodes' interval 10, not two and a half");
    assertEquals(4, a.throttled());
    assertEquals((60 * 10 + 73 * 30 + 67 * 20) / 200.0, a.p50Ms(), 1e-9);
    assertEquals(70, inbox.due(11).get(0).reports().get("a.test").ok());
  }

  @Test
  void aReportForAnIntervalAlreadyDecidedIsDroppedNotAddedToALaterOne() {
    ReportIntervals inbox = new ReportIntervals();
    inbox.accept(batch(10, 60, 0, 10));
    assertEquals(1, inbox.due(10).size());
    assertFalse(inbox.accept(batch(10, 60, 0, 10)), "late");
    assertTrue(inbox.accept(batch(11, 50, 0, 10)));
    assertEquals(50, inbox.due(11).get(0).reports().get("a.test").ok());
    assertEquals(1, inbox.late());
    assertTrue(inbox.due(12).isEmpty(), "no report, no decision");
  }
}
