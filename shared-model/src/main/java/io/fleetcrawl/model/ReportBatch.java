package io.fleetcrawl.model;

import java.util.List;

/**
 * One node's host reports for one control interval, numbered by the wall-clock boundary that ended
 * it ({@code epoch ms / interval}, rounded), so the coordinator can add up the same interval of
 * every node whatever order they arrive in.
 */
public record ReportBatch(long interval, List<HostReport> reports) {
  public ReportBatch {
    reports = List.copyOf(reports);
  }
}
