package io.fleetcrawl.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fleetcrawl.testkit.site.TreeSite;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The everyday cluster path with real node JVMs: feeding, scaling out, and who may join. */
@Tag("integration")
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class ClusterOpsIT {
  @TempDir Path dir;
  private Vertx vertx;
  private TreeSite site;
  private ClusterRun cluster;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stopAll() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
    if (site != null) {
      site.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void nodeAddedMidCrawlTakesWorkWithinTenSecondsAndEveryUrlHasExactlyOneLine() throws Exception {
    // 300 ms per response and 3 requests per host (one per node once three work a host): the crawl
    // is bound by politeness, not CPU, so it lasts ~40 s on a fast machine as on a slow one. At
    // 50 ms a fast CI machine finished the whole site before the added JVM had joined.
    site = TreeSite.start(vertx, 20, 400, 300);
    int pages = 20 * 400;
    cluster = new ClusterRun(dir, List.of("--per-host-concurrency", "3"));
    List<NodeProcess> first = cluster.start("n1", "n2");
    ClusterRun.await(first.get(0), s -> s.get("members").size() == 2, 60_000, "two members");
    assertEquals(0, cluster.submit(site.seeds()).exit());
    ClusterRun.await(
        first.get(0),
        s -> s.get("frontier").get("done").asLong() >= pages / 10,
        120_000,
        "a tenth of the site");

    long doneAtLaunch = first.get(0).status().get("frontier").get("done").asLong();
    long launched = System.currentTimeMillis();
    NodeProcess added = cluster.start("n3").get(0);
    long joined = System.currentTimeMillis();
    long doneAtJoin = first.get(0).status().get("frontier").get("done").asLong();
    assertTrue(
        doneAtJoin < pages * 9L / 10,
        "the test needs work left when n3 joins; "
            + doneAtJoin
            + " of "
            + pages
            + " pages were done after "
            + (joined - launched)
            + " ms: slow the site down");
    ClusterRun.await(
        added,
        s -> s.get("node").get("counters").get("pages").asLong() > 0,
        10_000,
        "the added node to fetch its first page");
    long working = System.currentTimeMillis();
    ClusterRun.await(
        first.get(0), s -> ClusterRun.drained(s, pages), 180_000, "the crawl to drain");
    long addedPages = added.status().get("node").get("counters").get("pages").asLong();

    cluster.terminateAll();
    Map<String, Integer> counted = cluster.countedResults();
    assertEquals(new HashSet<>(site.allPages()), counted.keySet());
    long lines = 0;
    try (Stream<Path> files = Files.walk(dir.resolve("results"))) {
      for (Path f : files.filter(p -> p.toString().endsWith(".jsonl")).toList()) {
        lines += Files.readAllLines(f).size();
      }
    }
    String figures =
        String.format(
            "n3: launched to joined %d ms, joined to first page %d ms; it fetched %d of the %d"
                + " pages left at its launch (%d in all); result lines %d",
            joined - launched, working - joined, addedPages, pages - doneAtLaunch, pages, lines);
    System.out.println(figures);
    Files.writeString(Path.of("target", "ClusterOpsIT-scale-out.txt"), figures + "\n");
    assertEquals(pages, lines, "exactly one line per URL across the nodes' files: " + figures);
    // The crawl is bound by the hosts' limits, not by nodes: the added node takes over some
    // hosts, it does not add capacity. How much it takes varies run to run (23% of what was left
    // in one run at 300 ms per response); the figure is reported, the check is that it took work.
    assertTrue(addedPages > 0, "the added node took work: " + figures);
  }

  @Test
  void nodeStoppedWithSigtermMidCrawlFinishesItsWorkAndNothingIsFetchedTwice() throws Exception {
    site = TreeSite.start(vertx, 10, 300, 100);
    int pages = 10 * 300;
    cluster = new ClusterRun(dir, List.of("--per-host-concurrency", "3"));
    List<NodeProcess> nodes = cluster.start("n1", "n2", "n3");
    ClusterRun.await(nodes.get(0), s -> s.get("members").size() == 3, 60_000, "three members");
    assertEquals(0, cluster.submit(site.seeds()).exit());
    NodeProcess leaving = nodes.get(2);
    ClusterRun.await(
        leaving,
        s ->
            s.get("node").get("leased").asLong() > 0
                && s.get("frontier").get("done").asLong() > pages / 4,
        120_000,
        "n3 to hold leases a quarter into the crawl");

    long stoppedAt = System.currentTimeMillis();
    leaving.process.destroy();
    assertTrue(leaving.process.waitFor(60, TimeUnit.SECONDS), "n3 leaves within 60 s");
    long leftMs = System.currentTimeMillis() - stoppedAt;
    assertTrue(leaving.tail().contains("node n3: leaving the cluster"), leaving.tail());

    ClusterRun.await(
        nodes.get(0), s -> ClusterRun.drained(s, pages), 180_000, "the crawl to drain");
    long released = nodes.get(0).status().get("node").get("releasedOnMemberLoss").asLong();
    cluster.terminateAll();
    long lines = 0;
    try (Stream<Path> files = Files.walk(dir.resolve("results"))) {
      for (Path f : files.filter(p -> p.toString().endsWith(".jsonl")).toList()) {
        lines += Files.readAllLines(f).size();
      }
    }
    assertEquals(new HashSet<>(site.allPages()), cluster.countedResults().keySet());
    String figures =
        String.format(
            "n3 left %d ms after SIGTERM; leases released for it by the others: %d; result lines"
                + " %d of %d pages; pages fetched twice: %d",
            leftMs, released, lines, pages, site.repeatedPageFetches());
    System.out.println(figures);
    Files.writeString(Path.of("target", "ClusterOpsIT-sigterm.txt"), figures + "\n");
    assertEquals(0, released, "n3 settled everything before leaving: " + figures);
    assertEquals(pages, lines, figures);
    assertEquals(0, site.repeatedPageFetches(), figures);
  }

  @Test
  void twoNamedCrawlsOnOneClusterKeepTheirOwnScopeLimitsAndResults() throws Exception {
    site = TreeSite.start(vertx, 4, 100, 0);
    List<String> seeds = site.seeds();
    Path crawls = dir.resolve("crawls.json");
    Files.writeString(
        crawls,
        "[{\"name\": \"shallow\", \"maxDepth\": 1},"
            + " {\"name\": \"narrow\", \"include\": [\"/p/[0-9]$\"]}]");
    cluster = new ClusterRun(dir, List.of("--crawls", crawls.toString()));
    List<NodeProcess> nodes = cluster.start("n1", "n2");
    ClusterRun.await(nodes.get(0), s -> s.get("members").size() == 2, 60_000, "two members");
    assertEquals(List.of("shallow", "narrow"), names(nodes.get(0).status().get("crawls")));

    Path shallowSeeds = dir.resolve("shallow.txt");
    Files.write(shallowSeeds, seeds.subList(0, 2));
    Path narrowSeeds = dir.resolve("narrow.txt");
    Files.write(narrowSeeds, seeds.subList(2, 4));
    assertEquals(
        0,
        cluster
            .client(List.of("submit", "--crawl", "shallow", "--file", shallowSeeds.toString()))
            .exit());
    assertEquals(
        0,
        cluster
            .client(List.of("submit", "--crawl", "narrow", "--file", narrowSeeds.toString()))
            .exit());

    // Depth <= 1 from /p/0: the page and its five children, on each of two hosts.
    awaitDrained(nodes.get(0), "shallow", 12);
    // Only single-digit pages: /p/0 to /p/9 on each of the other two hosts.
    awaitDrained(nodes.get(0), "narrow", 20);
    cluster.terminateAll();

    Set<String> shallow = urlsIn(dir.resolve("results").resolve("shallow"));
    Set<String> narrow = urlsIn(dir.resolve("results").resolve("narrow"));
    Set<String> expectedShallow = new HashSet<>();
    Set<String> expectedNarrow = new HashSet<>();
    for (int n = 0; n <= 9; n++) {
      for (int h = 0; h < 2; h++) {
        if (n <= 5) {
          expectedShallow.add(seeds.get(h).replace("/p/0", "/p/" + n));
        }
        expectedNarrow.add(seeds.get(2 + h).replace("/p/0", "/p/" + n));
      }
    }
    assertEquals(expectedShallow, shallow, "the shallow crawl's own depth limit and output");
    assertEquals(expectedNarrow, narrow, "the narrow crawl's own include pattern and output");
  }

  private static List<String> names(com.fasterxml.jackson.databind.JsonNode array) {
    List<String> names = new ArrayList<>();
    array.forEach(n -> names.add(n.asText()));
    return names;
  }

  private static void awaitDrained(NodeProcess node, String crawl, int pages) throws Exception {
    long deadline = System.currentTimeMillis() + 120_000;
    while (true) {
      var s = node.statusWith("?crawl=" + crawl);
      assertEquals(crawl, s.get("crawl").asText());
      if (ClusterRun.drained(s, pages)) {
        assertEquals(pages, s.get("frontier").get("done").asLong(), crawl + ": no page more");
        return;
      }
      assertTrue(System.currentTimeMillis() < deadline, crawl + " did not drain: " + s);
      Thread.sleep(200);
    }
  }

  private static Set<String> urlsIn(Path dir) throws Exception {
    Set<String> urls = new HashSet<>();
    // The results files only: the crawl's directory also holds its warc/ archive.
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".jsonl")).toList()) {
        for (String line : Files.readAllLines(f)) {
          urls.add(io.fleetcrawl.bus.Json.MAPPER.readTree(line).get("url").asText());
        }
      }
    }
    return urls;
  }

  @Test
  void submitListsEveryRefusedLineWithItsReasonAndTheValidOnesAreAllCrawled() throws Exception {
    site = TreeSite.start(vertx, 3, 50, 0);
    cluster = new ClusterRun(dir, List.of("--allow-network", "127.0.1.0/24"));
    NodeProcess node = cluster.start("n1").get(0);
    List<String> lines = new ArrayList<>(site.seeds());
    lines.add("not a url");
    lines.add("http://");
    lines.add(site.seeds().get(0));
    lines.add("ftp://127.0.1.1/file.txt");
    lines.add("http://10.1.2.3/");
    lines.add("http://localhost:8080/");
    lines.add("# a comment, skipped");

    ClusterRun.Submitted submitted = cluster.submit(lines);
    String out = submitted.output();
    assertEquals(3, submitted.exit(), "some URLs were refused:\n" + out);
    assertTrue(out.contains("batch 1/1: 3 accepted, 6 rejected"), out);
    assertTrue(out.contains("rejected MALFORMED: not a url"), out);
    assertTrue(out.contains("rejected MALFORMED: http://"), out);
    assertTrue(out.contains("rejected DUPLICATE: " + site.seeds().get(0)), out);
    assertTrue(out.contains("rejected DISALLOWED_SCHEME: ftp://127.0.1.1/file.txt"), out);
    assertTrue(out.contains("rejected PRIVATE_NETWORK: http://10.1.2.3/"), out);
    assertTrue(out.contains("rejected PRIVATE_NETWORK: http://localhost:8080/"), out);
    assertTrue(out.contains("total: 3 accepted, 6 rejected"), out);

    ClusterRun.await(node, s -> ClusterRun.drained(s, 150), 120_000, "the valid seeds' sites");
    assertEquals(new HashSet<>(site.allPages()), cluster.countedResults().keySet());
    cluster.terminateAll();
  }

  @Test
  void metricsAreValidPrometheusTextAndStatusCommandShowsTheCluster() throws Exception {
    site = TreeSite.start(vertx, 2, 30, 0);
    cluster = new ClusterRun(dir, List.of());
    NodeProcess node = cluster.start("n1").get(0);
    assertEquals(0, cluster.submit(site.seeds()).exit());
    ClusterRun.await(node, s -> ClusterRun.drained(s, 60), 120_000, "the crawl to drain");
    // The frontier gauges are refreshed once a second.
    Thread.sleep(1_500);
    Map<String, Double> samples = PrometheusText.parse(node.get("/metrics"));
    assertEquals(60.0, samples.get("fleetcrawl_pages_total{crawl=\"it\"}"), samples.toString());
    assertEquals(60.0, samples.get("fleetcrawl_frontier_done{crawl=\"it\"}"));
    assertEquals(0.0, samples.get("fleetcrawl_frontier_queued{crawl=\"it\"}"));
    assertTrue(
        samples.keySet().stream().anyMatch(k -> k.startsWith("fleetcrawl_pool_connections_opened")),
        "pool meters are exported");
    assertTrue(
        samples.keySet().stream().anyMatch(k -> k.startsWith("fleetcrawl_pool_requests_total")),
        "pool meters are exported");
    assertTrue(
        samples.keySet().stream().anyMatch(k -> k.startsWith("vertx_")), "Vert.x meters too");

    ClusterRun.Submitted json = cluster.client(List.of("status", "--json"));
    assertEquals(0, json.exit(), json.output());
    var doc =
        io.fleetcrawl.bus.Json.MAPPER.readTree(json.output().substring(json.output().indexOf('{')));
    assertEquals(1, doc.get("nodes").size());
    assertEquals("n1", doc.get("nodes").get(0).get("node").get("name").asText());
    assertEquals(60, doc.get("nodes").get(0).get("node").get("counters").get("pages").asLong());
    assertEquals(60, doc.get("frontier").get("done").asLong());
    ClusterRun.Submitted table = cluster.client(List.of("status"));
    assertEquals(0, table.exit(), table.output());
    assertTrue(table.output().contains("cluster: 1 node(s)"), table.output());
    assertTrue(
        table.output().contains("frontier: 2 hosts, 0 queued, 0 leased, 60 done"), table.output());
    assertTrue(table.output().contains("pages-n1-000001.jsonl"), table.output());
    cluster.terminateAll();
  }

  /** Starts a node of this cluster bound to {@code iface}, with its own member list. */
  private NodeProcess startOnInterface(String name, String members, String iface) throws Exception {
    NodeProcess node =
        NodeProcess.startNode(
            name,
            dir,
            List.of(
                "--crawl",
                ClusterRun.CRAWL,
                "--out",
                dir.resolve("results").toString(),
                "--cluster-name",
                cluster.clusterName,
                "--members",
                members,
                "--interface",
                iface));
    cluster.nodes.add(node);
    return node;
  }

  @Test
  void nodesWithAnotherClusterNameOrOffTheMemberListDoNotJoin() throws Exception {
    cluster = new ClusterRun(dir, List.of());
    NodeProcess member = cluster.start("member").get(0);

    NodeProcess stranger =
        NodeProcess.startNode(
            "stranger",
            dir,
            List.of(
                "--crawl",
                ClusterRun.CRAWL,
                "--out",
                dir.resolve("results").toString(),
                "--cluster-name",
                cluster.clusterName + "-other",
                "--members",
                "127.0.0.1"));
    cluster.nodes.add(stranger);
    stranger.awaitJoined(120_000);
    assertEquals(1, stranger.status().get("members").size(), "the stranger is alone");
    assertEquals(1, member.status().get("members").size(), "the member is alone");

    NodeProcess unlisted = startOnInterface("unlisted", "127.0.0.1", "127.0.0.2");
    assertTrue(unlisted.process.waitFor(60, TimeUnit.SECONDS), "the unlisted node exits");
    assertEquals(2, unlisted.process.exitValue(), unlisted.tail());
    assertTrue(unlisted.tail().contains("127.0.0.2 is not on the member list"), unlisted.tail());
    assertEquals(1, member.status().get("members").size(), "nobody joined the member");

    // The other direction: a node that lists itself, but that the running member did not list.
    NodeProcess selfListed = startOnInterface("self-listed", "127.0.0.1,127.0.0.5", "127.0.0.5");
    assertTrue(selfListed.process.waitFor(120, TimeUnit.SECONDS), "the self-listed node exits");
    assertEquals(2, selfListed.process.exitValue(), selfListed.tail());
    assertTrue(
        selfListed
            .tail()
            .contains("127.0.0.5 is not on the member list of running member 127.0.0.1"),
        selfListed.tail());

    // And a submit from an address the member did not list sends nothing.
    Path urls = Files.createTempFile(dir, "urls", ".txt");
    Files.write(urls, List.of("http://127.0.0.1:9/never"));
    Path submitLog = dir.resolve("unlisted-submit.log");
    Process submit =
        new ProcessBuilder(
                NodeProcess.command(
                    List.of(
                        "submit",
                        "--crawl",
                        ClusterRun.CRAWL,
                        "--file",
                        urls.toString(),
                        "--cluster-name",
                        cluster.clusterName,
                        "--members",
                        "127.0.0.1,127.0.0.6",
                        "--interface",
                        "127.0.0.6")))
            .redirectErrorStream(true)
            .redirectOutput(submitLog.toFile())
            .start();
    try {
      assertTrue(submit.waitFor(120, TimeUnit.SECONDS), "the unlisted submit exits");
    } finally {
      submit.destroyForcibly();
    }
    String submitOutput = Files.readString(submitLog);
    assertEquals(2, submit.exitValue(), submitOutput);
    assertTrue(
        submitOutput.contains("127.0.0.6 is not on the member list of running member 127.0.0.1"),
        submitOutput);
    JsonNode after =
        ClusterRun.await(
            member, s -> s.get("members").size() == 1, 60_000, "the refused ones to leave");
    assertEquals(0, after.get("frontier").get("queued").asLong(), "nothing was submitted");
    assertEquals(0, after.get("frontier").get("done").asLong(), "nothing was submitted");
    cluster.terminateAll();
  }
}
