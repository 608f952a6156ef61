package io.fleetcrawl.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fleetcrawl.testkit.site.TreeSite;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node frozen with SIGSTOP for longer than its leases (but shorter than Hazelcast's failure
 * detection, so it stays a member) comes back with results for URLs that were meanwhile handed to
 * another node: its acknowledgements must be refused, and no URL may count twice.
 */
@Tag("integration")
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class StalledNodeIT {
  private static final int HOSTS = 5;
  private static final int PAGES_PER_HOST = 400;
  private static final int PAGES = HOSTS * PAGES_PER_HOST;
  private static final int LEASE_SECONDS = 3;
  private static final long STOP_MS = 7_000;

  @TempDir Path dir;
  private Vertx vertx;
  private TreeSite site;
  private ClusterRun cluster;

  @BeforeEach
  void startSite() throws Exception {
    vertx = Vertx.vertx();
    site = TreeSite.start(vertx, HOSTS, PAGES_PER_HOST, 40);
  }

  @AfterEach
  void stopAll() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
    site.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void lateAcksOfAStalledNodeAreRefusedAndNothingCountsTwice() throws Exception {
    cluster =
        new ClusterRun(
            dir, List.of("--lease-seconds", "" + LEASE_SECONDS, "--per-host-concurrency", "4"));
    List<NodeProcess> nodes = cluster.start("a", "b");
    NodeProcess healthy = nodes.get(0);
    NodeProcess stalled = nodes.get(1);
    ClusterRun.await(healthy, s -> s.get("members").size() == 2, 60_000, "two members");
    assertEquals(0, cluster.submit(site.seeds()).exit());
    ClusterRun.await(
        stalled,
        s ->
            s.get("node").get("leased").asLong() >= 4
                && s.get("frontier").get("done").asLong() > 200,
        120_000,
        "the node to be fetching");

    stalled.signal("STOP");
    Thread.sleep(STOP_MS);
    stalled.signal("CONT");

    JsonNode after =
        ClusterRun.await(
            stalled,
            s -> s.get("node").get("counters").get("refusedAcks").asLong() > 0,
            30_000,
            "the stalled node's late acknowledgements to be refused");
    ClusterRun.await(healthy, s -> ClusterRun.drained(s, PAGES), 180_000, "the crawl to drain");
    assertEquals(2, healthy.status().get("members").size(), "the stalled node stayed a member");
    assertEquals(List.of(), ClusterRun.invariantViolations(healthy), "frontier invariants");
    JsonNode frontier = healthy.status().get("frontier");
    assertEquals(PAGES, frontier.get("done").asLong(), "each URL is done exactly once");

    Map<String, Integer> counted = cluster.countedResults();
    assertEquals(new HashSet<>(site.allPages()), counted.keySet());
    int duplicates = counted.values().stream().mapToInt(c -> c - 1).sum();
    long refused = stalled.status().get("node").get("counters").get("refusedAcks").asLong();
    long retracted = stalled.status().get("node").get("counters").get("retracted").asLong();
    long pagesOnNodes = 0;
    for (NodeProcess node : nodes) {
      pagesOnNodes += node.status().get("node").get("counters").get("terminal").asLong();
    }
    String figures =
        String.format(
            "lease %d s, stopped %d ms: refused acks %d, retracted result lines %d, URLs counted"
                + " twice %d, terminal results over both nodes %d of %d",
            LEASE_SECONDS, STOP_MS, refused, retracted, duplicates, pagesOnNodes, PAGES);
    System.out.println(figures);
    Files.writeString(Path.of("target", "StalledNodeIT.txt"), figures + "\n");
    assertTrue(after.get("node").get("counters").get("refusedAcks").asLong() > 0, figures);
    assertEquals(0, duplicates, figures);
    assertEquals(PAGES, pagesOnNodes, "the nodes' counters add up to each URL once: " + figures);
    cluster.terminateAll();
  }
}
