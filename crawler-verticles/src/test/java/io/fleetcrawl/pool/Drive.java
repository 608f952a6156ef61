package io.fleetcrawl.pool;

import io.fleetcrawl.config.PoolConfig;
import io.fleetcrawl.metrics.PoolMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/**
 * Drives a real {@link ClientPool} the way a fetch worker does: on one event-loop context, with a
 * bounded number of exchanges in flight.
 */
final class Drive implements AutoCloseable {
  final PoolMetrics metrics = new PoolMetrics(new SimpleMeterRegistry(), 20);
  final Vertx vertx;
  final Context context;
  final ClientPool pool;

  Drive(Vertx vertx, PoolConfig config) throws Exception {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    Promise<ClientPool> created = Promise.promise();
    context.runOnContext(
        v -> created.complete(ClientPool.create(vertx, config, metrics, "w0", true)));
    this.pool = created.future().await(10, TimeUnit.SECONDS);
  }

  /**
   * Fetches {@code count} URLs with at most {@code concurrency} in flight; returns every outcome.
   */
  List<FetchOutcome> run(int count, int concurrency, IntFunction<String> url) throws Exception {
    Promise<List<FetchOutcome>> done = Promise.promise();
    List<FetchOutcome> outcomes = Collections.synchronizedList(new ArrayList<>());
    context.runOnContext(
        v -> {
          int[] next = {0};
          int[] finished = {0};
          Runnable[] launch = new Runnable[1];
          launch[0] =
              () -> {
                if (next[0] >= count) {
                  return;
                }
                int i = next[0]++;
                fetch(url.apply(i))
                    .onComplete(
                        ar -> {
                          outcomes.add(ar.result());
                          if (++finished[0] == count) {
                            done.complete(outcomes);
                          } else {
                            launch[0].run();
                          }
                        });
              };
          for (int k = 0; k < Math.min(concurrency, count); k++) {
            launch[0].run();
          }
        });
    return done.future().await(120, TimeUnit.SECONDS);
  }

  /** Fetches one URL on the drive's context. */
  FetchOutcome one(String url) throws Exception {
    return one(url, 30_000);
  }

  /** Fetches one URL on the drive's context with a total deadline. */
  FetchOutcome one(String url, long totalMs) throws Exception {
    Promise<FetchOutcome> done = Promise.promise();
    context.runOnContext(v -> fetch(url, totalMs).onComplete(ar -> done.complete(ar.result())));
    return done.future().await(60, TimeUnit.SECONDS);
  }

  private Future<FetchOutcome> fetch(String url) {
    return fetch(url, 30_000);
  }

  private Future<FetchOutcome> fetch(String url, long totalMs) {
    return new Exchange(
            vertx, pool, URI.create(url), url, "fleetcrawl/test", 1 << 20, null, totalMs)
        .start();
  }

  /** Starts one exchange counted against {@code memory}; call on the drive's context. */
  Future<FetchOutcome> counted(String url, int maxBytes, BodyMemory memory) {
    return new Exchange(
            vertx, pool, URI.create(url), url, "fleetcrawl/test", maxBytes, null, 30_000)
        .counted(memory)
        .start();
  }

  @Override
  public void close() throws Exception {
    Promise<Void> closed = Promise.promise();
    context.runOnContext(v -> pool.close().onComplete(closed));
    closed.future().await(30, TimeUnit.SECONDS);
  }

  static PoolConfig.Builder config() {
    return new PoolConfig.Builder();
  }
}
