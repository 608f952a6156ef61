package io.fleetcrawl.metrics;

import io.fleetcrawl.frontier.KeyStats;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns successive looks at every frontier key into per-host rates (goodput, recent 429/503 share)
 * for the busiest hosts. Rates are differences between the current look and one at least a window
 * old, so they move once per window rather than jittering with each one-second look; the counts
 * kept are three longs per key, one copy.
 */
public final class HostRates {
  /** Pause beyond this much past the pace counts as a back-off, not pacing jitter. */
  private static final long BACKOFF_SLACK_MS = 50;

  private final long windowMs;
  private Map<String, long[]> base = new HashMap<>();
  private long baseAt = -1;
  private Map<String, double[]> rates = new HashMap<>();

  public HostRates(long windowMs) {
    if (windowMs <= 0) {
      throw new IllegalArgumentException("window must be positive: " + windowMs);
    }
    this.windowMs = windowMs;
  }

  /**
   * Takes a look at every key at {@code now} and returns the {@code top} busiest (most queued plus
   * leased, then by name) with their rates over the last full window (0 until one has passed).
   */
  public List<HostFigures> update(long now, List<KeyStats> all, int top) {
    if (baseAt < 0 || now - baseAt >= windowMs) {
      Map<String, long[]> current = new HashMap<>(all.size() * 2);
      Map<String, double[]> next = new HashMap<>();
      for (KeyStats k : all) {
        long[] counts = {k.done() - k.failed(), k.throttled(), k.settled()};
        current.put(k.key(), counts);
        long[] before = base.get(k.key());
        if (baseAt >= 0) {
          long ok = counts[0] - (before == null ? 0 : before[0]);
          long throttled = counts[1] - (before == null ? 0 : before[1]);
          long settled = counts[2] - (before == null ? 0 : before[2]);
          if (ok > 0 || settled > 0) {
            next.put(
                k.key(),
                new double[] {
                  ok * 1_000.0 / (now - baseAt), settled == 0 ? 0 : throttled / (double) settled
                });
          }
        }
      }
      if (baseAt >= 0) {
        rates = next;
      }
      base = current;
      baseAt = now;
    }
    List<KeyStats> busiest = new ArrayList<>(all);
    busiest.sort(
        Comparator.comparingLong((KeyStats k) -> k.queued() + k.leased())
            .reversed()
            .thenComparing(KeyStats::key));
    List<HostFigures> figures = new ArrayList<>();
    for (KeyStats k : busiest.subList(0, Math.min(top, busiest.size()))) {
      double[] r = rates.getOrDefault(k.key(), new double[2]);
      boolean heldBack = k.nextAllowedAt() > now + k.spacingMicros() / 1_000 + BACKOFF_SLACK_MS;
      figures.add(
          new HostFigures(
              k.key(),
              k.queued(),
              k.leased(),
              k.done(),
              k.failed(),
              k.throttled(),
              k.settled(),
              k.budget(),
              k.spacingMicros(),
              k.coordinated(),
              k.nextAllowedAt(),
              heldBack ? k.nextAllowedAt() : 0,
              r[0],
              r[1]));
    }
    return figures;
  }
}
