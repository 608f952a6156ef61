package io.fleetcrawl.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fleetcrawl.config.StateConfig;
import io.fleetcrawl.testing.TestPostgres;
import io.fleetcrawl.testkit.site.TreeSite;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three real node JVMs sharing one state directory: the whole cluster is stopped mid-crawl (SIGTERM
 * to all, or SIGKILL to all at once) and started again with the same flags, or restarted one node
 * at a time. The site's request counts and the union of the results files are the judges.
 */
@Tag("integration")
@Timeout(value = 420, unit = TimeUnit.SECONDS)
class ClusterRestartIT {
  private static final int HOSTS = 20;
  private static final int PAGES_PER_HOST = 1_000;
  private static final int PAGES = HOSTS * PAGES_PER_HOST;
  private static final long CHECKPOINT_MS = StateConfig.DEFAULT_CHECKPOINT_MS;

  @TempDir Path dir;
  private Vertx vertx;
  private TreeSite site;
  private ClusterRun cluster;

  private TestPostgres postgres;

  @BeforeEach
  void startSite() throws Exception {
    vertx = Vertx.vertx();
    site = TreeSite.start(vertx, HOSTS, PAGES_PER_HOST, 5);
    cluster = cluster(List.of());
  }

  private ClusterRun cluster(List<String> extra) {
    List<String> args =
        new java.util.ArrayList<>(
            List.of(
                "--per-host-concurrency",
                "2",
                "--no-adaptive-budgets",
                "--checkpoint-ms",
                Long.toString(CHECKPOINT_MS)));
    args.addAll(extra);
    return new ClusterRun(dir, args);
  }

