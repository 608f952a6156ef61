package io.fleetcrawl.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fleetcrawl.config.PoolConfig;
import io.fleetcrawl.fetch.FetchOutcome;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.junit5.VertxExtension;
import java.io.ByteArrayOutputStream;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** The body cap counts decoded bytes: a small gzip that inflates to 64 MiB stops at the cap. */
@Tag("integration")
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DecompressionIT {
  @Test
  void gzipBombIsCutAtTheDecodedCap(Vertx vertx) throws Exception {
    ByteArrayOutputStream compressed = new ByteArrayOutputStream();
    try (GZIPOutputStream gzip = new GZIPOutputStream(compressed)) {
      byte[] zeros = new byte[1 << 20];
      for (int i = 0; i < 64; i++) {
        gzip.write(zeros);
      }
    }
    Buffer bomb = Buffer.buffer(compressed.toByteArray());
    assertTrue(bomb.length() < 200_000, "compressed size " + bomb.length());
    try (TestServer server =
            TestServer.start(
                vertx,
                o -> {},
                req ->
                    req.response()
                        .putHeader("Content-Encoding", "gzip")
                        .putHeader("Content-Type", "text/html")
                        .end(bomb));
        Drive drive = new Drive(vertx, PoolConfig.defaults())) {
      FetchOutcome outcome = drive.one("http://127.0.0.1:" + server.port() + "/bomb");
      assertEquals(200, outcome.status());
      assertTrue(outcome.truncated(), "truncated");
      assertEquals(1 << 20, outcome.body().length(), "decoded bytes kept");
    }
  }
}
