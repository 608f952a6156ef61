package io.fleetcrawl.status;

import io.fleetcrawl.bus.Json;
import io.fleetcrawl.crawl.RunningCrawl;
import io.fleetcrawl.frontier.KeyStats;
import io.fleetcrawl.node.CrawlNode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A node's HTTP window: {@code GET /status} answers the node's and the frontier's figures as JSON
 * (schema in docs/STATUS.md); {@code ?invariants=1} adds the frontier keys whose invariants do not
 * hold (a check that visits every partition). Bound to loopback unless told otherwise. The frontier
 * figures visit every partition, so they are computed on a worker thread and at most once a second.
 */
public final class StatusServer {
  /** Bumped when a field changes meaning or disappears; new fields do not bump it. */
  public static final int SCHEMA_VERSION = 1;

  private static final int TOP_KEYS = 20;
  private static final long FRONTIER_CACHE_MS = 1_000;

  private final Vertx vertx;
  private final CrawlNode node;
  private final String name;
  private final long startedAt = System.currentTimeMillis();
  private final Throughput throughput;
  private HttpServer server;
  private Future<Map<String, Object>> frontier;
  private long frontierAt;

  private StatusServer(CrawlNode node, String name) {
    this.vertx = node.vertx();
    this.node = node;
    this.name = name;
    this.throughput = new Throughput(vertx, node.crawl().stats());
  }

  /** Starts serving on {@code host:port} (port 0 picks a free one). */
  public static Future<StatusServer> start(CrawlNode node, String name, String host, int port) {
    StatusServer status = new StatusServer(node, name);
    return node.vertx()
        .createHttpServer()
        .requestHandler(status::handle)
        .listen(port, host)
        .map(
            server -> {
              status.server = server;
              return status;
            });
  }

  /** Returns the port the server listens on. */
  public int port() {
    return server.actualPort();
  }

  private void handle(HttpServerRequest request) {
    if (!"/status".equals(request.path())) {
      request.response().setStatusCode(404).end("not found: try /status\n");
      return;
    }
    Future<Map<String, Object>> doc = status();
    if ("1".equals(request.getParam("invariants"))) {
      doc =
          doc.compose(
              d ->
                  vertx
                      .executeBlocking(() -> node.crawl().frontier().invariantViolations(), false)
                      .map(
                          violations -> {
                            d.put("invariantViolations", violations);
                            return d;
                          }));
    }
    doc.onSuccess(
            body ->
                request
                    .response()
                    .putHeader("content-type", "application/json")
                    .putHeader("cache-control", "no-store")
                    .end(io.vertx.core.buffer.Buffer.buffer(Json.toBytes(body))))
        .onFailure(
            e -> request.response().setStatusCode(503).end("status unavailable: " + e + "\n"));
  }

  /** Returns the status document; see docs/STATUS.md. */
  public Future<Map<String, Object>> status() {
    return frontier()
        .map(
            frontierFigures -> {
              RunningCrawl crawl = node.crawl();
              Map<String, Object> doc = new LinkedHashMap<>();
              doc.put("schema", SCHEMA_VERSION);
              Map<String, Object> self = new LinkedHashMap<>();
              self.put("name", name);
              self.put("member", node.memberId());
              self.put("startedAt", startedAt);
              self.put("stopping", crawl.stopping().get());
              self.put("resultsFile", crawl.sink().file().toAbsolutePath().toString());
              self.put("pagesPerSecond", throughput.pagesPerSecond());
              self.put("inFlight", crawl.stats().inFlight.get());
              self.put("leased", crawl.stats().leased.get());
              self.put("releasedOnMemberLoss", node.releasedOnMemberLoss());
              self.put("counters", crawl.stats().snapshot());
              doc.put("node", self);
              doc.put("members", node.members());
              doc.put("crawl", crawl.config().name());
              doc.put("frontier", frontierFigures);
              return doc;
            });
  }

  private Future<Map<String, Object>> frontier() {
    long now = System.currentTimeMillis();
    if (frontier == null || (frontier.isComplete() && now - frontierAt >= FRONTIER_CACHE_MS)) {
      frontierAt = now;
      frontier = vertx.executeBlocking(() -> summarise(node.crawl().frontier().stats()), false);
    }
    return frontier;
  }

  private static Map<String, Object> summarise(List<KeyStats> keys) {
    long queued = 0;
    long leased = 0;
    long done = 0;
    long failed = 0;
    for (KeyStats k : keys) {
      queued += k.queued();
      leased += k.leased();
      done += k.done();
      failed += k.failed();
    }
    List<KeyStats> top = new ArrayList<>(keys);
    top.sort(
        Comparator.comparingLong((KeyStats k) -> k.queued() + k.leased())
            .reversed()
            .thenComparing(KeyStats::key));
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("keys", keys.size());
    m.put("queued", queued);
    m.put("leased", leased);
    m.put("done", done);
    m.put("failed", failed);
    m.put("topKeys", top.subList(0, Math.min(TOP_KEYS, top.size())));
    return m;
  }

  /** Stops serving. */
  public Future<Void> close() {
    throughput.close();
    return server == null ? Future.succeededFuture() : server.close();
  }
}
