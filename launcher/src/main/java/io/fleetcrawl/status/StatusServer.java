package io.fleetcrawl.status;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.fleetcrawl.bus.Addresses;
import io.fleetcrawl.bus.Json;
import io.fleetcrawl.crawl.RunningCrawl;
import io.fleetcrawl.frontier.KeyStats;
import io.fleetcrawl.metrics.HostFigures;
import io.fleetcrawl.metrics.HostRates;
import io.fleetcrawl.node.CrawlNode;
import io.fleetcrawl.pool.BodyMemory;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A node's HTTP window: {@code GET /} a live status page with charts, {@code GET /metrics} answers
 * every meter in Prometheus text format, and {@code GET /status} the node's and the frontier's
 * figures as JSON (schema in docs/CLUSTER.md); {@code ?invariants=1} adds the frontier keys whose
 * invariants do not hold (a check that visits every partition). Bound to loopback unless told
 * otherwise. The frontier figures visit every partition, so a worker thread refreshes them once a
 * second. A verticle: its requests, its bus consumer and its timers run on its own context, and
 * undeploying it ({@link #close}) stops them all.
 */
public final class StatusServer extends VerticleBase {
  /** Bumped when a field changes meaning or disappears; new fields do not bump it. */
  public static final int SCHEMA_VERSION = 1;

  private static final int TOP_KEYS = 20;

  /** The status page: static HTML whose script polls /status and draws the charts. */
  private static final io.vertx.core.buffer.Buffer PAGE = loadPage();

  private static final long FRONTIER_REFRESH_MS = 1_000;

  /** Per-host goodput and 429 share are measured over this long. */
  private static final long HOST_RATE_WINDOW_MS = 5_000;

  private final CrawlNode node;
  private final String name;
  private final String host;
  private final int requestedPort;
  private final byte[] token;
  private final long startedAt = System.currentTimeMillis();
  private final Map<String, Watched> crawls = new LinkedHashMap<>();
  private long refreshTimer = -1;
  private HttpServer server;
  private boolean refreshing;
  private final Promise<Void> firstLook = Promise.promise();

  /** What the server keeps about one crawl between requests. */
  private static final class Watched {
    final CrawlNode.Crawl crawl;
    final Throughput throughput;
    final HostRates hosts = new HostRates(HOST_RATE_WINDOW_MS);
    volatile Map<String, Object> frontier = Map.of();

    Watched(Vertx vertx, CrawlNode.Crawl crawl) {
      this.crawl = crawl;
      this.throughput = new Throughput(vertx, crawl.running().stats());
    }
  }

  private StatusServer(CrawlNode node, String name, String host, int port, String token) {
    this.node = node;
    this.name = name;
    this.host = host;
    this.requestedPort = port;
    this.token = token == null ? null : token.getBytes(UTF_8);
  }

  @Override
  public Future<?> start() {
    for (CrawlNode.Crawl crawl : node.crawls()) {
      crawls.put(crawl.name(), new Watched(vertx, crawl));
    }
    refreshTimer = vertx.setPeriodic(0, FRONTIER_REFRESH_MS, id -> refresh());
    var consumer =
        vertx
            .eventBus()
            .<Object>consumer(
                Addresses.nodeStatus(node.memberId()),
                m ->
                    status(m.body() == null ? "" : m.body().toString())
                        .onSuccess(doc -> m.reply(new String(Json.toBytes(doc), UTF_8)))
                        .onFailure(e -> m.fail(503, "status unavailable: " + e.getMessage())));
    return consumer
        .completion()
        .compose(
            v -> vertx.createHttpServer().requestHandler(this::handle).listen(requestedPort, host))
        .onSuccess(listening -> server = listening);
  }

  @Override
  public Future<?> stop() {
    crawls.values().forEach(w -> w.throughput.close());
    vertx.cancelTimer(refreshTimer);
    return server == null ? Future.succeededFuture() : server.close();
  }

  private static io.vertx.core.buffer.Buffer loadPage() {
    try (var in = StatusServer.class.getResourceAsStream("/status/index.html")) {
      if (in == null) {
        throw new IllegalStateException("status/index.html is missing from the jar");
      }
      return io.vertx.core.buffer.Buffer.buffer(in.readAllBytes());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Starts serving on {@code host:port} (port 0 picks a free one), open to every caller. */
  public static Future<StatusServer> start(CrawlNode node, String name, String host, int port) {
    return start(node, name, host, port, null);
  }

  /**
   * Deploys the server on the node, serving on {@code host:port}; with a token, every request must
   * carry it as {@code Authorization: Bearer TOKEN} (Prometheus) or {@code ?token=TOKEN} (the page
   * in a browser, whose script passes its query string on).
   */
  public static Future<StatusServer> start(
      CrawlNode node, String name, String host, int port, String token) {
    StatusServer status = new StatusServer(node, name, host, port, token);
    return node.vertx().deployVerticle(status).map(id -> status);
  }

  private boolean authorized(HttpServerRequest request) {
    String header = request.getHeader("Authorization");
    String given =
        header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)
            ? header.substring(7).strip()
            : request.getParam("token");
    // Constant time, so the answer's timing does not reveal how much of a guess was right.
    return given != null && MessageDigest.isEqual(token, given.getBytes(UTF_8));
  }

  /** Returns the port the server listens on. */
  public int port() {
    return server.actualPort();
  }

  private void handle(HttpServerRequest request) {
    if (token != null && !authorized(request)) {
      request
          .response()
          .setStatusCode(401)
          .putHeader("WWW-Authenticate", "Bearer")
          .end("a token is required: Authorization: Bearer TOKEN, or ?token=TOKEN\n");
      return;
    }
    if ("/".equals(request.path())) {
      request
          .response()
          .putHeader("content-type", "text/html; charset=utf-8")
          .putHeader("cache-control", "no-store")
          .end(PAGE);
      return;
    }
    if ("/metrics".equals(request.path())) {
      vertx
          .executeBlocking(() -> node.registry().scrape(), false)
          .onSuccess(
              text ->
                  request
                      .response()
                      .putHeader("content-type", "text/plain; version=0.0.4; charset=utf-8")
                      .end(text))
          .onFailure(e -> request.response().setStatusCode(500).end(e.toString()));
      return;
    }
    if (!"/status".equals(request.path())) {
      request.response().setStatusCode(404).end("not found: try /, /status or /metrics\n");
      return;
    }
    String crawlName = request.getParam("crawl", "");
    Watched watched = watched(crawlName);
    if (watched == null) {
      request
          .response()
          .setStatusCode(404)
          .end("no crawl '" + crawlName + "' on this node; it runs " + crawls.keySet() + "\n");
      return;
    }
    Future<Map<String, Object>> doc = status(crawlName);
    if ("1".equals(request.getParam("invariants"))) {
      doc =
          doc.compose(
              d ->
                  vertx
                      .executeBlocking(
                          () -> watched.crawl.running().frontier().invariantViolations(), false)
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

  /** Returns the crawl of that name, or the node's first when the name is empty; null if none. */
  private Watched watched(String crawlName) {
    return crawlName == null || crawlName.isEmpty()
        ? crawls.values().iterator().next()
        : crawls.get(crawlName);
  }

  /**
   * Returns the status document of one crawl (the node's first for an empty name); see
   * docs/CLUSTER.md. Fails naming the crawls the node runs when it runs none of that name.
   */
  public Future<Map<String, Object>> status(String crawlName) {
    Watched watched = watched(crawlName);
    if (watched == null) {
      return Future.failedFuture(
          "no crawl '" + crawlName + "' on this node; it runs " + crawls.keySet());
    }
    return firstLook
        .future()
        .map(
            unused -> {
              Map<String, Object> frontierFigures = watched.frontier;
              RunningCrawl crawl = watched.crawl.running();
              Map<String, Object> doc = new LinkedHashMap<>();
              doc.put("schema", SCHEMA_VERSION);
              Map<String, Object> self = new LinkedHashMap<>();
              self.put("name", name);
              self.put("member", node.memberId());
              self.put("startedAt", startedAt);
              self.put("stopping", crawl.stopping().get());
              self.putAll(crawl.sink().status());
              if (crawl.stats().fatal() != null) {
                self.put("stoppedBy", crawl.stats().fatal());
              }
              self.put("pagesPerSecond", watched.throughput.pagesPerSecond());
              self.put("inFlight", crawl.stats().inFlight.get());
              self.put("leased", crawl.stats().leased.get());
              self.put("releasedOnMemberLoss", watched.crawl.reaper().releasedOnMemberLoss());
              BodyMemory memory = BodyMemory.find(node.vertx());
              if (memory != null) {
                self.put("bodyMemory", memory.status());
              }
              self.put("counters", crawl.stats().snapshot());
              self.put("frontierOperations", crawl.frontier().operations());
              self.put("controls", crawl.controls().status());
              if (watched.crawl.state() != null) {
                self.put("state", watched.crawl.state().status());
              }
              doc.put("node", self);
              doc.put("members", node.members());
              // Members without the cluster key's proof: empty on a healthy cluster.
              doc.put("unprovenMembers", node.unprovenMembers());
              doc.put("crawl", crawl.config().name());
              doc.put("crawls", List.copyOf(crawls.keySet()));
              doc.put("frontier", frontierFigures);
              if (watched.crawl.budgets() != null) {
                doc.put("coordinator", watched.crawl.budgets().view());
              }
              return doc;
            });
  }

  /** Looks at every frontier key on a worker thread, once a second, for /status and /metrics. */
  private void refresh() {
    if (refreshing) {
      return;
    }
    refreshing = true;
    vertx
        .executeBlocking(
            () -> {
              for (Watched w : crawls.values()) {
                List<KeyStats> keys = w.crawl.running().frontier().stats();
                long now = System.currentTimeMillis();
                List<HostFigures> top = w.hosts.update(now, keys, TOP_KEYS);
                w.crawl.meters().updateFrontier(keys);
                w.crawl.meters().updateHosts(now, top);
                w.frontier = summarise(keys, top);
              }
              return null;
            },
            false)
        .onComplete(
            ar -> {
              refreshing = false;
              firstLook.tryComplete();
            });
  }

  private static Map<String, Object> summarise(List<KeyStats> keys, List<HostFigures> top) {
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
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("keys", keys.size());
    m.put("queued", queued);
    m.put("leased", leased);
    m.put("done", done);
    m.put("failed", failed);
    m.put("topKeys", top);
    return m;
  }

  /** Stops serving: undeploys the server. */
  public Future<Void> close() {
    return vertx.undeploy(deploymentID());
  }
}
