package io.fleetcrawl.ratecontrol;

import io.fleetcrawl.model.HostReport;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * What a node's workers saw of each politeness key since the last report: answers, 429/503s,
 * errors, latencies and Retry-After deadlines. Workers on any event loop record; once per control
 * interval the node drains it into {@link HostReport}s for the coordinator.
 */
public final class DomainReports {
  /** Latencies kept per key and interval for the percentiles; beyond, later ones are dropped. */
  private static final int LATENCY_SAMPLES = 512;

  private static final class Window {
    long ok;
    long throttled;
    long errors;
    long retryAfterUntil;
    final long firstAt;
    long lastAt;
    final long[] latencies = new long[LATENCY_SAMPLES];
    int samples;

    Window(long now) {
      firstAt = now;
      lastAt = now;
    }
  }

  private final Map<String, Window> windows = new ConcurrentHashMap<>();
  private final LongSupplier clock;

  /**
   * @param clock epoch milliseconds, for when a key was first and last recorded in an interval
   */
  public DomainReports(LongSupplier clock) {
    this.clock = clock;
  }

  /** Records what one fetch told about its key's host. */
  public void observe(String key, HostSignal signal) {
    if (signal instanceof HostSignal.Answered a) {
      response(key, a.throttled(), a.latencyMs(), a.retryAfterUntil());
    } else {
      error(key);
    }
  }

  /** Records a response: {@code throttled} for 429/503; {@code retryAfterUntil} 0 when none. */
  public void response(String key, boolean throttled, long latencyMs, long retryAfterUntil) {
    record(
        key,
        w -> {
          if (throttled) {
            w.throttled++;
          } else {
            w.ok++;
          }
          w.retryAfterUntil = Math.max(w.retryAfterUntil, retryAfterUntil);
          if (w.samples < LATENCY_SAMPLES) {
            w.latencies[w.samples++] = latencyMs;
          }
        });
  }

  /** Records a fetch that got no response. */
  public void error(String key) {
    record(key, w -> w.errors++);
  }

  /**
   * Updates the key's window under the map's lock for the key, which {@link #drain} takes too when
   * it removes the window: a record lands either in the window drained or in the next one, never in
   * a window already read.
   */
  private void record(String key, java.util.function.Consumer<Window> update) {
    windows.compute(
        key,
        (k, w) -> {
          long now = clock.getAsLong();
          Window window = w == null ? new Window(now) : w;
          update.accept(window);
          window.lastAt = now;
          return window;
        });
  }

  /** Returns the reports since the last call and starts new windows. */
  public List<HostReport> drain() {
    List<HostReport> reports = new ArrayList<>();
    for (String key : List.copyOf(windows.keySet())) {
      Window w = windows.remove(key);
      if (w == null) {
        continue;
      }
      // Removed: no record can reach this window any more (see #record).
      long[] sorted = Arrays.copyOf(w.latencies, w.samples);
      Arrays.sort(sorted);
      reports.add(
          new HostReport(
              key,
              w.ok,
              w.throttled,
              w.errors,
              percentile(sorted, 0.5),
              percentile(sorted, 0.9),
              w.retryAfterUntil,
              w.firstAt,
              w.lastAt));
    }
    return reports;
  }

  private static double percentile(long[] sorted, double p) {
    if (sorted.length == 0) {
      return 0;
    }
    return sorted[Math.min(sorted.length - 1, (int) Math.floor(p * sorted.length))];
  }
}
