package io.fleetcrawl.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import io.fleetcrawl.bus.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * A cluster of real node JVMs on loopback for one test: a private cluster name, a shared results
 * directory, and helpers to submit, watch and read the results.
 */
final class ClusterRun implements AutoCloseable {
  static final String CRAWL = "it";

  final Path dir;
  final String clusterName = "it-" + UUID.randomUUID();
  final List<NodeProcess> nodes = new ArrayList<>();
  final List<String> nodeArgs;

  /**
   * JVM flags for every node: the test's own, plus any in the system property {@code
   * fleetcrawl.it.nodeJvmFlags} (space-separated), to run a whole test class under a setting.
   */
  private final List<String> nodeJvmFlags = new ArrayList<>();

  ClusterRun(Path dir, List<String> extraNodeArgs) {
    this.dir = dir;
    List<String> args = new ArrayList<>(clusterArgs());
    args.addAll(
        List.of("--crawl", CRAWL, "--out", dir.resolve("results").toString(), "--workers", "1"));
    if (!extraNodeArgs.contains("--allow-network")) {
      args.add("--allow-private-networks");
    }
    args.addAll(extraNodeArgs);
    this.nodeArgs = args;
    String flags = System.getProperty("fleetcrawl.it.nodeJvmFlags", "").trim();
    if (!flags.isEmpty()) {
      nodeJvmFlags.addAll(List.of(flags.split("\\s+")));
    }
  }

  /** Adds JVM flags for the nodes started from now on; returns this. */
  ClusterRun withNodeJvmFlags(List<String> flags) {
    nodeJvmFlags.addAll(flags);
    return this;
  }

  List<String> clusterArgs() {
    return List.of("--cluster-name", clusterName, "--members", "127.0.0.1");
  }

  /** Starts nodes (in parallel) and waits until each has joined. */
  List<NodeProcess> start(String... names) throws Exception {
    List<NodeProcess> started = new ArrayList<>();
    for (String name : names) {
      NodeProcess node = NodeProcess.startNode(name, List.of(), nodeJvmFlags, nodeArgs);
      nodes.add(node);
      started.add(node);
    }
    for (NodeProcess node : started) {
      node.awaitJoined(120_000);
    }
    return started;
  }

  /** Runs {@code fleetcrawl submit} for these URLs; returns its exit status and output. */
  Submitted submit(List<String> urls) throws Exception {
    Path file = Files.createTempFile(dir, "urls", ".txt");
    Files.write(file, urls);
    return client(List.of("submit", "--crawl", CRAWL, "--file", file.toString()));
  }

  /** Runs a client command ({@code submit}, {@code status}) against the cluster. */
  Submitted client(List<String> command) throws Exception {
    List<String> args = new ArrayList<>(command);
    args.addAll(clusterArgs());
    Path out = dir.resolve("client-" + UUID.randomUUID() + ".log");
    Process p =
        new ProcessBuilder(NodeProcess.command(args))
            .redirectErrorStream(true)
            .redirectOutput(out.toFile())
            .start();
    try {
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        throw new IllegalStateException("submit did not finish:\n" + Files.readString(out));
      }
      return new Submitted(p.exitValue(), Files.readString(out));
    } finally {
      p.destroyForcibly();
    }
  }

  record Submitted(int exit, String output) {}

  /** Polls a node's status until the condition holds; returns the status that satisfied it. */
  static JsonNode await(
      NodeProcess node, Predicate<JsonNode> condition, long timeoutMs, String what)
      throws Exception {
    long deadline = System.currentTimeMillis() + timeoutMs;
    JsonNode last = null;
    while (System.currentTimeMillis() < deadline) {
      last = node.status();
      if (condition.test(last)) {
        return last;
      }
      Thread.sleep(200);
    }
    throw new AssertionError(
        "timed out waiting for "
            + what
            + "; last status of "
            + node.name
            + ": "
            + last
            + "\n"
            + node.tail());
  }

  static boolean drained(JsonNode status, int pages) {
    JsonNode f = status.get("frontier");
    return f.get("queued").asLong() == 0
        && f.get("leased").asLong() == 0
        && f.get("done").asLong() >= pages;
  }

  /**
   * Reads every node's results files and counts the lines that count per URL: a retraction line
   * cancels the same file's earlier line for its URL. Only lines ended by a newline count: a node
   * killed in the middle of writing leaves its file's last line cut short, and that result was
   * never acknowledged, so another node fetches the URL again (docs/CLUSTER.md, "Reading a
   * cluster's results").
   */
  Map<String, Integer> countedResults() throws IOException {
    Map<String, Integer> counts = new HashMap<>();
    try (Stream<Path> files = Files.walk(dir.resolve("results"))) {
      for (Path file : files.filter(f -> f.toString().endsWith(".jsonl")).toList()) {
        String text = Files.readString(file);
        String complete = text.substring(0, text.lastIndexOf('\n') + 1);
        for (String line : complete.split("\n")) {
          if (line.isBlank()) {
            continue;
          }
          JsonNode json = Json.MAPPER.readTree(line);
          String url = json.get("url").asText();
          int delta = json.path("retracted").asBoolean(false) ? -1 : 1;
          counts.merge(url, delta, Integer::sum);
        }
      }
    }
    counts.values().removeIf(c -> c == 0);
    return counts;
  }

  /** Asks a node to check every frontier key's invariants; returns the violations. */
  static List<String> invariantViolations(NodeProcess node) throws Exception {
    List<String> violations = new ArrayList<>();
    node.statusWith("?invariants=1")
        .get("invariantViolations")
        .forEach(v -> violations.add(v.asText()));
    return violations;
  }

  /** Stops the remaining nodes with SIGTERM and waits for them to leave. */
  void terminateAll() throws Exception {
    for (NodeProcess node : nodes) {
      if (node.process.isAlive()) {
        node.process.destroy();
      }
    }
    for (NodeProcess node : nodes) {
      if (!node.process.waitFor(90, TimeUnit.SECONDS)) {
        throw new AssertionError(node.name + " did not leave within 90 s of SIGTERM");
      }
    }
  }

  @Override
  public void close() throws Exception {
    for (NodeProcess node : nodes) {
      node.close();
    }
  }
}
