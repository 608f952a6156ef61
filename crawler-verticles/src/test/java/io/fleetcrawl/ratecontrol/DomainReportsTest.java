package io.fleetcrawl.ratecontrol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fleetcrawl.ratecontrol.DomainReports.Batch;
import io.fleetcrawl.ratecontrol.DomainReports.Report;
import java.util.List;
import org.junit.jupiter.api.Test;

class DomainReportsTest {
  @Test
  void drainReturnsEachHostsFiguresOnceAndStartsAfresh() {
    DomainReports reports = new DomainReports();
    reports.response("a.test", false, 10, 0);
    reports.response("a.test", false, 30, 0);
    reports.response("a.test", true, 1, 5_000);
    reports.error("a.test");
    List<Report> drained = reports.drain();
    assertEquals(1, drained.size());
    Report a = drained.get(0);
    assertEquals(2, a.ok());
    assertEquals(1, a.throttled());
    assertEquals(1, a.errors());
    assertEquals(10, a.p50Ms());
    assertEquals(5_000, a.retryAfterUntil());
    assertTrue(a.firstAt() <= a.lastAt());
    assertTrue(reports.drain().isEmpty(), "nothing recorded since");
    reports.response("a.test", false, 5, 0);
    assertEquals(1, reports.drain().get(0).ok(), "a record after a drain lands in the next");
  }

  @Test
  void aBatchCrossesTheEventBusAsJsonUnchanged() {
    Batch batch =
        new Batch(42, List.of(new Report("a.test", 3, 1, 0, 12.5, 40, 7_000, 1_000, 1_900)));
    assertEquals(batch, DomainReports.fromJson(DomainReports.toJson(batch)));
  }
}
