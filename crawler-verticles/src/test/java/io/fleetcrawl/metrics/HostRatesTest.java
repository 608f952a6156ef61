package io.fleetcrawl.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fleetcrawl.frontier.KeyStats;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class HostRatesTest {
  private static KeyStats key(
      String key, long queued, long done, long failed, long throttled, long settled, long next) {
    return new KeyStats(
        key, queued, 2, done, failed, next, throttled, settled, 4, 10_000, true, false, 0);
  }

  @Test
  void goodputAnd429ShareAreMeasuredOverTheLastFullWindow() {
    HostRates rates = new HostRates(5_000);
    rates.update(0, List.of(key("a", 10, 100, 0, 0, 100, 0)), 20);
    HostFigures early = rates.update(1_000, List.of(key("a", 10, 110, 0, 5, 115, 0)), 20).get(0);
    assertEquals(0, early.pagesPerSecond(), "no full window yet");
    // 5 s after the first look: 60 more pages done, 10 of them given up; 25 of 75 settlements 429.
    HostFigures a = rates.update(5_000, List.of(key("a", 10, 160, 10, 25, 175, 0)), 20).get(0);
    assertEquals(10.0, a.pagesPerSecond(), 1e-9, "50 successful pages in 5 s");
    assertEquals(25 / 75.0, a.recentThrottledShare(), 1e-9);
    // Between windows the figures stay those of the last full window.
    a = rates.update(6_000, List.of(key("a", 10, 200, 10, 25, 215, 0)), 20).get(0);
    assertEquals(10.0, a.pagesPerSecond(), 1e-9);
  }

  @Test
  void aHostHeldBackBeyondItsPaceShowsItsBackoffDeadline() {
    HostRates rates = new HostRates(5_000);
    List<HostFigures> hosts =
        rates.update(
            1_000,
            List.of(key("paced", 5, 0, 0, 0, 0, 1_010), key("retry-after", 4, 0, 0, 1, 1, 3_000)),
            20);
    assertEquals("paced", hosts.get(0).key());
    assertEquals(0, hosts.get(0).backoffUntil(), "the next slot of its pace is no back-off");
    assertEquals(3_000, hosts.get(1).backoffUntil());
    assertEquals(100.0, hosts.get(1).requestsPerSecondLimit(), 1e-9);
  }

  @Test
  void onlyTheBusiestHostsAreListedSoPerHostSeriesStayBounded() {
    List<KeyStats> all = new ArrayList<>();
    for (int i = 0; i < 1_000; i++) {
      all.add(key("h" + i, i, 0, 0, 0, 0, 0));
    }
    List<HostFigures> top = new HostRates(5_000).update(0, all, 20);
    assertEquals(20, top.size());
    assertEquals("h999", top.get(0).key());
    assertEquals("h980", top.get(19).key());
  }
}
