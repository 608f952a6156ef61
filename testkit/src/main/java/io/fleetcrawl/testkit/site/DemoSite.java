package io.fleetcrawl.testkit.site;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.PemKeyCertOptions;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A generated web site on loopback for the demo and the end-to-end tests: several hosts on distinct
 * 127.0.0.x addresses, plain HTTP/1.1 or HTTPS with h2 via ALPN, pages linking to each other, a
 * robots.txt excluding {@code /private/}, nofollow links, links to a stranger host outside the
 * crawl's scope, and optionally a host answering 429 above a fixed rate. Every request is counted,
 * so tests can assert what was and was not fetched.
 */
public final class DemoSite {
  /** The certificate the HTTPS hosts present; clients trust it with --tls-trust-pem. */
  public static final String CERT_RESOURCE = "/demo/demo-cert.pem";

  private static final String KEY_RESOURCE = "/demo/demo-key.pem";
  private static final int FIRST_OCTET = 11;
  private static final String FILLER =
      "Fleetcrawl demo text that gives each page a realistic weight for a crawler to read. ";

  /**
   * One host of the site.
   *
   * @param tls whether the host speaks HTTPS (h2 or HTTP/1.1 via ALPN)
   * @param ratePerSecond the rate above which it answers 429 with Retry-After, or 0 for no limit
   */
  public record HostSpec(boolean tls, int ratePerSecond) {}

  private final Vertx vertx;
  private final int pagesPerHost;
  private final List<HttpServer> servers = new ArrayList<>();
  private final List<String> origins = new ArrayList<>();
  private final Map<String, AtomicInteger> requests = new ConcurrentHashMap<>();
  private final AtomicInteger throttled = new AtomicInteger();
  private String strangerOrigin;

  private DemoSite(Vertx vertx, int pagesPerHost) {
    this.vertx = vertx;
    this.pagesPerHost = pagesPerHost;
  }

  /** Starts one server per host on 127.0.0.11, .12, ... plus the stranger, on free ports. */
  public static Future<DemoSite> start(Vertx vertx, List<HostSpec> hosts, int pagesPerHost) {
    DemoSite site = new DemoSite(vertx, pagesPerHost);
    List<Future<HttpServer>> started = new ArrayList<>();
    for (int i = 0; i < hosts.size(); i++) {
      started.add(site.startHost("127.0.0." + (FIRST_OCTET + i), hosts.get(i)));
    }
    started.add(site.startHost("127.0.0." + (FIRST_OCTET + hosts.size()), new HostSpec(false, 0)));
    return Future.all(started)
        .map(
            all -> {
              for (int i = 0; i < started.size(); i++) {
                HttpServer server = started.get(i).result();
                String ip = "127.0.0." + (FIRST_OCTET + i);
                boolean tls = i < hosts.size() && hosts.get(i).tls();
                String origin = (tls ? "https://" : "http://") + ip + ":" + server.actualPort();
                site.servers.add(server);
                if (i < hosts.size()) {
                  site.origins.add(origin);
                } else {
                  site.strangerOrigin = origin;
                }
              }
              return site;
            });
  }

  /** Returns the seed URL of every in-scope host: its first page. */
  public List<String> seeds() {
    return origins.stream().map(o -> o + "/").toList();
  }

  /** Returns the origins of the in-scope hosts, e.g. {@code http://127.0.0.11:40123}. */
  public List<String> origins() {
    return List.copyOf(origins);
  }

  /** Returns the origin of the host that pages link to but that no crawl should visit. */
  public String strangerOrigin() {
    return strangerOrigin;
  }

  /** Returns the pages each host serves (besides robots.txt), all reachable from its seed. */
  public int pagesPerHost() {
    return pagesPerHost;
  }

  /** Returns how often {@code origin + path} was requested (429 answers included). */
  public int requestCount(String originAndPath) {
    AtomicInteger n = requests.get(originAndPath);
    return n == null ? 0 : n.get();
  }

  /** Returns every requested origin+path with its count. */
  public Map<String, Integer> requestCounts() {
    Map<String, Integer> copy = new ConcurrentHashMap<>();
    requests.forEach((k, v) -> copy.put(k, v.get()));
    return copy;
  }

  /** Returns how many requests were answered with 429. */
  public int throttledCount() {
    return throttled.get();
  }

  /** Returns the PEM of the certificate the HTTPS hosts present. */
  public static Buffer certificatePem() {
    return resource(CERT_RESOURCE);
  }

  /** Stops every server. */
  public Future<Void> stop() {
    return Future.all(servers.stream().map(HttpServer::close).toList()).mapEmpty();
  }

