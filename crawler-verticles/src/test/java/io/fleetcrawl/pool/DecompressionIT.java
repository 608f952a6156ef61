package io.fleetcrawl.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fleetcrawl.config.PoolConfig;
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

  @Test
  void brotliIsAdvertisedAndDecoded(Vertx vertx) throws Exception {
    com.aayushatharva.brotli4j.Brotli4jLoader.ensureAvailability();
    String page = "<html><body>" + "brotli ".repeat(5_000) + "</body></html>";
    byte[] encoded =
        com.aayushatharva.brotli4j.encoder.Encoder.compress(
            page.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    java.util.Set<String> acceptEncodings = java.util.concurrent.ConcurrentHashMap.newKeySet();
    try (TestServer server =
            TestServer.start(
                vertx,
                o -> {},
                req -> {
                  acceptEncodings.add(String.valueOf(req.getHeader("Accept-Encoding")));
                  req.response()
                      .putHeader("Content-Encoding", "br")
                      .putHeader("Content-Type", "text/html")
                      .end(Buffer.buffer(encoded));
                });
        Drive drive = new Drive(vertx, PoolConfig.defaults())) {
      FetchOutcome outcome = drive.one("http://127.0.0.1:" + server.port() + "/br");
      assertEquals(200, outcome.status());
      assertEquals(page, outcome.body().toString());
      assertTrue(
          acceptEncodings.iterator().next().contains("br"), "Accept-Encoding: " + acceptEncodings);
    }
  }
}
