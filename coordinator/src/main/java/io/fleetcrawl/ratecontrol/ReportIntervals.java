package io.fleetcrawl.ratecontrol;

import io.fleetcrawl.model.HostReport;
import io.fleetcrawl.model.ReportBatch;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The coordinator's inbox: nodes' reports grouped by interval number and summed per host, so a
 * decision sees one whole interval of every node, whatever order the reports arrived in. A report
 * for an interval already decided is dropped (and counted): folding it into a later interval would
 * overstate what the site accepted then. Not thread-safe; the coordinator's context owns it.
 */
final class ReportIntervals {
  private final TreeMap<Long, Map<String, HostReport>> pending = new TreeMap<>();
  private long decidedUpTo = Long.MIN_VALUE;
  private long late;

  /** Adds one node's batch; returns false when its interval was decided already. */
  boolean accept(ReportBatch batch) {
    if (batch.interval() <= decidedUpTo) {
      late++;
      return false;
    }
    Map<String, HostReport> interval =
        pending.computeIfAbsent(batch.interval(), k -> new HashMap<>());
    for (HostReport r : batch.reports()) {
      interval.merge(r.key(), r, ReportIntervals::sum);
    }
    return true;
  }

  /** One interval's reports of every node, summed per host. */
  record Interval(long number, Map<String, HostReport> reports) {}

  /** Returns, oldest first, every interval up to {@code upTo}; closes them. */
  List<Interval> due(long upTo) {
    List<Interval> due = new ArrayList<>();
    while (!pending.isEmpty() && pending.firstKey() <= upTo) {
      Map.Entry<Long, Map<String, HostReport>> e = pending.pollFirstEntry();
      due.add(new Interval(e.getKey(), e.getValue()));
    }
    decidedUpTo = Math.max(decidedUpTo, upTo);
    return due;
  }

  /** Returns reports dropped for arriving after their interval was decided. */
  long late() {
    return late;
  }

  /** Forgets everything (this node stopped coordinating). */
  void clear() {
    pending.clear();
    decidedUpTo = Long.MIN_VALUE;
  }

  /** Two nodes' figures for one host and interval: counts add up, latencies are weighted. */
  static HostReport sum(HostReport a, HostReport b) {
    long answered = a.ok() + a.throttled() + b.ok() + b.throttled();
    double p50 =
        answered == 0
            ? 0
            : (a.p50Ms() * (a.ok() + a.throttled()) + b.p50Ms() * (b.ok() + b.throttled()))
                / answered;
    return new HostReport(
        a.key(),
        a.ok() + b.ok(),
        a.throttled() + b.throttled(),
        a.errors() + b.errors(),
        p50,
        Math.max(a.p90Ms(), b.p90Ms()),
        Math.max(a.retryAfterUntil(), b.retryAfterUntil()),
        Math.min(a.firstAt(), b.firstAt()),
        Math.max(a.lastAt(), b.lastAt()));
  }
}
