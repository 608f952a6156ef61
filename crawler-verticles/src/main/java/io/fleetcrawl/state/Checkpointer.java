package io.fleetcrawl.state;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Saves a crawl's changed state every {@code intervalMs}, one save at a time. The interval bounds
 * what a crash of the whole cluster costs: the pages fetched since the last save began are fetched
 * again after the restart (none is lost: their URLs are still in the saved frontier). A save the
 * store refuses stops the crawl through {@code onFailure}, like a results file that cannot be
 * written: work not saved is never reported as done.
 *
 * <p>Saves run on a thread of their own, each one interval after the last began, not from an
 * event-loop timer onto the shared worker pool: under load both delayed saves by up to an interval
 * (an event loop busy with fetches fires the timer late; writers fill the pool), and a tick that
 * found the last save still running was skipped, so a crash could fall back to state two intervals
 * old. A save that takes longer than the interval is followed at once by the next.
 */
public final class Checkpointer extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(Checkpointer.class);

  private final LongConsumer save;
  private final long intervalMs;
  private final LongSupplier clock;
  private final Consumer<String> onFailure;
  private ScheduledExecutorService thread;
  private long slowSaves;

  public Checkpointer(
      CrawlState state, long intervalMs, LongSupplier clock, Consumer<String> onFailure) {
    this(now -> state.save(now, intervalMs), intervalMs, clock, onFailure);
  }

  /** A checkpointer that runs {@code save} with the clock's time every {@code intervalMs}. */
  Checkpointer(LongConsumer save, long intervalMs, LongSupplier clock, Consumer<String> onFailure) {
    this.save = save;
    this.intervalMs = intervalMs;
    this.clock = clock;
    this.onFailure = onFailure;
  }

  @Override
  public Future<?> start() {
    Context verticle = context;
    ScheduledThreadPoolExecutor one =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, "fleetcrawl-checkpoint");
              t.setDaemon(true);
              return t;
            });
    // A stop drops the next save instead of waiting an interval for it: the node saves last itself.
    one.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    thread = one;
    thread.schedule(() -> saveOnce(verticle), intervalMs, TimeUnit.MILLISECONDS);
    return Future.succeededFuture();
  }

  /**
   * Saves, then schedules the next save one interval after this one began (at once when this one
   * took longer): saves start {@code max(interval, save)} apart, and a stall is not followed by a
   * burst of saves catching up.
   */
  private void saveOnce(Context verticle) {
    long started = System.nanoTime();
    try {
      save.accept(clock.getAsLong());
    } catch (RuntimeException e) {
      LOG.error("crawl state not saved: {}", e.getMessage());
      thread.shutdown();
      verticle.runOnContext(
          v -> onFailure.accept("cannot save the crawl state: " + e.getMessage()));
      return;
    }
    long tookMs = (System.nanoTime() - started) / 1_000_000;
    try {
      thread.schedule(
          () -> saveOnce(verticle), Math.max(0, intervalMs - tookMs), TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException stopped) {
      return;
    }
    if (tookMs > intervalMs && slowSaves++ % 100 == 0) {
      LOG.warn(
          "a save of the crawl state took {} ms, longer than --checkpoint-ms {}: a crash costs"
              + " the pages of that long (the store's disk or server is slow; {} such saves)",
          tookMs,
          intervalMs,
          slowSaves);
    }
  }

  /** Stops saving; a save under way finishes first (a final save may follow it). */
  @Override
  public Future<?> stop() {
    thread.shutdown();
    return vertx.executeBlocking(
        () -> {
          if (!thread.awaitTermination(30, TimeUnit.SECONDS)) {
            LOG.warn("a save of the crawl state was still running 30 s after the stop began");
          }
          return null;
        },
        false);
  }
}
