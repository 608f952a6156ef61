package io.fleetcrawl.worker;

import io.fleetcrawl.frontier.FrontierStore;
import io.fleetcrawl.frontier.SettleResult;
import io.fleetcrawl.metrics.CrawlStats;
import io.fleetcrawl.worker.ClaimScheduler.Action;
import io.fleetcrawl.worker.ClaimScheduler.Fetch;
import io.fleetcrawl.worker.ClaimScheduler.RoundTrip;
import io.fleetcrawl.worker.ClaimScheduler.Wake;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fetch loop of one worker, confined to its event loop: the adapter that carries out what its
 * {@link ClaimScheduler} decides (frontier round trips, fetches, timers), runs each lease through a
 * {@link PageTask} and commits results through a {@link ResultCommitter}, feeding every outcome
 * back to the scheduler with the time.
 */
final class CrawlWorker implements PageTask.Listener, ResultCommitter.Listener {
  private static final Logger LOG = LoggerFactory.getLogger(CrawlWorker.class);

  private final Vertx vertx;
  private final Context context;
  private final FrontierStore frontier;
  private final IntSupplier keyLimit;
  private final long leaseMs;
  private final CrawlStats stats;
  private final LongSupplier clock;
  private final ClaimScheduler scheduler;
  private final Map<String, Long> timers = new HashMap<>();
  private PageTask task;
  private ResultCommitter committer;

  /**
   * @param keyLimit the limit a key's claims carry (see RunningCrawl#keyLimit)
   */
  CrawlWorker(
      Vertx vertx,
      Context context,
      FrontierStore frontier,
      IntSupplier keyLimit,
      long leaseMs,
      CrawlStats stats,
      LongSupplier clock,
      ClaimScheduler scheduler) {
    this.vertx = vertx;
    this.context = context;
    this.frontier = frontier;
    this.keyLimit = keyLimit;
    this.leaseMs = leaseMs;
    this.stats = stats;
    this.clock = clock;
    this.scheduler = scheduler;
  }

  /** Completes the wiring: the task and the committer report back to this worker. */
  void attach(PageTask task, ResultCommitter committer) {
    this.task = task;
    this.committer = committer;
  }

  /** Reacts to new URLs on a key this worker owns. */
  void keyReady(String key) {
    run(scheduler.keyReady(key, clock.getAsLong()));
  }

  @Override
  public void robotsKnown(String key, long crawlDelayMs) {
    scheduler.robotsKnown(key, crawlDelayMs);
  }

  @Override
  public void pause(String key, long until) {
    scheduler.pause(key, until);
  }

  @Override
  public void fetchOver() {
    run(scheduler.fetchOver(clock.getAsLong()));
  }

  @Override
  public void finished(ResultCommitter.Finished finished) {
    committer.add(finished);
  }

  @Override
  public void written(List<ClaimScheduler.Written> batch) {
    run(scheduler.written(batch, clock.getAsLong()));
  }

  @Override
  public void writeFailed(int leases) {
    run(scheduler.writeFailed(leases, clock.getAsLong()));
  }

  private void run(List<Action> actions) {
    for (Action action : actions) {
      if (action instanceof RoundTrip trip) {
        roundTrip(trip);
      } else if (action instanceof Fetch fetch) {
        task.start(fetch.key(), fetch.lease());
      } else if (action instanceof Wake wake) {
        wake(wake);
      }
    }
  }

  private void roundTrip(RoundTrip trip) {
    frontier
        .settleAndClaim(
            context,
            trip.key(),
            trip.settlements(),
            trip.pauseUntil(),
            trip.crawlDelay(),
            trip.now(),
            trip.reserve(),
            keyLimit.getAsInt(),
            leaseMs)
        .onComplete(
            ar -> {
              if (ar.succeeded()) {
                SettleResult result = ar.result();
                if (result.refusedSettlements() > 0) {
                  stats.refusedAcks.add(result.refusedSettlements());
                  LOG.warn(
                      "{} late settlements for {} refused: their leases had expired",
                      result.refusedSettlements(),
                      trip.key());
                }
                committer.acknowledged(trip.key(), trip.settlements(), result.refused());
                run(scheduler.claimed(trip, result.claim(), clock.getAsLong()));
              } else {
                LOG.warn(
                    "frontier round trip for {} failed, retrying: {}",
                    trip.key(),
                    ar.cause().toString());
                run(scheduler.roundTripFailed(trip, clock.getAsLong()));
              }
            });
  }

  private void wake(Wake wake) {
    Long timer = timers.remove(wake.key());
    if (timer != null) {
      vertx.cancelTimer(timer);
    }
    if (wake.at() < 0) {
      return;
    }
    long delay = Math.max(1, wake.at() - clock.getAsLong());
    timers.put(
        wake.key(),
        vertx.setTimer(
            delay,
            id -> {
              timers.remove(wake.key());
              run(scheduler.wake(wake.key(), clock.getAsLong()));
            }));
  }
}
