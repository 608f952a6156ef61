package io.fleetcrawl.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PoolMetricsTest {
  @Test
  void originTagsStayBoundedWhateverTheNumberOfHosts() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    PoolMetrics metrics = new PoolMetrics(registry, 20);
    for (int i = 0; i < 100_000; i++) {
      String origin = "https://host" + i + ".test:443";
      metrics.connectionOpened("w0", origin, "direct", true, 1_000_000);
      metrics.request("w0", origin, "direct", false);
      metrics.connectionClosed("w0", origin, "direct", CloseReason.IDLE_EXPIRY, 1);
    }
    long origins =
        registry.getMeters().stream()
            .map(m -> m.getId().getTag("origin"))
            .filter(o -> o != null)
            .distinct()
            .count();
    assertEquals(21, origins, "20 origins of their own plus 'other'");
    // Per origin tag: eight meters, and a closed-connections counter per close reason.
    int perOrigin = 8 + CloseReason.values().length;
    assertTrue(
        registry.getMeters().size() <= 21 * perOrigin, "meters: " + registry.getMeters().size());
    assertEquals(PoolMetrics.OTHER, metrics.originTag("https://late.test:443"));
  }

  @Test
  void snapshotSumsRequestsReuseAndCloseReasons() {
    PoolMetrics metrics = new PoolMetrics(new SimpleMeterRegistry(), 5);
    metrics.connectionOpened("w0", "http://a:80", "direct", false, 1);
    metrics.request("w0", "http://a:80", "direct", false);
    metrics.request("w0", "http://a:80", "direct", true);
    metrics.request("w0", "http://a:80", "direct", true);
    metrics.request("w0", "http://a:80", "direct", true);
    metrics.connectionClosed("w0", "http://a:80", "direct", CloseReason.REQUEST_CAP, 4);
    Map<String, Object> snapshot = metrics.snapshot();
    assertEquals(4L, snapshot.get("requests"));
    assertEquals(0.75, snapshot.get("reusedShare"));
    assertEquals(Map.of("request-cap", 1L), snapshot.get("connectionsClosed"));
    assertEquals(4.0, snapshot.get("requestsPerClosedConnection"));
  }
}
