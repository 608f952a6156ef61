package io.fleetcrawl.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fleetcrawl.config.PoolConfig;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Certificates are verified unless told otherwise; extra trust adds to the JDK's. */
@Tag("integration")
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TlsVerificationIT {
  @TempDir Path dir;

  @Test
  void untrustedCertificateIsRefusedByDefault(Vertx vertx) throws Exception {
    try (TestServer server = TestServer.start(vertx, TestServer.tls(true), null);
        Drive drive = new Drive(vertx, PoolConfig.defaults())) {
      FetchOutcome outcome = drive.one("https://127.0.0.1:" + server.port() + "/");
      assertEquals(0, outcome.status());
      assertTrue(outcome.error().startsWith("tls:"), outcome.error());
      assertEquals(0, server.requestCount());
    }
  }

  @Test
  void trustedPemOrInsecureModeGetThrough(Vertx vertx) throws Exception {
    Path pem = TestServer.resourceFile("tls/loopback-cert.pem", dir);
    try (TestServer server = TestServer.start(vertx, TestServer.tls(true), null);
        Drive trusted = new Drive(vertx, new PoolConfig.Builder().tlsTrustPem(pem).build());
        Drive insecure = new Drive(vertx, new PoolConfig.Builder().insecureTls(true).build())) {
      assertEquals(200, trusted.one("https://127.0.0.1:" + server.port() + "/").status());
      assertEquals(200, insecure.one("https://127.0.0.1:" + server.port() + "/").status());
    }
  }
}
