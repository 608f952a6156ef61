package io.fleetcrawl.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fleetcrawl.testkit.site.TreeSite;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cluster with a key admits only its holders: the event bus takes TLS connections only from
 * processes with the key, members prove they hold it, and a rogue JVM that joins Hazelcast anyway
 * is reported and given nothing. What the rogue can still do (read the cluster's maps) is shown
 * too, as the README says: isolating the Hazelcast port is the boundary against it.
 */
@Tag("integration")
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class ClusterKeyIT {
  @TempDir Path dir;
  private Vertx vertx;
  private TreeSite site;
  private ClusterRun cluster;
  private Process rogue;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stopAll() throws Exception {
    if (rogue != null) {
      rogue.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
    if (cluster != null) {
      cluster.close();
    }
    if (site != null) {
      site.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /** Makes a self-signed certificate and key with Debian's openssl; returns the key flags. */
  private List<String> clusterKey(String name) throws Exception {
    Path cert = dir.resolve(name + ".crt");
    Path key = dir.resolve(name + ".key");
    Process p =
        new ProcessBuilder(
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=" + name,
                "-keyout",
                key.toString(),
                "-out",
                cert.toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "openssl finished");
    assertEquals(0, p.exitValue(), "openssl made a key: " + out);
    return List.of("--cluster-cert", cert.toString(), "--cluster-key", key.toString());
  }

  private ClusterRun.Submitted submit(List<String> keyFlags, List<String> urls) throws Exception {
    Path file = Files.createTempFile(dir, "urls", ".txt");
    Files.write(file, urls);
    List<String> command =
        new ArrayList<>(List.of("submit", "--crawl", ClusterRun.CRAWL, "--file", file.toString()));
    command.addAll(keyFlags);
    return cluster.client(command);
  }

  private int pagesRequested() {
    return site.requests().entrySet().stream()
        .filter(e -> !e.getKey().endsWith("/robots.txt"))
        .mapToInt(e -> e.getValue().get())
        .sum();
  }

  @Test
  void onlyHoldersOfTheKeyReachTheClusterAndARogueMemberIsReportedAndGivenNothing()
      throws Exception {
    List<String> key = clusterKey("cluster");
    List<String> otherKey = clusterKey("other");
    site = TreeSite.start(vertx, 2, 50, 0);
    cluster = new ClusterRun(dir, key);
    List<NodeProcess> nodes = cluster.start("n1", "n2");
    NodeProcess n1 = nodes.get(0);
    JsonNode healthy =
        ClusterRun.await(n1, s -> s.get("members").size() == 2, 60_000, "two members");
    assertEquals(0, healthy.get("unprovenMembers").size(), "both nodes prove the key: " + healthy);

    // Clients and nodes without the key, or with another, are refused before they send anything.
    ClusterRun.Submitted keyless = submit(List.of(), site.seeds());
    assertEquals(2, keyless.exit(), keyless.output());
    assertTrue(
        keyless.output().contains("proves itself with a cluster key, and this process has none"),
        keyless.output());
    ClusterRun.Submitted wrongKey = submit(otherKey, site.seeds());
    assertEquals(2, wrongKey.exit(), wrongKey.output());
    assertTrue(wrongKey.output().contains("different cluster key"), wrongKey.output());
    List<String> keylessNodeArgs = new ArrayList<>(cluster.nodeArgs);
    int at = keylessNodeArgs.indexOf("--cluster-cert");
    keylessNodeArgs.subList(at, at + 4).clear();
    NodeProcess keylessNode = NodeProcess.startNode("keyless", dir, keylessNodeArgs);
    cluster.nodes.add(keylessNode);
    assertTrue(keylessNode.process.waitFor(120, TimeUnit.SECONDS), "the keyless node exits");
    assertEquals(2, keylessNode.process.exitValue(), keylessNode.tail());
    assertTrue(keylessNode.tail().contains("this process has none"), keylessNode.tail());

    // A rogue JVM that skips every check: it joins Hazelcast, but its submit reaches no node.
    Path rogueLog = dir.resolve("rogue.log");
    List<String> rogueArgs =
        new ArrayList<>(List.of(cluster.clusterName, "127.0.0.1", ClusterRun.CRAWL));
    rogueArgs.addAll(site.seeds());
    rogue =
        new ProcessBuilder(
                NodeProcess.java(
                    List.of(), List.of(), RogueMember.class.getName(), List.copyOf(rogueArgs)))
            .redirectErrorStream(true)
            .redirectOutput(rogueLog.toFile())
            .start();
    long deadline = System.currentTimeMillis() + 120_000;
    while (!Files.readString(rogueLog).contains("read proofs=")
        && System.currentTimeMillis() < deadline) {
      assertTrue(rogue.isAlive(), Files.readString(rogueLog));
      Thread.sleep(200);
    }
    String rogueSaid = Files.readString(rogueLog);
    assertTrue(rogueSaid.contains("joined members=3"), "Hazelcast let it join: " + rogueSaid);
    assertTrue(rogueSaid.contains("submit: failed"), "no node answered it: " + rogueSaid);
    assertTrue(
        rogueSaid.matches("(?s).*read proofs=[1-9].*"),
        "it can read the cluster's maps, which only network isolation prevents: " + rogueSaid);
    JsonNode reported =
        ClusterRun.await(
            n1,
            s -> s.get("members").size() == 3 && s.get("unprovenMembers").size() == 1,
            30_000,
            "the rogue to be reported unproven");
    assertEquals(0, reported.get("frontier").get("queued").asLong(), "its submit was not taken");
    assertEquals(0, pagesRequested(), "no page was fetched for the rogue");
    assertTrue(
        Files.readString(n1.log).contains("has not proven that it holds the cluster key"),
        n1.tail());
    assertTrue(
        n1.get("/metrics").contains("fleetcrawl_cluster_unproven_members 1.0"),
        "the metric says so");

    List<String> status = new ArrayList<>(List.of("status"));
    status.addAll(key);
    ClusterRun.Submitted shown = cluster.client(status);
    assertEquals(0, shown.exit(), shown.output());
    assertTrue(shown.output().contains("UNPROVEN MEMBERS"), shown.output());

    // The key's holders still work with the rogue present and its handlers registered on the
    // intake, control and per-member addresses: sends are routed to proven members only, so no
    // control command, no apply of it on a member and none of a dozen submit batches goes to the
    // rogue (where each would fail: it cannot take part in the TLS event bus).
    assertTrue(rogueSaid.matches("(?s).*registered handlers=([89]|[1-9][0-9]).*"), rogueSaid);
    for (int round = 0; round < 3; round++) {
      ClusterRun.Submitted pause = cluster.client(withKey(key, "control", "pause"));
      assertEquals(0, pause.exit(), "pause, round " + round + ": " + pause.output());
      ClusterRun.Submitted resume = cluster.client(withKey(key, "control", "resume"));
      assertEquals(0, resume.exit(), "resume, round " + round + ": " + resume.output());
    }
    List<String> batched = new ArrayList<>(key);
    batched.addAll(List.of("--batch-size", "8"));
    // The crawl may have reached some of these pages through links already: those are refused
    // as duplicates (exit status 3), and nothing else may go wrong with any batch.
    ClusterRun.Submitted accepted = submit(batched, site.allPages());
    assertTrue(accepted.exit() == 0 || accepted.exit() == 3, accepted.output());
    assertTrue(accepted.output().contains("batch 13/13"), "13 batches: " + accepted.output());
    for (String line : accepted.output().split("\n")) {
      assertFalse(
          line.contains("rejected ") && !line.contains("rejected DUPLICATE"),
          "only duplicates are refused: " + line);
    }
    assertFalse(
        Files.readString(rogueLog).contains("received a message"), Files.readString(rogueLog));
    ClusterRun.await(n1, s -> ClusterRun.drained(s, 100), 120_000, "the crawl to drain");
    rogue.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    cluster.terminateAll();
    assertEquals(new HashSet<>(site.allPages()), cluster.countedResults().keySet());
    for (String page : site.allPages()) {
      AtomicInteger n = site.requests().get(page);
      assertEquals(1, n == null ? 0 : n.get(), page + " fetched once");
    }
  }

  @Test
  void aNodeWithAKeyDoesNotJoinAClusterWithoutOne() throws Exception {
    List<String> key = clusterKey("cluster");
    cluster = new ClusterRun(dir, List.of());
    NodeProcess keyless = cluster.start("keyless").get(0);
    List<String> keyedArgs = new ArrayList<>(cluster.nodeArgs);
    keyedArgs.addAll(key);
    NodeProcess keyed = NodeProcess.startNode("keyed", dir, keyedArgs);
    cluster.nodes.add(keyed);
    assertTrue(keyed.process.waitFor(120, TimeUnit.SECONDS), "the keyed node exits");
    assertEquals(2, keyed.process.exitValue(), keyed.tail());
    assertTrue(keyed.tail().contains("the running members have no cluster key"), keyed.tail());
    JsonNode after =
        ClusterRun.await(keyless, s -> s.get("members").size() == 1, 60_000, "it to leave");
    assertEquals(0, after.get("unprovenMembers").size(), "" + after);
    cluster.terminateAll();
  }

  private static List<String> withKey(List<String> key, String... command) {
    List<String> all = new ArrayList<>(List.of(command[0], "--crawl", ClusterRun.CRAWL));
    all.addAll(List.of(command).subList(1, command.length));
    all.addAll(key);
    return all;
  }
}
