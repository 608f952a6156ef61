package io.fleetcrawl.ratecontrol;

import io.fleetcrawl.bus.Json;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What a node's workers saw of each politeness key since the last report: answers, 429/503s,
 * errors, latencies and Retry-After deadlines. Workers on any event loop record; once per control
 * interval the node drains it into a report for the coordinator.
 */
public final class DomainReports {
  /** Latencies kept per key and interval for the percentiles; beyond, later ones are dropped. */
  private static final int LATENCY_SAMPLES = 512;

  /**
   * One key's figures over one interval, as sent to the coordinator; {@code firstAt} and {@code
   * lastAt} are when this node first and last recorded the key in the interval (epoch ms), so a key
   * active for only part of the interval (first seen mid-way, or a burst and then nothing left to
   * send) is measured over the part it was active.
   */
  public record Report(
      String key,
      long ok,
      long throttled,
      long errors,
      double p50Ms,
      double p90Ms,
      long retryAfterUntil,
      long firstAt,
      long lastAt) {}

  /**
   * One node's reports for one control interval, numbered by the wall-clock boundary that ended it
   * ({@code epoch ms / interval}, rounded), so the coordinator can add up the same interval of
   * every node whatever order they arrive in.
   */
  public record Batch(long interval, List<Report> reports) {}

  private static final class Window {
    long ok;
    long throttled;
    long errors;
    long retryAfterUntil;
    final long firstAt = System.currentTimeMillis();
    long lastAt = firstAt;
    final long[] latencies = new long[LATENCY_SAMPLES];
    int samples;
  }

  private final Map<String, Window> windows = new ConcurrentHashMap<>();

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
          Window window = w == null ? new Window() : w;
          update.accept(window);
          window.lastAt = System.currentTimeMillis();
          return window;
        });
  }

  /** Returns the reports since the last call and starts new windows. */
  public List<Report> drain() {
    List<Report> reports = new ArrayList<>();
    for (String key : List.copyOf(windows.keySet())) {
      Window w = windows.remove(key);
      if (w == null) {
        continue;
      }
      // Removed: no record can reach this window any more (see #record).
      long[] sorted = Arrays.copyOf(w.latencies, w.samples);
      Arrays.sort(sorted);
      reports.add(
          new Report(
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

  /** Returns the JSON text of a batch, the form it crosses the event bus in. */
  public static String toJson(Batch batch) {
    return new String(Json.toBytes(batch), java.nio.charset.StandardCharsets.UTF_8);
  }

  /** Returns the batch a JSON text holds. */
  public static Batch fromJson(String json) {
    return Json.fromBytes(json.getBytes(java.nio.charset.StandardCharsets.UTF_8), Batch.class);
  }
}
