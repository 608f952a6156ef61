package io.fleetcrawl.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fleetcrawl.config.PoolConfig;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.junit5.VertxExtension;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The node's body memory bounds many large bodies together, against a real server over HTTP/1.1 and
 * h2: pages past the budget stop reading until earlier ones are written, every page still arrives
 * whole, and one page at a time may read past the budget so that a small budget never deadlocks.
 */
@Tag("integration")
@ExtendWith(VertxExtension.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class BodyMemoryIT {
  private static final int CAP = 1 << 20;
  private static final int PAGES = 24;

  /** A chunk as Vert.x hands it over is at most this large (Netty's reads are smaller). */
  private static final long CHUNK_SLACK = 128 << 10;

  @Test
  void manyLargeBodiesOverHttp1StayWithinTheBudgetAndAllArriveWhole(Vertx vertx) throws Exception {
    Result result = crawl(vertx, o -> {}, PoolConfig.defaults(), 4L * CAP, 30, false);
    result.assertBounded(4L * CAP);
    assertTrue(result.pauses > 0, "pages waited for memory: " + result);
  }

  @Test
  void manyLargeBodiesOverH2StayWithinTheBudgetAndAllArriveWhole(Vertx vertx) throws Exception {
    Result result =
        crawl(
            vertx,
            o -> o.setHttp2ClearTextEnabled(true),
            new PoolConfig.Builder().h2cPriorKnowledge(true).build(),
            4L * CAP,
            30,
            false);
    result.assertBounded(4L * CAP);
    assertTrue(result.pauses > 0, "streams waited for memory: " + result);
  }

  @Test
  void decompressionBombsCountTheirDecodedBytes(Vertx vertx) throws Exception {
    Result result = crawl(vertx, o -> {}, PoolConfig.defaults(), 4L * CAP, 30, true);
    result.assertBounded(4L * CAP);
  }

  @Test
  void aBudgetSmallerThanOnePageStillCompletesEveryPage(Vertx vertx) throws Exception {
    // Without the one page allowed past the budget, pages holding part of a body each would wait
    // on one another for ever.
    Result result = crawl(vertx, o -> {}, PoolConfig.defaults(), CAP / 4, 0, false);
    result.assertBounded(CAP / 4);
    assertTrue(result.pauses > 0, "pages waited for memory: " + result);
  }

  private record Result(
      List<FetchOutcome> outcomes, long peak, long heldAfter, long pauses, int waitingAfter) {
    void assertBounded(long limit) {
      System.out.println("body memory " + (limit >> 10) + " KiB: " + this);
      assertEquals(PAGES, outcomes.size());
      for (FetchOutcome outcome : outcomes) {
        assertEquals(200, outcome.status(), String.valueOf(outcome.error()));
        assertEquals(CAP, outcome.body().length(), "every body arrives whole");
      }
      // The budget, one page past it (raw and decoded), and a chunk per page in flight.
      long bound = limit + 2L * CAP + PAGES * CHUNK_SLACK;
      assertTrue(peak <= bound, "peak " + peak + " > bound " + bound + ": " + this);
      assertTrue(peak > limit / 2, "the budget was used: " + this);
      assertEquals(0, heldAfter, "every release gave its bytes back: " + this);
      assertEquals(0, waitingAfter, "no page left waiting: " + this);
    }

    @Override
    public String toString() {
      return "peak " + peak + " B, pauses " + pauses + ", held after " + heldAfter;
    }
  }

  /**
   * Fetches {@link #PAGES} bodies of {@link #CAP} bytes at once; each outcome is released {@code
   * writeMs} after it completes, as the result writer would.
   */
  private Result crawl(
      Vertx vertx,
      Consumer<io.vertx.core.http.HttpServerOptions> server,
      PoolConfig pool,
      long limit,
      long writeMs,
      boolean gzip)
      throws Exception {
    Buffer body = gzip ? gzipOfZeros(CAP) : Buffer.buffer(new byte[CAP]);
    BodyMemory memory = new BodyMemory(limit);
    try (TestServer site =
            TestServer.start(
                vertx,
                server,
                req -> {
                  HttpServerResponse response =
                      req.response().putHeader("Content-Type", "text/html");
                  if (gzip) {
                    response.putHeader("Content-Encoding", "gzip");
                  }
                  response.end(body);
                });
        Drive drive = new Drive(vertx, pool)) {
      Promise<List<FetchOutcome>> done = Promise.promise();
      List<FetchOutcome> outcomes = Collections.synchronizedList(new ArrayList<>());
      drive.context.runOnContext(
          v -> {
            for (int i = 0; i < PAGES; i++) {
              drive
                  .counted("http://127.0.0.1:" + site.port() + "/p" + i, CAP, memory)
                  .onComplete(
                      ar -> {
                        FetchOutcome outcome = ar.result();
                        Runnable written =
                            () -> {
                              outcomes.add(outcome);
                              outcome.release();
                              if (outcomes.size() == PAGES) {
                                done.complete(List.copyOf(outcomes));
                              }
                            };
                        if (writeMs == 0) {
                          written.run();
                        } else {
                          vertx.setTimer(writeMs, t -> written.run());
                        }
                      });
            }
          });
      List<FetchOutcome> all = done.future().await(90, TimeUnit.SECONDS);
      assertFalse(all.isEmpty());
      return new Result(all, memory.peak(), memory.held(), memory.pauses(), memory.waiting());
    }
  }

  private static Buffer gzipOfZeros(int size) throws Exception {
    ByteArrayOutputStream compressed = new ByteArrayOutputStream();
    try (GZIPOutputStream out = new GZIPOutputStream(compressed)) {
      out.write(new byte[size]);
    }
    return Buffer.buffer(compressed.toByteArray());
  }
}
