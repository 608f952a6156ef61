package io.fleetcrawl.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fleetcrawl.config.PoolConfig;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** After 100,000 requests and a close, no descriptor and no socket of the pool is left behind. */
@Tag("integration")
@ExtendWith(VertxExtension.class)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class LeakIT {
  private static final int REQUESTS = 100_000;

  @Test
  void closingThePoolReleasesEveryDescriptorAndSocket(Vertx vertx) throws Exception {
    try (TestServer server = TestServer.start(vertx, o -> {}, null)) {
      // A short warm-up first, so descriptors that Netty and the JDK open once (selectors, jars
      // loaded lazily) are in the baseline and only what the pool leaks shows.
      Drive warmUp = new Drive(vertx, PoolConfig.defaults());
      warmUp.run(100, 8, i -> "http://127.0.0.1:" + server.port() + "/warm/" + i);
      warmUp.close();
      Thread.sleep(200);
      long baseline = openDescriptors();
      Drive drive = new Drive(vertx, new PoolConfig.Builder().http1MaxPerOrigin(16).build());
      List<FetchOutcome> outcomes =
          drive.run(REQUESTS, 64, i -> "http://127.0.0.1:" + server.port() + "/" + i);
      assertEquals(REQUESTS, outcomes.stream().filter(o -> o.status() == 200).count());
      assertTrue(drive.metrics.opened() <= 16, "connections opened: " + drive.metrics.opened());
      drive.close();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while ((openDescriptors() > baseline || clientSockets(server.port(), "01", "08") > 0)
          && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertTrue(
          openDescriptors() <= baseline,
          "descriptors " + openDescriptors() + " > baseline " + baseline);
      assertEquals(
          0, clientSockets(server.port(), "01", "08"), "client sockets ESTABLISHED or CLOSE_WAIT");
    }
  }

  private static long openDescriptors() throws IOException {
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      return fds.count();
    }
  }

  /** Counts IPv4/IPv6 sockets whose remote port is the server's, in the given TCP states. */
  private static long clientSockets(int serverPort, String... states) throws IOException {
    String port = String.format(":%04X", serverPort);
    long n = 0;
    for (String table : List.of("/proc/self/net/tcp", "/proc/self/net/tcp6")) {
      for (String line : Files.readAllLines(Path.of(table))) {
        String[] f = line.trim().split("\\s+");
        if (f.length > 3 && f[2].endsWith(port)) {
          for (String state : states) {
            if (f[3].equals(state)) {
              n++;
            }
          }
        }
      }
    }
    return n;
  }
}
