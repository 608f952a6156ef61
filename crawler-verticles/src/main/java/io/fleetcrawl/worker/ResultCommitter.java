package io.fleetcrawl.worker;

import io.fleetcrawl.frontier.Settlement;
import io.fleetcrawl.metrics.CrawlStats;
import io.fleetcrawl.model.PageResult;
import io.fleetcrawl.model.Retraction;
import io.fleetcrawl.output.ResultSink;
import io.fleetcrawl.output.SinkItem;
import io.fleetcrawl.pool.FetchOutcome;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a worker's results through the crawl's {@link ResultSink} in group commits, off the event
 * loop, and only then lets their leases be settled: a result is acknowledged to the frontier only
 * once it is on disk. It also writes the retraction of a result whose acknowledgement the frontier
 * refused (the lease had expired and the URL went to another worker, whose result counts).
 *
 * <p>Confined to the worker's event loop, like the rest of the worker.
 */
final class ResultCommitter {
  private static final Logger LOG = LoggerFactory.getLogger(ResultCommitter.class);

  /**
   * A lease whose work is over: a result to write (or null for a retry, which writes nothing) and
   * its settlement.
   *
   * @param admitted completes when the page's links are admitted to the frontier; the lease is
   *     settled only once they are and its result is written, whichever comes last
   */
  record Finished(
      String key,
      PageResult result,
      FetchOutcome exchange,
      Settlement settlement,
      Future<?> admitted) {
    Finished(String key, PageResult result, FetchOutcome exchange, Settlement settlement) {
      this(key, result, exchange, settlement, Future.succeededFuture());
    }
  }

  /** Where the committer reports what it wrote, or failed to write. */
  interface Listener {
    /** These leases' results are written; their settlements may go to the frontier. */
    void written(List<ClaimScheduler.Written> batch);

    /** These leases' results could not be written, and the node stops claiming. */
    void writeFailed(int leases);
  }

  private final Vertx vertx;
  private final ResultSink sink;
  private final CrawlStats stats;
  private final LongSupplier clock;
  private final Consumer<String> stop;
  private final Listener listener;
  private final List<Finished> unwritten = new ArrayList<>();

  /** Results written whose leases are not yet acknowledged, per key, by lease id. */
  private final Map<String, Map<Long, PageResult>> unacknowledged = new HashMap<>();

  private boolean writing;

  /**
   * @param stop called with the reason when a write fails: the node must not fetch pages it cannot
   *     record
   */
  ResultCommitter(
      Vertx vertx,
      ResultSink sink,
      CrawlStats stats,
      LongSupplier clock,
      Consumer<String> stop,
      Listener listener) {
    this.vertx = vertx;
    this.sink = sink;
    this.stats = stats;
    this.clock = clock;
    this.stop = stop;
    this.listener = listener;
  }

  /** Queues a finished lease for the next group commit. */
  void add(Finished finished) {
    if (finished.result() == null && finished.exchange() != null) {
      finished.exchange().release();
    }
    unwritten.add(finished);
    flush();
  }

  /**
   * Archives a fetch that is no URL of the frontier (robots.txt): nothing waits for the write; a
   * failure stops the crawl like any failed write.
   */
  void archive(String url, FetchOutcome outcome) {
    List<SinkItem> item = List.of(new SinkItem.Auxiliary(url, outcome));
    vertx.executeBlocking(() -> sink.write(item), false).onFailure(e -> stopOnWriteFailure(e, 0));
  }

  /**
   * The frontier answered the settlements {@code sent} for a key: forgets their written results
   * and, for the ones it refused, writes a retraction so the URL is not counted twice.
   */
  void acknowledged(String key, List<Settlement> sent, long[] refused) {
    Map<Long, PageResult> written = unacknowledged.get(key);
    if (written == null) {
      return;
    }
    List<SinkItem> retractions = new ArrayList<>();
    for (Settlement settlement : sent) {
      PageResult result = written.remove(settlement.leaseId());
      if (result != null && contains(refused, settlement.leaseId())) {
        retractions.add(
            new SinkItem.Retracted(
                new Retraction(
                    result.url(),
                    settlement.leaseId(),
                    "lease expired before its acknowledgement; the URL was handed to another worker",
                    clock.getAsLong())));
        stats.terminal.decrement();
        if (result.status() != null) {
          stats.pages.decrement();
        }
      }
    }
    if (written.isEmpty()) {
      unacknowledged.remove(key);
    }
    if (retractions.isEmpty()) {
      return;
    }
    stats.retracted.add(retractions.size());
    vertx
        .executeBlocking(
            () -> {
              sink.write(retractions);
              return null;
            },
            false)
        .onFailure(e -> stopOnWriteFailure(e, retractions.size()));
  }

  /**
   * Writes what finished since the last write in one blocking call (a group commit), then reports
   * those leases written; while a write runs, new results gather for the next one.
   */
  private void flush() {
    if (writing || unwritten.isEmpty()) {
      return;
    }
    List<Finished> batch = List.copyOf(unwritten);
    unwritten.clear();
    List<SinkItem> lines = new ArrayList<>(batch.size());
    for (Finished f : batch) {
      if (f.result() != null) {
        lines.add(new SinkItem.Page(f.result(), f.exchange()));
      }
    }
    writing = true;
    Future<Void> done =
        lines.isEmpty()
            ? Future.succeededFuture()
            : vertx.executeBlocking(
                () -> {
                  sink.write(lines);
                  return null;
                },
                false);
    done.onComplete(
        ar -> {
          writing = false;
          // Written or not, the bodies are done with: a failed write stops the node, and the URL
          // is fetched again from the frontier.
          for (Finished f : batch) {
            if (f.exchange() != null) {
              f.exchange().release();
            }
          }
          if (ar.failed()) {
            // The results are not acknowledged, so their URLs stay in the frontier (their leases
            // expire and are handed out again); the node stops rather than fetch pages it cannot
            // record.
            stopOnWriteFailure(ar.cause(), lines.size());
            listener.writeFailed(batch.size());
          } else {
            stats.terminal.add(lines.size());
            List<ClaimScheduler.Written> settled = new ArrayList<>(batch.size());
            for (Finished f : batch) {
              if (f.result() != null) {
                unacknowledged
                    .computeIfAbsent(f.key(), k -> new HashMap<>())
                    .put(f.settlement().leaseId(), f.result());
              }
              ClaimScheduler.Written written = new ClaimScheduler.Written(f.key(), f.settlement());
              if (f.admitted().isComplete()) {
                settled.add(written);
              } else {
                // Written before its links were admitted: settled once they are, alone.
                f.admitted().onComplete(x -> listener.written(List.of(written)));
              }
            }
            if (!settled.isEmpty()) {
              listener.written(settled);
            }
          }
          flush();
        });
  }

  private void stopOnWriteFailure(Throwable cause, int results) {
    LOG.error(
        "{}; {} results not acknowledged, claiming no more work", cause.getMessage(), results);
    stop.accept(cause.getMessage());
  }

  private static boolean contains(long[] ids, long id) {
    for (long candidate : ids) {
      if (candidate == id) {
        return true;
      }
    }
    return false;
  }
}
