package io.fleetcrawl.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongConsumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The checkpointer's schedule, with saves that take a known time instead of a store. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class CheckpointerTest {
  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  /** Start and end of each save, in ms since the test began. */
  private record Span(long start, long end) {}

  @Test
  void aSaveLongerThanTheIntervalIsFollowedAtOnceByTheNextInsteadOfSkippingATick()
      throws Exception {
    long t0 = System.nanoTime();
    List<Span> spans = new CopyOnWriteArrayList<>();
    runFor(
        1_000,
        now -> {
          long start = (System.nanoTime() - t0) / 1_000_000;
          sleep(130);
          spans.add(new Span(start, (System.nanoTime() - t0) / 1_000_000));
        });

    // Skipping the tick that found a save running started the next one 70 ms after it ended.
    assertTrue(spans.size() >= 5, "saves back to back: " + spans);
    List<Long> idle = new ArrayList<>();
    for (int i = 1; i < spans.size(); i++) {
      idle.add(spans.get(i).start() - spans.get(i - 1).end());
    }
    assertTrue(median(idle) < 20, "idle between saves " + idle + ": " + spans);
  }

  @Test
  void savesShorterThanTheIntervalStartOneIntervalApart() throws Exception {
    List<Long> starts = new CopyOnWriteArrayList<>();
    runFor(
        1_050,
        now -> {
          starts.add(System.nanoTime() / 1_000_000);
          sleep(40);
        });

    assertTrue(starts.size() >= 8 && starts.size() <= 11, "saves in 1 s: " + starts.size());
    List<Long> apart = new ArrayList<>();
    for (int i = 1; i < starts.size(); i++) {
      apart.add(starts.get(i) - starts.get(i - 1));
    }
    // Not 140 ms (an interval after the save's end), and not sooner than the interval.
    long median = median(apart);
    assertTrue(median >= 95 && median < 125, "saves " + apart + " ms apart");
  }

  @Test
  void aRefusedSaveStopsTheCrawlOnceAndNothingIsSavedAfterIt() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    List<String> failures = new CopyOnWriteArrayList<>();
    Checkpointer checkpointer =
        new Checkpointer(
            now -> {
              if (calls.incrementAndGet() == 2) {
                throw new StateException("disk full: /data/state/fleetcrawl-state.db", null);
              }
            },
            50,
            System::currentTimeMillis,
            failures::add);
    String id = vertx.deployVerticle(checkpointer).await(10, TimeUnit.SECONDS);
    Thread.sleep(500);

    assertEquals(2, calls.get(), "no save after the refused one");
    assertEquals(
        List.of("cannot save the crawl state: disk full: /data/state/fleetcrawl-state.db"),
        failures);
    vertx.undeploy(id).await(10, TimeUnit.SECONDS);
  }

  @Test
  void anUndeployWaitsForTheSaveUnderWay() throws Exception {
    AtomicInteger finished = new AtomicInteger();
    AtomicInteger started = new AtomicInteger();
    Checkpointer checkpointer =
        new Checkpointer(
            now -> {
              started.incrementAndGet();
              sleep(300);
              finished.incrementAndGet();
            },
            50,
            System::currentTimeMillis,
            reason -> {});
    String id = vertx.deployVerticle(checkpointer).await(10, TimeUnit.SECONDS);
    while (started.get() == 0) {
      Thread.sleep(5);
    }
    vertx.undeploy(id).await(10, TimeUnit.SECONDS);

    assertEquals(1, finished.get(), "the save under way finished before the undeploy did");
    Thread.sleep(200);
    assertEquals(1, started.get(), "no save after the undeploy");
  }

  /** Runs a checkpointer of {@code save} every 100 ms for {@code ms}, then undeploys it. */
  private void runFor(long ms, LongConsumer save) throws Exception {
    Checkpointer checkpointer =
        new Checkpointer(save, 100, System::currentTimeMillis, reason -> {});
    String id = vertx.deployVerticle(checkpointer).await(10, TimeUnit.SECONDS);
    Thread.sleep(ms);
    vertx.undeploy(id).await(10, TimeUnit.SECONDS);
  }

  private static long median(List<Long> values) {
    List<Long> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    return sorted.get(sorted.size() / 2);
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
