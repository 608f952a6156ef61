package io.fleetcrawl.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fleetcrawl.frontier.Settlement;
import io.fleetcrawl.metrics.CrawlStats;
import io.fleetcrawl.model.CrawlRequest;
import io.fleetcrawl.model.PageResult;
import io.fleetcrawl.output.JsonlResultSink;
import io.fleetcrawl.testing.Eventually;
import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A page's result is written while its links are still being admitted, and its lease is reported
 * for settlement only once both are done: a page counts as done in the frontier only when its
 * record is on disk and its links are in the frontier, whichever finishes last.
 */
class ResultCommitterTest {
  @TempDir Path dir;

  private Vertx vertx;
  private Context context;
  private JsonlResultSink sink;
  private final List<List<ClaimScheduler.Written>> reported = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    context = vertx.getOrCreateContext();
    sink = new JsonlResultSink(dir.resolve("results.jsonl"));
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
    sink.close();
  }

  private ResultCommitter committer() {
    return new ResultCommitter(
        vertx,
        sink,
        new CrawlStats(),
        System::currentTimeMillis,
        why -> {
          throw new AssertionError("a write failed: " + why);
        },
        new ResultCommitter.Listener() {
          @Override
          public void written(List<ClaimScheduler.Written> batch) {
            reported.add(batch);
          }

          @Override
          public void writeFailed(int leases) {
            throw new AssertionError("a write failed");
          }
        });
  }

  private static ResultCommitter.Finished page(long lease, String url, Promise<Void> admitted) {
    PageResult result = PageResult.failed(CrawlRequest.seed(url), "excluded: for the test", 1L);
    return new ResultCommitter.Finished(
        "127.0.0.1", result, null, Settlement.done(lease), admitted.future());
  }

  private long lines() throws Exception {
    Path file = dir.resolve("results.jsonl");
    return Files.exists(file) ? Files.readAllLines(file).size() : 0;
  }

  private static void await(String what, Eventually.Condition condition) throws Exception {
    Eventually.await(what, Duration.ofSeconds(10), condition);
  }

  @Test
  void aPageWrittenBeforeItsLinksAreAdmittedSettlesOnlyOnceTheyAre() throws Exception {
    ResultCommitter committer = committer();
    Promise<Void> slow = Promise.promise();
    Promise<Void> quick = Promise.promise();
    quick.complete();
    context.runOnContext(
        v -> {
          committer.add(page(1, "http://127.0.0.1/slow", slow));
          committer.add(page(2, "http://127.0.0.1/quick", quick));
        });
    await("both results on disk", () -> lines() == 2);
    await("the admitted page reported", () -> !reported.isEmpty());
    Thread.sleep(200);
    assertEquals(
        List.of(List.of(new ClaimScheduler.Written("127.0.0.1", Settlement.done(2)))),
        reported,
        "only the page whose links are admitted is reported for settlement");

    context.runOnContext(v -> slow.complete());
    await("the slow page reported", () -> reported.size() == 2);
    assertEquals(
        List.of(new ClaimScheduler.Written("127.0.0.1", Settlement.done(1))), reported.get(1));
  }

  @Test
  void aPageWhoseLinksCouldNotBeAdmittedStillSettlesOnceWritten() throws Exception {
    ResultCommitter committer = committer();
    Promise<Void> refused = Promise.promise();
    context.runOnContext(v -> committer.add(page(3, "http://127.0.0.1/page", refused)));
    await("the result on disk", () -> lines() == 1);
    context.runOnContext(v -> refused.fail("frontier unreachable"));
    await("the page reported", () -> reported.size() == 1);
    assertEquals(
        List.of(new ClaimScheduler.Written("127.0.0.1", Settlement.done(3))), reported.get(0));
  }
}
