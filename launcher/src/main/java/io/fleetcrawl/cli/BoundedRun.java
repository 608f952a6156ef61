package io.fleetcrawl.cli;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.function.IntFunction;

/** Runs numbered asynchronous tasks on one event-loop context, a bounded number at a time. */
public final class BoundedRun {
  private BoundedRun() {}

  /**
   * Starts tasks 0..count-1 on {@code context} with at most {@code inFlight} outstanding; the
   * future completes when all have, or fails with the first failure.
   */
  public static Future<Void> run(
      Context context, int count, int inFlight, IntFunction<Future<?>> task) {
    Promise<Void> done = Promise.promise();
    if (count == 0) {
      done.complete();
      return done.future();
    }
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
                task.apply(next[0]++)
                    .onComplete(
                        ar -> {
                          if (ar.failed()) {
                            done.tryFail(ar.cause());
                          } else if (++finished[0] == count) {
                            done.tryComplete();
                          } else {
                            launch[0].run();
                          }
                        });
              };
          for (int k = 0; k < Math.min(inFlight, count); k++) {
            launch[0].run();
          }
        });
    return done.future();
  }
}
