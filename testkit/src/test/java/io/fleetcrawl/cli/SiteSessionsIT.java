package io.fleetcrawl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import io.fleetcrawl.bus.Json;
import io.fleetcrawl.config.CrawlConfig;
import io.fleetcrawl.config.FetchConfig;
import io.fleetcrawl.config.HeaderRule;
import io.fleetcrawl.config.OutputConfig;
import io.fleetcrawl.config.PoolConfig;
import io.fleetcrawl.config.RequestConfig;
import io.fleetcrawl.config.ScopeMode;
import io.fleetcrawl.config.SiteCredential;
import io.fleetcrawl.network.NetworkPolicy;
import io.fleetcrawl.node.ClusterSettings;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.netpreserve.jwarc.WarcReader;
import org.netpreserve.jwarc.WarcRecord;
import org.netpreserve.jwarc.WarcRequest;
import org.slf4j.LoggerFactory;

/**
 * What requests carry through WebClient, against real servers on three loopback hosts: a site that
 * needs its session cookie, cookies that must stay with the host that set them, a site that sets
 * 10,000 cookies, configured headers per host pattern, and credentials that must reach only the
 * host they name.
 */
@Tag("integration")
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class SiteSessionsIT {
  private static final String A = "127.0.0.31";
  private static final String B = "127.0.0.32";
  private static final String C = "127.0.0.33";
  private static final int GATED_PAGES = 20;
  private static final int COOKIE_PAGES = 200;
  private static final int COOKIES_PER_PAGE = 50;
  private static final String SECRET = "s3cret-Pa55-7f1c";
  private static final String USER = "crawler";

  /** One request as a server saw it. */
  private record Seen(String host, String path, MultiMap headers) {
    String cookies() {
      return headers.get("Cookie") == null ? "" : headers.get("Cookie");
    }
  }

  @TempDir Path dir;
  private Vertx sites;
  private final Queue<Seen> seen = new ConcurrentLinkedQueue<>();
  private final Map<String, String> origins = new HashMap<>();
  private volatile boolean aNeedsAuth;

  @BeforeEach
  void startSites() throws Exception {
    sites = Vertx.vertx();
    origins.put(A, start(A, this::siteA));
    origins.put(B, start(B, this::siteB));
    origins.put(C, start(C, this::siteC));
  }

  @AfterEach
  void stopSites() throws Exception {
    sites.close().await(30, TimeUnit.SECONDS);
  }

  private String start(String host, java.util.function.Consumer<HttpServerRequest> handler)
      throws Exception {
    HttpServer server =
        sites
            .createHttpServer(new HttpServerOptions().setMaxHeaderSize(64 * 1024))
            .requestHandler(
                req -> {
                  seen.add(new Seen(host, req.path(), HttpHeaders.headers().addAll(req.headers())));
                  if (req.path().equals("/robots.txt")) {
                    req.response().setStatusCode(404).end();
                  } else {
                    handler.accept(req);
                  }
                })
            .listen(0, host)
            .await(10, TimeUnit.SECONDS);
    return "http://" + host + ":" + server.actualPort();
  }

  private static void page(HttpServerRequest req, List<String> links) {
    StringBuilder html = new StringBuilder("<html><body>");
    for (String link : links) {
      html.append("<a href=\"").append(link).append("\">x</a>\n");
    }
    req.response()
        .putHeader("Content-Type", "text/html")
        .end(html.append("</body></html>").toString());
  }

  /** Sets its session cookie on / and refuses every other page without it; may need Basic auth. */
  private void siteA(HttpServerRequest req) {
    String expected =
        "Basic "
            + Base64.getEncoder()
                .encodeToString((USER + ":" + SECRET).getBytes(StandardCharsets.UTF_8));
    if (aNeedsAuth && !expected.equals(req.getHeader("Authorization"))) {
      req.response().setStatusCode(401).putHeader("WWW-Authenticate", "Basic").end();
      return;
    }
    switch (req.path()) {
      case "/" -> {
        req.response().headers().add("Set-Cookie", "sid=session-a; Path=/");
        // A site must not be able to plant a cookie for another.
        req.response().headers().add("Set-Cookie", "planted=1; Domain=" + B + "; Path=/");
        List<String> links = new ArrayList<>();
        for (int i = 1; i <= GATED_PAGES; i++) {
          links.add("/p" + i);
        }
        links.add("/moved");
        links.add(origins.get(B) + "/b1");
        page(req, links);
      }
      case "/moved" ->
          req.response()
              .setStatusCode(301)
              .putHeader("Location", origins.get(B) + "/landing")
              .end();
      default -> {
        String cookie = req.getHeader("Cookie");
        if (cookie == null || !cookie.contains("sid=session-a")) {
          req.response().setStatusCode(403).end("a session cookie is required");
        } else {
          page(req, List.of("/"));
        }
      }
    }
  }

  private void siteB(HttpServerRequest req) {
    if (req.path().equals("/")) {
      req.response().headers().add("Set-Cookie", "bsid=session-b; Path=/");
      page(req, List.of("/b1", "/b2", "/b3", origins.get(A) + "/"));
    } else {
      page(req, List.of("/"));
    }
  }

  /** A chain of pages each setting 50 new cookies: 10,000 in all. */
  private void siteC(HttpServerRequest req) {
    int n = Integer.parseInt(req.path().substring("/c/".length()));
    for (int i = 0; i < COOKIES_PER_PAGE; i++) {
      req.response().headers().add("Set-Cookie", "c" + n + "_" + i + "=" + "v".repeat(20));
    }
    page(req, n + 1 < COOKIE_PAGES ? List.of("/c/" + (n + 1)) : List.of());
  }

  private static RequestConfig requests(
      boolean cookies, List<String> headers, List<SiteCredential> credentials) {
    return new RequestConfig(
        cookies,
        RequestConfig.DEFAULT_MAX_COOKIES_PER_HOST,
        RequestConfig.DEFAULT_COOKIE_MEMORY_BYTES,
        headers.stream().map(h -> HeaderRule.parse("header", h)).toList(),
        credentials);
  }

  /** Crawls the seeds; returns each URL's result line. */
  private Map<String, JsonNode> crawl(
      String name, RequestConfig requests, Path out, ByteArrayOutputStream err, String... seeds)
      throws Exception {
    CrawlConfig config =
        new CrawlConfig(
            name,
            ScopeMode.HOST,
            List.of(),
            List.of(),
            COOKIE_PAGES + 5,
            Long.MAX_VALUE,
            NetworkPolicy.of(true, List.of()),
            true,
            CrawlConfig.DEFAULT_USER_AGENT,
            1,
            requests);
    FetchConfig fetch =
        new FetchConfig(1, 64, 4, 20_000, 1 << 20, 30_000, PoolConfig.defaults(), 0);
    new CrawlRun(
            ClusterSettings.bundled(),
            config,
            fetch,
            OutputConfig.defaults(),
            out,
            new PrintStream(err, true),
            false)
        .run(List.of(seeds));
    Map<String, JsonNode> results = new HashMap<>();
    for (String line : Files.readAllLines(out.resolve("pages.jsonl"))) {
      JsonNode r = Json.MAPPER.readTree(line);
      results.put(r.get("url").asText(), r);
    }
    return results;
  }

  private Map<String, JsonNode> crawl(String name, RequestConfig requests, String... seeds)
      throws Exception {
    return crawl(name, requests, dir.resolve(name), new ByteArrayOutputStream(), seeds);
  }

  private List<Seen> seenAt(String host) {
    return seen.stream().filter(s -> s.host.equals(host)).toList();
  }

  @Test
  void cookieGatedSiteIsCrawledWholeWithCookiesAndRefusedWithout() throws Exception {
    String a = origins.get(A);
    Path out = dir.resolve("with");
    Map<String, JsonNode> with;
    try (BlockedThreadWatch watch = new BlockedThreadWatch()) {
      with =
          crawl(
              "with",
              requests(true, List.of(), List.of()),
              out,
              new ByteArrayOutputStream(),
              a + "/");
      assertEquals(List.of(), watch.warnings(), "event loops were blocked");
    }
    for (int i = 1; i <= GATED_PAGES; i++) {
      assertEquals(200, with.get(a + "/p" + i).get("status").asInt(), "with cookies: /p" + i);
    }
    // The archived request is the one sent, session cookie included.
    long withCookie =
        warcRequests(out).stream()
            .filter(r -> r.target().startsWith(a + "/p"))
            .filter(r -> uncheckedCookie(r).contains("sid=session-a"))
            .count();
    assertEquals(GATED_PAGES, withCookie, "archived requests carrying the session cookie");

    Map<String, JsonNode> without =
        crawl("without", requests(false, List.of(), List.of()), a + "/");
    assertEquals(200, without.get(a + "/").get("status").asInt());
    for (int i = 1; i <= GATED_PAGES; i++) {
      assertEquals(403, without.get(a + "/p" + i).get("status").asInt(), "no cookies: /p" + i);
    }
  }

  @Test
  void cookieSetByOneHostIsNeverSentToAnother() throws Exception {
    crawl(
        "apart", requests(true, List.of(), List.of()), origins.get(A) + "/", origins.get(B) + "/");
    List<Seen> atB = seenAt(B);
    assertTrue(atB.size() >= 4, "B crawled: " + atB.size());
    for (Seen s : atB) {
      assertFalse(s.cookies().contains("sid=session-a"), "A's cookie at B: " + s.path);
      assertFalse(s.cookies().contains("planted"), "cookie planted by A at B: " + s.path);
    }
    assertTrue(
        atB.stream().anyMatch(s -> s.cookies().contains("bsid=session-b")),
        "B's own session cookie went back to B");
    for (Seen s : seenAt(A)) {
      assertFalse(s.cookies().contains("bsid"), "B's cookie at A: " + s.path);
    }
  }

  @Test
  void siteSettingTenThousandCookiesKeepsABoundedSession() throws Exception {
    Map<String, JsonNode> results =
        crawl("many", requests(true, List.of(), List.of()), origins.get(C) + "/c/0");
    assertEquals(COOKIE_PAGES, results.size(), "every page of the chain crawled");
    assertTrue(results.values().stream().allMatch(r -> r.path("status").asInt() == 200));
    int most = 0;
    int longest = 0;
    for (Seen s : seenAt(C)) {
      String cookies = s.cookies();
      most = Math.max(most, cookies.isEmpty() ? 0 : cookies.split("; ").length);
      longest = Math.max(longest, cookies.length());
    }
    // 10,000 were set; the jar keeps the newest 50, so no request carries more.
    assertEquals(RequestConfig.DEFAULT_MAX_COOKIES_PER_HOST, most);
    assertTrue(longest <= 8192, "Cookie header of " + longest + " bytes");
  }

  @Test
  void configuredHeadersArriveAsConfiguredPerHostPattern() throws Exception {
    Path out = dir.resolve("headers");
    crawl(
        "headers",
        requests(
            false,
            List.of("Accept-Language: de-CH", B + "=Accept-Language: fr", B + "=X-Team: crawl-b"),
            List.of()),
        out,
        new ByteArrayOutputStream(),
        origins.get(A) + "/",
        origins.get(B) + "/");
    assertFalse(seenAt(A).isEmpty());
    for (Seen s : seenAt(A)) {
      assertEquals("de-CH", s.headers.get("Accept-Language"), s.path);
      assertFalse(s.headers.contains("X-Team"), s.path);
    }
    assertFalse(seenAt(B).isEmpty());
    for (Seen s : seenAt(B)) {
      assertEquals("fr", s.headers.get("Accept-Language"), s.path);
      assertEquals("crawl-b", s.headers.get("X-Team"), s.path);
    }
    // The archive's request records hold the request as sent.
    int archived = 0;
    for (WarcRequest request : warcRequests(out)) {
      if (request.target().startsWith(origins.get(B))) {
        assertEquals("crawl-b", request.http().headers().first("X-Team").orElse(null));
        assertEquals("fr", request.http().headers().first("Accept-Language").orElse(null));
        archived++;
      }
    }
    assertTrue(archived >= 4, "B's requests archived: " + archived);
  }

  @Test
  void credentialsReachOnlyTheNamedHostNeverARedirectTargetNorAnyOutput() throws Exception {
    aNeedsAuth = true;
    Path auth = dir.resolve("auth");
    Files.writeString(auth, "# ours\n" + A + " basic " + USER + " " + SECRET + "\n");
    Path out = dir.resolve("auth-crawl");
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    logs.start();
    root.addAppender(logs);
    Map<String, JsonNode> results;
    try {
      results =
          crawl(
              "auth",
              requests(true, List.of(), SiteCredential.load(auth)),
              out,
              err,
              origins.get(A) + "/",
              origins.get(B) + "/");
    } finally {
      root.detachAppender(logs);
    }
    String a = origins.get(A);
    assertEquals(200, results.get(a + "/").get("status").asInt(), "A let the crawler in");
    assertEquals(301, results.get(a + "/moved").get("status").asInt());
    assertEquals(200, results.get(a + "/p1").get("status").asInt());
    assertTrue(seenAt(A).stream().allMatch(s -> s.headers.contains("Authorization")));

    // The redirect from A led to B, which saw no credentials at all.
    assertTrue(seenAt(B).stream().anyMatch(s -> s.path.equals("/landing")), "redirect followed");
    for (Seen s : seenAt(B)) {
      assertFalse(s.headers.contains("Authorization"), "Authorization sent to B: " + s.path);
    }

    // Neither the password nor its Basic encoding is in any file, log line or message.
    String encoded =
        Base64.getEncoder().encodeToString((USER + ":" + SECRET).getBytes(StandardCharsets.UTF_8));
    List<String> leaks = new ArrayList<>();
    try (Stream<Path> files = Files.walk(out)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        String text = new String(readMaybeGzip(f), StandardCharsets.ISO_8859_1);
        if (text.contains(SECRET) || text.contains(encoded)) {
          leaks.add(f.toString());
        }
      }
    }
    String messages = err.toString(StandardCharsets.UTF_8);
    for (ILoggingEvent e : logs.list) {
      messages += e.getFormattedMessage() + "\n";
    }
    if (messages.contains(SECRET) || messages.contains(encoded)) {
      leaks.add("log");
    }
    assertEquals(List.of(), leaks, "credentials written out");
    int redacted = 0;
    for (WarcRequest request : warcRequests(out)) {
      if (request.target().startsWith(a)) {
        assertEquals(
            "Basic [redacted]", request.http().headers().first("Authorization").orElse(null));
        redacted++;
      }
    }
    assertTrue(redacted >= GATED_PAGES, "A's archived requests: " + redacted);
  }

  private static List<WarcRequest> warcRequests(Path out) throws Exception {
    List<WarcRequest> requests = new ArrayList<>();
    List<Path> files;
    try (Stream<Path> list = Files.list(out.resolve("warc"))) {
      files = list.filter(p -> p.toString().endsWith(".warc.gz")).toList();
    }
    for (Path f : files) {
      try (WarcReader reader = new WarcReader(f)) {
        for (WarcRecord record : reader) {
          if (record instanceof WarcRequest request) {
            request.http();
            requests.add(request);
          }
        }
      }
    }
    return requests;
  }

  private static String uncheckedCookie(WarcRequest request) {
    try {
      return request.http().headers().first("Cookie").orElse("");
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static byte[] readMaybeGzip(Path file) throws Exception {
    byte[] bytes = Files.readAllBytes(file);
    if (bytes.length > 2 && (bytes[0] & 0xff) == 0x1f && (bytes[1] & 0xff) == 0x8b) {
      try (InputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(bytes))) {
        return in.readAllBytes();
      }
    }
    return bytes;
  }
}
