package io.fleetcrawl.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.hazelcast.cluster.Member;
import io.fleetcrawl.bus.Addresses;
import io.fleetcrawl.bus.Json;
import io.fleetcrawl.model.InvalidInputException;
import io.fleetcrawl.node.ClusterClient;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code fleetcrawl status}: joins as a lite member, asks every node for its status over the event
 * bus, and prints the cluster's state: nodes, per-node pages/s, frontier totals, the busiest keys,
 * errors and where each node writes.
 */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    description = "Show the cluster: nodes, pages/s, frontier totals, busiest hosts, errors.")
final class StatusCommand implements Callable<Integer> {
  @Option(names = "--json", description = "Print one JSON document instead of a table.")
  boolean json;

  @Option(names = "--watch", description = "Print again every --interval seconds until stopped.")
  boolean watch;

  @Option(
      names = "--interval",
      description = "Seconds between two prints with --watch (default: ${DEFAULT-VALUE}).")
  int interval;

  @Option(
      names = "--crawl",
      paramLabel = "NAME",
      description = "Crawl to show (default: each node's first).")
  String crawl;

  @Mixin ClusterFlags cluster;

  @Mixin ConfigFlag config;

  @Override
  public Integer call() throws Exception {
    if (interval < 1) {
      throw new InvalidInputException("invalid --interval: must be >= 1");
    }
    Vertx vertx =
        ClusterClient.connect(cluster.settings())
            .toCompletionStage()
            .toCompletableFuture()
            .get(120, TimeUnit.SECONDS);
    try {
      do {
        ObjectNode doc = collect(vertx, crawl);
        if (watch && !json) {
          System.out.print("\033[H\033[2J");
        }
        if (json) {
          System.out.println(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(doc));
        } else {
          print(doc, System.out);
        }
        System.out.flush();
        if (watch) {
          Thread.sleep(interval * 1_000L);
        }
      } while (watch);
      return 0;
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }
  }

  /** Asks every data member for its status; a node that does not answer is listed as such. */
  static ObjectNode collect(Vertx vertx, String crawl) throws Exception {
    List<Member> members = new ArrayList<>();
    for (Member m : ClusterClient.hazelcast(vertx).getCluster().getMembers()) {
      if (!m.isLiteMember()) {
        members.add(m);
      }
    }
    List<Future<String>> replies = new ArrayList<>();
    for (Member m : members) {
      replies.add(
          vertx
              .eventBus()
              .<String>request(
                  Addresses.nodeStatus(m.getUuid().toString()),
                  crawl == null ? "" : crawl,
                  new DeliveryOptions().setSendTimeout(10_000))
              .map(r -> r.body()));
    }
    Future.join(replies).toCompletionStage().toCompletableFuture().exceptionally(e -> null).get();
    ObjectNode doc = Json.MAPPER.createObjectNode();
    ArrayNode nodes = doc.putArray("nodes");
    JsonNode frontier = null;
    for (int i = 0; i < members.size(); i++) {
      Future<String> reply = replies.get(i);
      if (reply.succeeded()) {
        JsonNode status = Json.MAPPER.readTree(reply.result());
        nodes.add(status);
        if (frontier == null) {
          frontier = status.get("frontier");
        }
      } else {
        ObjectNode missing = nodes.addObject();
        missing.putObject("node").put("member", members.get(i).getUuid().toString());
        missing.put("error", "no answer: " + reply.cause().getMessage());
      }
    }
    doc.set("frontier", frontier);
    JsonNode first = nodes.isEmpty() ? null : nodes.get(0);
    doc.set("crawls", first == null ? null : first.get("crawls"));
    return doc;
  }