  @AfterEach
  void stopAll() throws Exception {
    cluster.close();
    if (postgres != null) {
      postgres.close();
    }
    site.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private NodeProcess startAndSubmit() throws Exception {
    NodeProcess watcher = cluster.start("n1", "n2", "n3").get(0);
    ClusterRun.await(watcher, s -> s.get("members").size() == 3, 60_000, "three members");
    ClusterRun.Submitted submitted = cluster.submit(site.seeds());
    assertEquals(0, submitted.exit(), submitted.output());
    ClusterRun.await(
        watcher,
        s -> s.get("frontier").get("done").asLong() >= PAGES / 4,
        180_000,
        "a quarter of the site");
    return watcher;
  }

  private void restartAndDrain() throws Exception {
    NodeProcess watcher = cluster.start("n1", "n2", "n3").get(0);
    ClusterRun.await(watcher, s -> ClusterRun.drained(s, PAGES), 240_000, "the crawl to drain");
    assertEquals(List.of(), ClusterRun.invariantViolations(watcher), "frontier invariants");
  }

  @Test
  void aPlannedStopOfEveryNodeResumesWithEveryPageFetchedOnce() throws Exception {
    startAndSubmit();
    cluster.terminateAll();
    int before = cluster.countedResults().size();
    assertTrue(before < PAGES, "stopped mid-crawl: " + before + " pages had results");

    restartAndDrain();
    assertEveryPageOnceAndNothingFetchedTwice(before, "");
  }

  @Test
  void aPlannedStopOfEveryNodeResumesFromTheSharedPostgresqlStore() throws Exception {
    postgres = TestPostgres.start();
    cluster = cluster(List.of("--state-db", postgres.url()));
    startAndSubmit();
    cluster.terminateAll();
    int before = cluster.countedResults().size();
    // The nodes' own directories hold no state: everything comes back from the server.
    assertTrue(!Files.exists(dir.resolve("results").resolve("state")), "no local state directory");

    restartAndDrain();
    assertEveryPageOnceAndNothingFetchedTwice(before, ", PostgreSQL store");
  }

  /** After a planned stop and restart: one result line per page, no page requested twice. */
  private void assertEveryPageOnceAndNothingFetchedTwice(int before, String store)
      throws Exception {
    Map<String, Integer> counted = cluster.countedResults();
    assertEquals(Set.copyOf(site.allPages()), counted.keySet(), "every page has a result");
    String figures =
        String.format(
            "planned stop at %d of %d pages%s: duplicate result lines %d, pages fetched twice %d",
            before,
            PAGES,
            store,
            counted.values().stream().mapToInt(c -> c - 1).sum(),
            site.repeatedPageFetches());
    report(figures);
    assertTrue(counted.values().stream().allMatch(c -> c == 1), figures);
    assertEquals(0, site.repeatedPageFetches(), figures);
  }

  @Test
  void aCrashOfEveryNodeAtOnceLosesNothing() throws Exception {
    crashEveryNodeAndResume("");
  }

  /**
   * The same crash where every host's frontier entry counts as too large to save whole every
   * interval (the save unit lowered to 1 KiB: each is saved whole every few seconds, its journal
   * every interval), as for hosts of a million URLs: saved in pieces by three members whose
   * partitions move as they join, and put back together after the restart.
   */
  @Test
  void aCrashOfEveryNodeAtOnceLosesNothingWhenEveryHostIsSavedAsJournals() throws Exception {
    cluster.withNodeJvmFlags(List.of("-Dfleetcrawl.state.saveUnitBytes=1024"));
    crashEveryNodeAndResume(", every host saved whole every few seconds and as journals");
  }

  private void crashEveryNodeAndResume(String setting) throws Exception {
    startAndSubmit();
    for (NodeProcess node : cluster.nodes) {
      node.process.destroyForcibly();
    }
    for (NodeProcess node : cluster.nodes) {
      assertTrue(node.process.waitFor(10, TimeUnit.SECONDS));
    }
    int before = cluster.countedResults().size();

    restartAndDrain();

    Map<String, Integer> counted = cluster.countedResults();
    assertEquals(Set.copyOf(site.allPages()), counted.keySet(), "nothing lost");
    int again = site.repeatedPageFetches();
    String figures =
        String.format(
            "SIGKILL of all 3 nodes at %d of %d pages, --checkpoint-ms %d%s: %d pages fetched"
                + " twice (%.2f%%)",
            before, PAGES, CHECKPOINT_MS, setting, again, 100.0 * again / PAGES);
    report(figures);
    // Issue 12's target. With the default --checkpoint-ms 100: 0.41% here, 0.48% with one core
    // kept busy by another process (at 250 ms it was 1.2-3.6%, 3.6% once in a busy .ci/run).
    assertTrue(again <= PAGES * 2 / 100, figures);
  }

  @Test
  void aRollingRestartLosesNothingAndFetchesNothingTwice() throws Exception {
    NodeProcess watcher = startAndSubmit();
    for (String name : List.of("n1", "n2", "n3")) {
      NodeProcess node = cluster.nodes.stream().filter(n -> n.name.equals(name)).findFirst().get();
      node.process.destroy();
      assertTrue(node.process.waitFor(90, TimeUnit.SECONDS), name + " left");
      cluster.nodes.remove(node);
      node.close();
      NodeProcess again = cluster.start(name).get(0);
      ClusterRun.await(again, s -> s.get("members").size() == 3, 60_000, name + " back");
      watcher = again;
    }
    ClusterRun.await(watcher, s -> ClusterRun.drained(s, PAGES), 240_000, "the crawl to drain");
    Map<String, Integer> counted = cluster.countedResults();
    assertEquals(Set.copyOf(site.allPages()), counted.keySet(), "nothing lost");
    String figures =
        String.format(
            "rolling restart of 3 nodes: duplicate result lines %d, pages fetched twice %d",
            counted.values().stream().mapToInt(c -> c - 1).sum(), site.repeatedPageFetches());
    report(figures);
    assertEquals(0, site.repeatedPageFetches(), figures);
  }

  private static void report(String figures) throws Exception {
    System.out.println("ClusterRestartIT: " + figures);
    Files.writeString(
        Path.of("target", "ClusterRestartIT.txt"),
        figures + "\n",
        java.nio.file.StandardOpenOption.CREATE,
        java.nio.file.StandardOpenOption.APPEND);
  }
}
