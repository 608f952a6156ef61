package io.fleetcrawl.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fleetcrawl.config.CrawlConfig;
import io.fleetcrawl.config.FetchConfig;
import io.fleetcrawl.config.PoolConfig;
import io.fleetcrawl.control.CrawlControls;
import io.fleetcrawl.frontier.Lease;
import io.fleetcrawl.frontier.Settlement;
import io.fleetcrawl.metrics.CrawlStats;
import io.fleetcrawl.metrics.PoolMetrics;
import io.fleetcrawl.model.CrawlRequest;
import io.fleetcrawl.pool.ClientPool;
import io.fleetcrawl.pool.PageFetcher;
import io.fleetcrawl.ratecontrol.HostSignal;
import io.fleetcrawl.ratecontrol.RateControl;
import io.fleetcrawl.robots.RobotsCache;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A lease whose work throws part-way, against a real local server: the error must end the lease (a
 * retry later, as an attempt, or given up on the last attempt) and free its fetch slot once, never
 * leave it unsettled until its lease expires minutes later. The error is injected where the page's
 * answer is reported to the crawl's rate control, a step that runs inside the fetch's callback.
 */
class PageTaskTest {
  private static final long START = 1_000_000L;

  private Vertx vertx;
  private HttpServer server;
  private ClientPool pool;
  private Context context;

  /** What the task told its worker. */
  private final AtomicInteger fetchOvers = new AtomicInteger();

  private final CompletableFuture<ResultCommitter.Finished> finished = new CompletableFuture<>();

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    server =
        vertx
            .createHttpServer()
            .requestHandler(
                req -> {
                  if (req.path().equals("/robots.txt")) {
                    req.response().setStatusCode(404).end();
                  } else {
                    req.response().putHeader("Content-Type", "text/plain").end("a page");
                  }
                })
            .listen(0, "127.0.0.1")
            .await(10, TimeUnit.SECONDS);
    context = vertx.getOrCreateContext();
    pool =
        ClientPool.create(
            vertx,
            PoolConfig.defaults(),
            new PoolMetrics(new SimpleMeterRegistry(), 10),
            "w0",
            true);
  }

  @AfterEach
  void stop() throws Exception {
    pool.close().await(10, TimeUnit.SECONDS);
    server.close().await(10, TimeUnit.SECONDS);
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  /** Rate control that throws on every answer, as an unforeseen bug in a later step would. */
  private static final RateControl THROWS =
      new RateControl() {
        @Override
        public void observe(String key, HostSignal signal) {
          throw new IllegalStateException("injected failure");
        }

        @Override
        public boolean paces() {
          return false;
        }

        @Override
        public int startingLimit() {
          return 2;
        }
      };

  private PageTask task(CrawlStats stats) {
    PageFetcher fetcher = new PageFetcher(vertx, pool, FetchConfig.defaults(), "fleetcrawl/test");
    CrawlConfig config = CrawlConfig.defaults();
    return new PageTask(
        vertx,
        context,
        config,
        FetchConfig.defaults(),
        10,
        fetcher,
        new RobotsCache(vertx, fetcher, config.robotsAgentName(), () -> START),
        // A text/plain page has no links: intake is never asked.
        null,
        stats,
        THROWS,
        () -> START,
        () -> 0.5,
        new PageTask.Listener() {
          @Override
          public void robotsKnown(String key, long crawlDelayMs) {}

          @Override
          public void pause(String key, long until) {}

          @Override
          public void fetchOver() {
            fetchOvers.incrementAndGet();
          }

          @Override
          public void finished(ResultCommitter.Finished done) {
            if (!finished.complete(done)) {
              throw new AssertionError("the lease ended twice");
            }
          }
        },
        new CrawlControls());
  }

  private ResultCommitter.Finished work(CrawlRequest request, CrawlStats stats) throws Exception {
    PageTask task = task(stats);
    String key = "127.0.0.1";
    context.runOnContext(v -> task.start(key, new Lease(7, request, START + 60_000, "m")));
    ResultCommitter.Finished done = finished.get(15, TimeUnit.SECONDS);
    // Anything still to come (a second end, a second slot freed) would show by now.
    Thread.sleep(200);
    return done;
  }

  private String url() {
    return "http://127.0.0.1:" + server.actualPort() + "/page";
  }

  @Test
  void anErrorAfterTheFetchRetriesTheUrlLaterAsAnAttemptAndFreesItsSlotOnce() throws Exception {
    CrawlStats stats = new CrawlStats();
    ResultCommitter.Finished done = work(CrawlRequest.seed(url()), stats);
    Settlement s = done.settlement();
    assertEquals(7, s.leaseId());
    assertTrue(!s.isDone() && s.countsAsAttempt(), "a retry that counts: " + s);
    long wait = s.retryAt() - START;
    assertTrue(
        wait >= PageTask.UNEXPECTED_RETRY_MS && wait <= 2 * PageTask.UNEXPECTED_RETRY_MS,
        "retried in " + wait + " ms");
    assertNull(done.result(), "no result line for a URL that is retried");
    assertEquals(1, fetchOvers.get(), "the fetch slot is freed once");
    assertEquals(1, stats.retries.sum());
  }

  @Test
  void anErrorOnTheLastAttemptGivesTheUrlUpWithAResultNamingTheError() throws Exception {
    CrawlStats stats = new CrawlStats();
    CrawlRequest last = CrawlRequest.seed(url());
    for (int i = 1; i < CrawlConfig.defaults().maxAttempts(); i++) {
      last = last.nextAttempt();
    }
    ResultCommitter.Finished done = work(last, stats);
    assertTrue(done.settlement().isDone() && done.settlement().failed(), "given up");
    assertTrue(
        done.result().error().contains("internal error")
            && done.result().error().contains("injected failure"),
        "result: " + done.result());
    assertEquals(1, fetchOvers.get(), "the fetch slot is freed once");
    assertEquals(1, stats.failed.sum());
  }
}