  private Future<HttpServer> startHost(String ip, HostSpec spec) {
    HttpServerOptions options = new HttpServerOptions().setHost(ip).setPort(0);
    if (spec.tls()) {
      options
          .setSsl(true)
          .setUseAlpn(true)
          .setKeyCertOptions(
              new PemKeyCertOptions()
                  .setCertValue(resource(CERT_RESOURCE))
                  .setKeyValue(resource(KEY_RESOURCE)));
    }
    TokenBucket bucket = spec.ratePerSecond() > 0 ? new TokenBucket(spec.ratePerSecond()) : null;
    HttpServer server = vertx.createHttpServer(options);
    server.requestHandler(request -> serve(request, bucket));
    return server.listen();
  }

  private void serve(HttpServerRequest request, TokenBucket bucket) {
    String origin = (request.isSSL() ? "https://" : "http://") + request.authority().toString();
    String path = request.path();
    requests.computeIfAbsent(origin + path, k -> new AtomicInteger()).incrementAndGet();
    if (bucket != null && !path.equals("/robots.txt") && !bucket.tryTake(System.nanoTime())) {
      throttled.incrementAndGet();
      request.response().setStatusCode(429).putHeader("Retry-After", "1").end();
      return;
    }
    if (path.equals("/robots.txt")) {
      request
          .response()
          .putHeader("Content-Type", "text/plain")
          .end("User-agent: *\nDisallow: /private/\n");
      return;
    }
    int page = pageNumber(path);
    if (page < 0 || origins.indexOf(origin) < 0) {
      request
          .response()
          .setStatusCode(404)
          .putHeader("Content-Type", "text/html")
          .end("<html><body>not here</body></html>");
      return;
    }
    request
        .response()
        .putHeader("Content-Type", "text/html; charset=utf-8")
        .end(page(origin, page));
  }

  private int pageNumber(String path) {
    if (path.equals("/")) {
      return 0;
    }
    if (path.startsWith("/p/") && path.endsWith(".html")) {
      try {
        int n = Integer.parseInt(path.substring(3, path.length() - 5));
        return n > 0 && n < pagesPerHost ? n : -1;
      } catch (NumberFormatException e) {
        return -1;
      }
    }
    return -1;
  }

  /** Returns the path of page {@code n}: the root for page 0. */
  public static String pagePath(int n) {
    return n == 0 ? "/" : "/p/" + n + ".html";
  }

  private String page(String origin, int n) {
    StringBuilder html = new StringBuilder(10_000);
    html.append("<!doctype html><html><head><title>Page ")
        .append(n)
        .append("</title></head><body>");
    html.append("<h1>").append(origin).append(" page ").append(n).append("</h1><ul>");
    int hostIndex = origins.indexOf(origin);
    // The next page keeps every page reachable; the others make the link graph dense.
    link(html, pagePath((n + 1) % pagesPerHost));
    for (int k = 1; k <= 14; k++) {
      link(html, pagePath((int) ((n * 31L + k * 97L) % pagesPerHost)));
    }
    link(html, pagePath(n) + "#section");
    link(html, origins.get((hostIndex + 1) % origins.size()) + pagePath((n * 7) % pagesPerHost));
    link(html, "/private/" + (n % 10) + ".html");
    html.append("<li><a rel=\"nofollow\" href=\"/nofollow/")
        .append(n)
        .append(".html\">nofollow</a></li>");
    link(html, strangerOrigin + "/");
    link(html, "mailto:someone@example.invalid");
    html.append("</ul>");
    for (int i = 0; i < 60; i++) {
      html.append("<p>").append(FILLER).append(FILLER.length() * i % 7).append("</p>");
    }
    return html.append("</body></html>").toString();
  }

  private static void link(StringBuilder html, String href) {
    html.append("<li><a href=\"").append(href).append("\">").append(href).append("</a></li>");
  }

  private static Buffer resource(String name) {
    try (InputStream in = DemoSite.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException(name + " is missing from the jar");
      }
      return Buffer.buffer(in.readAllBytes());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Admits {@code rate} requests a second with a burst of the same size; event-loop confined. */
  private static final class TokenBucket {
    private final double ratePerNano;
    private final double capacity;
    private double tokens;
    private long last;

    TokenBucket(int ratePerSecond) {
      this.ratePerNano = ratePerSecond / 1e9;
      this.capacity = ratePerSecond;
      this.tokens = ratePerSecond;
      this.last = System.nanoTime();
    }

    synchronized boolean tryTake(long now) {
      tokens = Math.min(capacity, tokens + (now - last) * ratePerNano);
      last = now;
      if (tokens >= 1) {
        tokens -= 1;
        return true;
      }
      return false;
    }
  }
}
