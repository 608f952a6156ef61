package io.fleetcrawl.testkit.site;

import io.fleetcrawl.model.InvalidInputException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A site of many hosts for cluster tests and the scaling benchmark, each host on its own loopback
 * address (127.0.1.N, then 127.0.2.N, …) so each is its own politeness key. Page N of a host links
 * to pages 5N+1..5N+5 and back to page 0, so every page is reachable from /p/0. Every request is
 * counted per URL, so a test can tell exactly which pages were fetched more than once.
 */
public final class TreeSite {
  private final Vertx vertx;
  private final int pagesPerHost;
  private final long delayMs;
  private final List<HttpServer> servers = new ArrayList<>();
  private final List<String> origins = new ArrayList<>();
  private final Map<String, AtomicInteger> requests = new ConcurrentHashMap<>();
  private final Map<String, Long> firstRequestedNanos = new ConcurrentHashMap<>();

  private TreeSite(Vertx vertx, int pagesPerHost, long delayMs) {
    this.vertx = vertx;
    this.pagesPerHost = pagesPerHost;
    this.delayMs = delayMs;
  }

  /** Starts {@code hosts} hosts; each answers after {@code delayMs}. */
  public static TreeSite start(Vertx vertx, int hosts, int pagesPerHost, long delayMs)
      throws Exception {
    TreeSite site = new TreeSite(vertx, pagesPerHost, delayMs);
    if (hosts < 1 || hosts > 250 * 250) {
      throw new InvalidInputException("invalid --hosts: must be 1.." + 250 * 250);
    }
    for (int h = 1; h <= hosts; h++) {
      // 127.0.1.1 .. 127.0.1.250, then 127.0.2.1 ...: loopback addresses, one per host.
      String ip = "127.0." + (1 + (h - 1) / 250) + "." + (1 + (h - 1) % 250);
      site.serve(ip, 0);
    }
    return site;
  }

  /**
   * Starts one server on {@code bindHost:port} that answers for whatever name it is reached by: in
   * a container network every alias of the server is a host of its own to the crawler.
   */
  public static TreeSite listen(
      Vertx vertx, String bindHost, int port, int pagesPerHost, long delayMs) throws Exception {
    if (pagesPerHost < 1) {
      throw new InvalidInputException("invalid --pages-per-host: must be at least 1");
    }
    TreeSite site = new TreeSite(vertx, pagesPerHost, delayMs);
    site.serve(bindHost, port);
    return site;
  }

  private void serve(String host, int port) throws Exception {
    HttpServer server =
        vertx
            .createHttpServer()
            .requestHandler(r -> handle(host, r))
            .listen(port, host)
            .toCompletionStage()
            .toCompletableFuture()
            .get();
    servers.add(server);
    origins.add("http://" + host + ":" + server.actualPort());
  }

  /** Returns each host's first page: the seeds. */
  public List<String> seeds() {
    return origins.stream().map(o -> o + "/p/0").toList();
  }

  /** Returns every page URL of the site. */
  public List<String> allPages() {
    List<String> all = new ArrayList<>();
    for (String origin : origins) {
      for (int n = 0; n < pagesPerHost; n++) {
        all.add(origin + "/p/" + n);
      }
    }
    return all;
  }

  /** Returns how many times each URL was requested (robots.txt included). */
  public Map<String, AtomicInteger> requests() {
    return requests;
  }

  /** Returns how many page requests beyond the first each page received, summed. */
  public int repeatedPageFetches() {
    int repeated = 0;
    for (Map.Entry<String, AtomicInteger> e : requests.entrySet()) {
      if (e.getKey().contains("/p/")) {
        repeated += e.getValue().get() - 1;
      }
    }
    return repeated;
  }

  /**
   * Returns how many pages were first requested at or after {@code nanos} ({@link
   * System#nanoTime()}) and before {@code untilNanos}.
   */
  public int pagesFirstRequestedBetween(long nanos, long untilNanos) {
    int n = 0;
    for (Map.Entry<String, Long> e : firstRequestedNanos.entrySet()) {
      long at = e.getValue();
      if (e.getKey().contains("/p/") && at - nanos >= 0 && untilNanos - at > 0) {
        n++;
      }
    }
    return n;
  }

  private void handle(String ip, HttpServerRequest request) {
    String url = "http://" + ip + ":" + request.localAddress().port() + request.path();
    requests.computeIfAbsent(url, k -> new AtomicInteger()).incrementAndGet();
    firstRequestedNanos.putIfAbsent(url, System.nanoTime());
    if (!request.path().startsWith("/p/")) {
      request.response().setStatusCode(404).end();
      return;
    }
    int n;
    try {
      n = Integer.parseInt(request.path().substring(3));
    } catch (NumberFormatException e) {
      request.response().setStatusCode(404).end();
      return;
    }
    StringBuilder html = new StringBuilder("<!doctype html><html><body><h1>page ");
    html.append(n).append("</h1><a href=\"/p/0\">home</a>");
    for (int c = 5 * n + 1; c <= 5 * n + 5 && c < pagesPerHost; c++) {
      html.append("<a href=\"/p/").append(c).append("\">").append(c).append("</a>");
    }
    html.append("</body></html>");
    Runnable answer =
        () -> request.response().putHeader("content-type", "text/html").end(html.toString());
    if (delayMs > 0) {
      vertx.setTimer(delayMs, id -> answer.run());
    } else {
      answer.run();
    }
  }

  public Future<Void> close() {
    return Future.all(servers.stream().map(HttpServer::close).toList()).mapEmpty();
  }
}
