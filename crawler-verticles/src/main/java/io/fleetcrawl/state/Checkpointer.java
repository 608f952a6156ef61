package io.fleetcrawl.state;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Saves a crawl's changed state every {@code intervalMs} on a worker thread, one save at a time.
 * The interval bounds what a crash of the whole cluster costs: the pages fetched since the last
 * save are fetched again after the restart (none is lost: their URLs are still in the saved
 * frontier). A save the store refuses stops the crawl through {@code onFailure}, like a results
 * file that cannot be written: work not saved is never reported as done.
 */
public final class Checkpointer extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(Checkpointer.class);

  private final CrawlState state;
  private final long intervalMs;
  private final LongSupplier clock;
  private final Consumer<String> onFailure;
  private long timer = -1;
  private boolean saving;

  public Checkpointer(
      CrawlState state, long intervalMs, LongSupplier clock, Consumer<String> onFailure) {
    this.state = state;
    this.intervalMs = intervalMs;
    this.clock = clock;
    this.onFailure = onFailure;
  }

  @Override
  public Future<?> start() {
    timer = vertx.setPeriodic(intervalMs, id -> tick());
    return Future.succeededFuture();
  }

  private void tick() {
    if (saving) {
      return;
    }
    saving = true;
    vertx
        .executeBlocking(() -> state.save(clock.getAsLong(), intervalMs), false)
        .onComplete(
            r -> {
              saving = false;
              if (r.failed()) {
                LOG.error("crawl state not saved: {}", r.cause().getMessage());
                vertx.cancelTimer(timer);
                onFailure.accept("cannot save the crawl state: " + r.cause().getMessage());
              }
            });
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(timer);
    return Future.succeededFuture();
  }
}
