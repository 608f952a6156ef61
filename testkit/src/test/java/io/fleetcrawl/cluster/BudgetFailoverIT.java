package io.fleetcrawl.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three node JVMs crawl one rate-limited site with learned budgets; the node coordinating the
 * budgets is killed with SIGKILL mid-crawl. The site counts the requests it has open at once and
 * its 429s: the cluster never has more in flight than the budget in force, another node takes over
 * the budgets within 15 s, and no URL is given up.
 */
@Tag("integration")
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class BudgetFailoverIT {
  private static final int PAGES = 4_000;
  private static final double RATE = 100;
  private static final double BURST = 10;
  private static final long LATENCY_MS = 30;
  private static final int CEILING = 6;

  @TempDir Path dir;
  private final Vertx vertx = Vertx.vertx();
  private HttpServer server;
  private ClusterRun cluster;

  /** The site: a token bucket answering 429 without Retry-After, and what it saw. */
  private static final class Site {
    final AtomicInteger open = new AtomicInteger();
    final AtomicLong ok = new AtomicLong();
    final AtomicLong throttled = new AtomicLong();

    /** (epoch ms, requests open) at every request's arrival. */
    final ConcurrentLinkedQueue<long[]> arrivals = new ConcurrentLinkedQueue<>();

    final ConcurrentLinkedQueue<long[]> answers = new ConcurrentLinkedQueue<>();
    private double tokens = BURST;
    private long last = System.nanoTime();

    synchronized boolean take() {
      long now = System.nanoTime();
      tokens = Math.min(BURST, tokens + (now - last) / 1e9 * RATE);
      last = now;
      if (tokens < 1) {
        return false;
      }
      tokens -= 1;
      return true;
    }

    int maxOpen(long from, long to) {
      int max = 0;
      for (long[] a : arrivals) {
        if (a[0] >= from && a[0] <= to) {
          max = Math.max(max, (int) a[1]);
        }
      }
      return max;
    }

    /** Returns {ok, 429} answered in [from, to). */
    long[] answered(long from, long to) {
      long[] c = new long[2];
      for (long[] a : answers) {
        if (a[0] >= from && a[0] < to) {
          c[(int) a[1]]++;
        }
      }
      return c;
    }

    void handle(Vertx vertx, HttpServerRequest r) {
      if (r.path().equals("/robots.txt")) {
        r.response().setStatusCode(404).end();
        return;
      }
      arrivals.add(new long[] {System.currentTimeMillis(), open.incrementAndGet()});
      AtomicBoolean finished = new AtomicBoolean();
      Runnable finish =
          () -> {
            if (finished.compareAndSet(false, true)) {
              open.decrementAndGet();
            }
          };
      // A client that dies with the request open (the killed node) closes the connection.
      r.response().closeHandler(v -> finish.run());
      if (!take()) {
        throttled.incrementAndGet();
        answers.add(new long[] {System.currentTimeMillis(), 1});
        finish.run();
        r.response().setStatusCode(429).end("slow down");
        return;
      }
      int n = Integer.parseInt(r.path().substring(3));
      StringBuilder html = new StringBuilder("<html><body>");
      for (int c = 5 * n + 1; c <= 5 * n + 5 && c < PAGES; c++) {
        html.append("<a href=\"/p/").append(c).append("\">").append(c).append("</a>");
      }
      vertx.setTimer(
          LATENCY_MS,
          id -> {
            ok.incrementAndGet();
            answers.add(new long[] {System.currentTimeMillis(), 0});
            finish.run();
            r.response().putHeader("content-type", "text/html").end(html + "</body></html>");
          });
    }
  }

  @AfterEach
  void stopAll() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
    if (server != null) {
      server.close().await(10, TimeUnit.SECONDS);
    }
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  /** One look at the budget of the site's host, as a surviving node's /status shows it. */
  private record Look(long at, int budget, long spacingMicros, String coordinator, long since) {}

  @Test
  void killingTheCoordinatorsNodeNeverOvershootsTheBudgetAndAnotherTakesOverWithin15s()
      throws Exception {
    Site site = new Site();
    server =
        vertx
            .createHttpServer()
            .requestHandler(r -> site.handle(vertx, r))
            .listen(0, "127.0.1.5")
            .await(10, TimeUnit.SECONDS);
    String host = "127.0.1.5:" + server.actualPort();
    cluster =
        new ClusterRun(
            dir,
            // Learned budgets are the default: no flag.
            List.of(
                "--per-host-concurrency",
                Integer.toString(CEILING),
                "--worker-max-in-flight",
                "64"));
    List<NodeProcess> nodes = cluster.start("n1", "n2", "n3");
    NodeProcess watcher = nodes.get(1);
    ClusterRun.await(watcher, s -> s.get("members").size() == 3, 60_000, "three members");
    assertEquals(0, cluster.submit(List.of("http://" + host + "/p/0")).exit());
    long start = System.currentTimeMillis();

    // Until the kill, n2 and n3 are watched; after it, the survivors.
    List<Look> looks = new ArrayList<>();
    ClusterRun.await(
        watcher,
        s -> {
          look(s, looks);
          return s.get("frontier").get("done").asLong() >= PAGES / 3
              && System.currentTimeMillis() - start >= 12_000;
        },
        180_000,
        "a third of the site, after the budget has had 12 s to converge");
    String coordinatorId = watcher.status().get("coordinator").get("member").asText();
    NodeProcess coordinator = null;
    for (NodeProcess n : nodes) {
      JsonNode s = n.status();
      if (s.get("node").get("member").asText().equals(coordinatorId)) {
        coordinator = n;
        assertTrue(s.get("coordinator").get("self").asBoolean(), "it says it coordinates");
      }
    }
    assertTrue(coordinator != null, "the coordinator is one of the nodes: " + coordinatorId);
    NodeProcess observer = coordinator == nodes.get(1) ? nodes.get(2) : nodes.get(1);
    long doneAtKill = observer.status().get("frontier").get("done").asLong();
    long killedAt = System.currentTimeMillis();
    coordinator.process.destroyForcibly();
    assertTrue(coordinator.process.waitFor(10, TimeUnit.SECONDS));

    JsonNode taken =
        ClusterRun.await(
            observer,
            s -> {
              look(s, looks);
              return s.get("members").size() == 2
                  && !s.get("coordinator").get("member").asText().equals(coordinatorId);
            },
            60_000,
            "another node to coordinate");
    String successor = taken.get("coordinator").get("member").asText();
    NodeProcess next = null;
    for (NodeProcess n : nodes) {
      if (n != coordinator && n.status().get("node").get("member").asText().equals(successor)) {
        next = n;
      }
    }
    assertTrue(next != null, "the successor is a surviving node");
    NodeProcess successorNode = next;
    JsonNode active =
        ClusterRun.await(
            successorNode,
            s -> s.get("coordinator").get("self").asBoolean(),
            30_000,
            "the successor to coordinate");
    long takenOverAt = active.get("coordinator").get("activeSince").asLong();
    ClusterRun.await(
        observer,
        s -> {
          look(s, looks);
          return ClusterRun.drained(s, PAGES);
        },
        240_000,
        "the crawl to drain");
    long end = System.currentTimeMillis();

    JsonNode frontier = observer.status().get("frontier");
    assertEquals(PAGES, frontier.get("done").asLong());
    assertEquals(0, frontier.get("failed").asLong(), "no URL given up");
    assertEquals(List.of(), ClusterRun.invariantViolations(observer), "frontier invariants");

    int maxBudget = looks.stream().mapToInt(Look::budget).max().orElse(0);
    // The budget in force between the kill and the successor's first decision is the one the dead
    // coordinator wrote last; the looks around that stretch (refreshed once a second) show it.
    int budgetAtKill =
        looks.stream()
            .filter(l -> l.at() >= killedAt - 2_000 && l.at() <= takenOverAt + 1_500)
            .mapToInt(Look::budget)
            .max()
            .orElse(0);
    int openBetween = site.maxOpen(killedAt, takenOverAt);
    int openEver = site.maxOpen(start, end);
    long[] afterConvergence = site.answered(start + 10_000, end);
    double share =
        afterConvergence[1] / (double) Math.max(1, afterConvergence[0] + afterConvergence[1]);
    double goodput = afterConvergence[0] * 1_000.0 / Math.max(1, end - start - 10_000);
    String figures =
        String.format(
            "killed the coordinator %s at %d of %d pages done; successor coordinating %d ms after"
                + " the kill; budget at the kill %d in flight (highest seen %d, ceiling %d);"
                + " requests open at the site at most %d between the kill and the takeover, %d"
                + " over the crawl; after 10 s: %.1f pages/s (%.0f%% of %.0f r/s), 429 share"
                + " %.2f%%; 429s in all %d",
            coordinator.name,
            doneAtKill,
            PAGES,
            takenOverAt - killedAt,
            budgetAtKill,
            maxBudget,
            CEILING,
            openBetween,
            openEver,
            goodput,
            100 * goodput / RATE,
            RATE,
            100 * share,
            site.throttled.get());
    System.out.println(figures);
    Files.writeString(Path.of("target", "BudgetFailoverIT.txt"), figures + "\n");
    assertTrue(budgetAtKill > 0, figures);
    assertTrue(takenOverAt - killedAt <= 15_000, figures);
    assertTrue(openBetween <= budgetAtKill, "no overshoot while no coordinator runs: " + figures);
    // Budgets are only seen once a second here, so a short-lived higher one could be missed:
    // the whole crawl is held to the ceiling, the stretch without a coordinator to its budget.
    assertTrue(openEver <= CEILING, "never more in flight than the ceiling: " + figures);
    assertTrue(maxBudget <= CEILING, figures);
    assertTrue(share <= 0.05, figures);

    // The budget figures are metrics too, one series per host for the busiest hosts only.
    Map<String, Double> samples = PrometheusText.parse(observer.get("/metrics"));
    // The politeness key is the host name, without the port.
    String series = "{crawl=\"it\",host=\"127.0.1.5\"}";
    assertEquals(
        (double) observer.status().get("frontier").get("topKeys").get(0).get("budget").asInt(),
        samples.get("fleetcrawl_host_budget" + series));
    assertTrue(samples.containsKey("fleetcrawl_host_rate_limit" + series));
    assertTrue(samples.containsKey("fleetcrawl_host_goodput" + series));
    assertTrue(samples.containsKey("fleetcrawl_host_throttled_share" + series));
    assertTrue(samples.containsKey("fleetcrawl_host_backoff_seconds" + series));
    assertTrue(samples.containsKey("fleetcrawl_host_in_flight" + series));
    ClusterRun.Submitted table = cluster.client(List.of("status"));
    assertEquals(0, table.exit(), table.output());
    assertTrue(table.output().contains("budgets: coordinated by"), table.output());
    assertTrue(table.output().contains("127.0.1.5"), table.output());
    cluster.terminateAll();
  }

  private static void look(JsonNode status, List<Look> looks) {
    for (JsonNode k : status.get("frontier").path("topKeys")) {
      JsonNode c = status.path("coordinator");
      looks.add(
          new Look(
              System.currentTimeMillis(),
              k.get("budget").asInt(),
              k.get("spacingMicros").asLong(),
              c.path("member").asText(),
              c.path("activeSince").asLong()));
    }
  }
}