  static void print(JsonNode doc, PrintStream out) {
    JsonNode nodes = doc.get("nodes");
    out.printf(
        "cluster: %d node(s); crawls: %s%n%n",
        nodes.size(), doc.path("crawls").isArray() ? doc.get("crawls").toString() : "?");
    out.printf(
        "%-16s %-10s %9s %9s %7s %9s %8s %8s %7s%n",
        "node", "crawl", "pages/s", "pages", "leased", "in flight", "429/503", "errors", "failed");
    double total = 0;
    for (JsonNode n : nodes) {
      if (n.has("error")) {
        out.printf("%-16s %s%n", n.get("node").get("member").asText(), n.get("error").asText());
        continue;
      }
      JsonNode node = n.get("node");
      JsonNode c = node.get("counters");
      total += node.get("pagesPerSecond").asDouble();
      out.printf(
          "%-16s %-10s %9.1f %9d %7d %9d %8d %8d %7d%n",
          node.get("name").asText(),
          n.get("crawl").asText(),
          node.get("pagesPerSecond").asDouble(),
          c.get("pages").asLong(),
          node.get("leased").asLong(),
          node.get("inFlight").asLong(),
          c.get("throttled429or503").asLong(),
          c.get("fetchErrors").asLong(),
          c.get("failed").asLong());
    }
    out.printf("%-16s %-10s %9.1f%n%n", "all", "", total);
    for (JsonNode n : nodes) {
      JsonNode unproven = n.path("unprovenMembers");
      if (unproven.isArray() && !unproven.isEmpty()) {
        out.printf(
            "UNPROVEN MEMBERS (no proof of the cluster key; not ours): %s%n%n",
            unproven.toString());
        break;
      }
    }
    for (JsonNode n : nodes) {
      if (n.path("coordinator").path("self").asBoolean()) {
        out.printf(
            "budgets: coordinated by %s since %s, %d host(s) under control%n%n",
            n.get("node").get("name").asText(),
            java.time.Instant.ofEpochMilli(n.get("coordinator").get("activeSince").asLong()),
            n.get("coordinator").get("hosts").asLong());
      }
    }
    JsonNode f = doc.get("frontier");
    if (f != null && f.has("keys")) {
      out.printf(
          "frontier: %d hosts, %d queued, %d leased, %d done, %d failed%n%n",
          f.get("keys").asLong(),
          f.get("queued").asLong(),
          f.get("leased").asLong(),
          f.get("done").asLong(),
          f.get("failed").asLong());
      // Budget: requests in flight allowed (and requests/s when paced); in flight: leased on
      // any node; pages/s and "429 5s": a 5 s window refreshed every 5 s; "429 all": since the
      // start.
      out.printf(
          "%-32s %6s %7s %9s %8s %8s %8s %9s %9s %7s %8s%n",
          "busiest hosts",
          "budget",
          "r/s max",
          "in flight",
          "pages/s",
          "429 5s",
          "429 all",
          "queued",
          "done",
          "failed",
          "backoff");
      long now = System.currentTimeMillis();
      for (JsonNode k : f.get("topKeys")) {
        long settled = k.get("settled").asLong();
        long spacing = k.path("spacingMicros").asLong();
        long backoff = k.path("backoffUntil").asLong();
        out.printf(
            "%-32s %6d %7s %9d %8.1f %7.1f%% %7.1f%% %9d %9d %7d %8s%n",
            k.get("key").asText(),
            k.get("budget").asLong(),
            spacing > 0 ? String.format("%.1f", 1_000_000.0 / spacing) : "-",
            k.get("leased").asLong(),
            k.path("pagesPerSecond").asDouble(),
            100 * k.path("recentThrottledShare").asDouble(),
            settled == 0 ? 0.0 : 100.0 * k.get("throttled").asLong() / settled,
            k.get("queued").asLong(),
            k.get("done").asLong(),
            k.get("failed").asLong(),
            backoff > now ? String.format("%.1fs", (backoff - now) / 1_000.0) : "-");
      }
      out.println();
    }
    out.println("results:");
    for (JsonNode n : nodes) {
      if (!n.has("error")) {
        out.printf(
            "  %s: %s%n",
            n.get("node").get("name").asText(), n.get("node").get("resultsFile").asText());
      }
    }
  }
}
