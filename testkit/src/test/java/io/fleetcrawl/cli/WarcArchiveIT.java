package io.fleetcrawl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.aayushatharva.brotli4j.Brotli4jLoader;
import com.aayushatharva.brotli4j.encoder.Encoder;
import com.fasterxml.jackson.databind.JsonNode;
import io.fleetcrawl.bus.Json;
import io.fleetcrawl.config.CrawlConfig;
import io.fleetcrawl.config.FetchConfig;
import io.fleetcrawl.config.OutputConfig;
import io.fleetcrawl.config.PoolConfig;
import io.fleetcrawl.config.ScopeMode;
import io.fleetcrawl.network.NetworkPolicy;
import io.fleetcrawl.node.ClusterSettings;
import io.fleetcrawl.output.ResultSink;
import io.fleetcrawl.output.SinkItem;
import io.fleetcrawl.output.WarcCheck;
import io.fleetcrawl.testkit.site.DemoSite;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.PemKeyCertOptions;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.netpreserve.jwarc.WarcCaptureRecord;
import org.netpreserve.jwarc.WarcReader;
import org.netpreserve.jwarc.WarcRecord;
import org.netpreserve.jwarc.WarcRequest;
import org.netpreserve.jwarc.WarcResponse;
import org.netpreserve.jwarc.WarcRevisit;
import org.netpreserve.jwarc.WarcTruncationReason;

/**
 * Crawls a real local site over HTTP/1.1 and h2 (TLS with ALPN), with gzip, br and chunked
 * responses, a redirect, a binary file, a page over the body cap, two pages with the same bytes and
 * a robots.txt, then reads the archive with two independent readers: webrecorder's warcio (Node)
 * and jwarc's validator.
 */
@Tag("integration")
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class WarcArchiveIT {
  private static final int BODY_CAP = 128 * 1024;

  @TempDir Path dir;
  private Vertx vertx;
  private final List<String> origins = new ArrayList<>();
  private final Map<String, Integer> served = new ConcurrentHashMap<>();
  private Path site;

  @BeforeEach
  void startSite() throws Exception {
    site = Files.createDirectories(dir.resolve("site"));
    writeSite(site);
    vertx = Vertx.vertx();
    HttpServerOptions plain = new HttpServerOptions().setHost("127.0.0.1").setPort(0);
    HttpServerOptions tls =
        new HttpServerOptions()
            .setHost("127.0.0.1")
            .setPort(0)
            .setSsl(true)
            .setUseAlpn(true)
            .setKeyCertOptions(
                new PemKeyCertOptions()
                    .setCertValue(resource(DemoSite.CERT_RESOURCE))
                    .setKeyValue(resource("/demo/demo-key.pem")));
    for (HttpServerOptions options : List.of(plain, tls)) {
      HttpServer server = vertx.createHttpServer(options).requestHandler(this::serve);
      int port =
          server
              .listen()
              .toCompletionStage()
              .toCompletableFuture()
              .get(10, TimeUnit.SECONDS)
              .actualPort();
      origins.add((options.isSsl() ? "https" : "http") + "://127.0.0.1:" + port);
    }
  }

  @AfterEach
  void stopSite() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private static void writeSite(Path site) throws IOException {
    StringBuilder index = new StringBuilder("<html><body><h1>index</h1>\n");
    for (String link :
        List.of(
            "gz.html",
            "br.html",
            "chunked.html",
            "doc.bin",
            "big.html",
            "redirect",
            "copy-a.html",
            "copy-b.html",
            "private/secret.html")) {
      index.append("<a href=\"/").append(link).append("\">").append(link).append("</a>\n");
    }
    Files.writeString(site.resolve("index.html"), index.append("</body></html>\n"));
    for (String page : List.of("gz", "br", "chunked", "moved")) {
      Files.writeString(
          site.resolve(page + ".html"),
          "<html><body><p>" + (page + " page, ").repeat(400) + "</p></body></html>\n");
    }
    String copy = "<html><body><p>" + "the same bytes twice ".repeat(100) + "</p></body></html>";
    Files.writeString(site.resolve("copy-a.html"), copy);
    Files.writeString(site.resolve("copy-b.html"), copy);
    byte[] binary = new byte[50_000];
    new Random(7).nextBytes(binary);
    Files.write(site.resolve("doc.bin"), binary);
    Files.writeString(site.resolve("big.html"), "<html><body>" + "x".repeat(300_000) + "</body>");
    Files.writeString(site.resolve("robots.txt"), "User-agent: *\nDisallow: /private/\n");
  }

  private void serve(HttpServerRequest request) {
    String path = request.path();
    served.merge((request.isSSL() ? "https " : "http ") + path, 1, Integer::sum);
    if (path.equals("/redirect")) {
      request.response().setStatusCode(301).putHeader("Location", "/moved.html").end();
      return;
    }
    String name = path.equals("/") ? "index.html" : path.substring(1);
    Path file = site.resolve(name).normalize();
    if (!file.startsWith(site) || !Files.isRegularFile(file)) {
      request.response().setStatusCode(404).end("not found");
      return;
    }
    try {
      byte[] body = Files.readAllBytes(file);
      var response = request.response();
      response.putHeader(
          "Content-Type",
          name.endsWith(".html")
              ? "text/html; charset=utf-8"
              : name.endsWith(".txt") ? "text/plain" : "application/octet-stream");
      switch (name) {
        case "gz.html" -> {
          response.putHeader("Content-Encoding", "gzip").end(Buffer.buffer(gzip(body)));
        }
        case "br.html" -> {
          Brotli4jLoader.ensureAvailability();
          response.putHeader("Content-Encoding", "br").end(Buffer.buffer(Encoder.compress(body)));
        }
        case "chunked.html" -> {
          // Sent in pieces without a length: chunked on HTTP/1.1, DATA frames on h2.
          response.setChunked(true);
          int half = body.length / 2;
          response.write(Buffer.buffer(body).slice(0, half));
          response.end(Buffer.buffer(body).slice(half, body.length));
        }
        default -> response.end(Buffer.buffer(body));
      }
    } catch (IOException e) {
      request.response().setStatusCode(500).end();
    }
  }

  private static byte[] gzip(byte[] bytes) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(bytes);
    }
    return out.toByteArray();
  }

  private static Buffer resource(String name) throws IOException {
    try (InputStream in = DemoSite.class.getResourceAsStream(name)) {
      return Buffer.buffer(in.readAllBytes());
    }
  }

  private Map<String, Object> crawl(Path out, ResultSink extra) throws Exception {
    Path cert = dir.resolve("cert.pem");
    Files.write(cert, DemoSite.certificatePem().getBytes());
    CrawlConfig config =
        new CrawlConfig(
            "warc",
            ScopeMode.HOST,
            List.of(),
            List.of(),
            10,
            Long.MAX_VALUE,
            NetworkPolicy.of(true, List.of()),
            true,
            CrawlConfig.DEFAULT_USER_AGENT,
            3);
    FetchConfig fetch =
        new FetchConfig(
            2, 64, 4, 20_000, BODY_CAP, 30_000, PoolConfig.defaults().withTlsTrustPem(cert), 0);
    CrawlRun run =
        new CrawlRun(
            ClusterSettings.bundled(),
            config,
            fetch,
            OutputConfig.defaults(),
            out,
            new PrintStream(new ByteArrayOutputStream(), true),
            false);
    if (extra != null) {
      run.alsoWriteTo(extra);
    }
    return run.run(origins.stream().map(o -> o + "/").toList());
  }

  @Test
  void archiveOfHttp1AndH2CrawlIsReadByWarcioAndJwarcAndMatchesWhatWasServed() throws Exception {
    Path out = dir.resolve("out");
    Map<String, Object> summary;
    try (BlockedThreadWatch watch = new BlockedThreadWatch()) {
      summary = crawl(out, null);
      assertEquals(List.of(), watch.warnings(), "event loops were blocked");
    }
    // A new crawl's payload index trusts its filter: new payloads cost no cluster look-up.
    @SuppressWarnings("unchecked")
    Map<String, Object> archive = (Map<String, Object>) summary.get("archive");
    assertEquals(Boolean.TRUE, archive.get("payloadFilterTrusted"), "archive: " + archive);
    assertTrue(
        ((Number) archive.get("payloadLookupsAnsweredByFilter")).longValue() > 0,
        "archive: " + archive);
    Path warcs = out.resolve("warc");
    List<Path> files;
    try (Stream<Path> list = Files.list(warcs)) {
      files = list.filter(p -> p.toString().endsWith(".warc.gz")).sorted().toList();
    }
    assertEquals(1, files.size(), "WARC files: " + files);
    try (Stream<Path> list = Files.list(warcs)) {
      assertTrue(list.noneMatch(p -> p.toString().endsWith(".open")), "a file was left open");
    }

    // The files the servers sent, by URL: what each payload must decode to.
    Map<String, String> expect = new LinkedHashMap<>();
    for (String origin : origins) {
      expect.put(origin + "/", site.resolve("index.html").toString());
      for (String name :
          List.of(
              "gz.html",
              "br.html",
              "chunked.html",
              "doc.bin",
              "moved.html",
              "copy-a.html",
              "copy-b.html",
              "robots.txt")) {
        expect.put(origin + "/" + name, site.resolve(name).toString());
      }
    }
    Path expectFile = dir.resolve("expect.json");
    Json.MAPPER.writeValue(expectFile.toFile(), expect);
    JsonNode report = WarcCheck.warcio(warcs, expectFile);
    assertEquals(0, report.get("problems").size(), "warcio found problems: " + report);
    // Per origin: 10 pages (index, 3 encodings, binary, big, redirect, moved, 2 copies) and
    // robots.txt (archived by each of the 2 workers at most).
    int responses = report.get("byType").path("response").asInt();
    int revisits = report.get("byType").path("revisit").asInt();
    assertTrue(revisits >= 1, "identical payloads became revisits: " + report.get("byType"));
    assertTrue(responses + revisits >= 22, "captures: " + report.get("byType"));
    assertEquals(
        report.get("byType").path("request").asInt(), responses + revisits, "one request each");

    // jwarc's validator passes every record but the cut ones, whose HTTP Content-Length is the
    // server's (as received) while the block holds only what was kept: WARC-Truncated says so.
    Set<Long> truncatedOffsets = new HashSet<>();
    for (JsonNode r : report.get("responses")) {
      if (r.path("truncated").asText("").equals("length")) {
        truncatedOffsets.add(r.get("offset").asLong());
      }
    }
    assertEquals(2, truncatedOffsets.size(), "big.html on each origin is cut: " + report);
    WarcCheck.Validation validation = WarcCheck.jwarcValidate(files);
    assertEquals(truncatedOffsets, validation.failedOffsets(), validation.output());
    assertTrue(
        validation.errors().stream()
            .allMatch(e -> e.contains("invalid HTTP header Content-Length")),
        validation.output());

    // What only the archive's own headers tell: h2 kept as such, encodings kept, framing removed,
    // the connected address, the cut body.
    Set<String> protocols = new HashSet<>();
    boolean gzipKept = false;
    boolean truncatedBig = false;
    boolean robotsRequested = false;
    try (WarcReader reader = new WarcReader(files.get(0))) {
      for (WarcRecord record : reader) {
        if (record instanceof WarcResponse response) {
          protocols.add(response.headers().first("WARC-Protocol").orElse("?"));
          assertEquals("127.0.0.1", response.ipAddress().orElseThrow().getHostAddress());
          assertFalse(
              response.http().headers().first("Transfer-Encoding").isPresent(),
              "Transfer-Encoding left in " + response.target());
          if (response.target().endsWith("/gz.html")) {
            assertEquals("gzip", response.http().headers().first("Content-Encoding").orElse(""));
            gzipKept = true;
          }
          if (response.target().endsWith("/big.html")) {
            assertEquals(WarcTruncationReason.LENGTH, response.truncated());
            truncatedBig = true;
          }
        } else if (record instanceof WarcRequest request) {
          robotsRequested |= request.target().endsWith("/robots.txt");
          assertTrue(request.http().headers().first("User-Agent").isPresent());
        }
      }
    }
    assertEquals(Set.of("http/1.1", "h2"), protocols);
    assertTrue(gzipKept, "a gzip response archived with its encoding");
    assertTrue(truncatedBig, "the page over the cap is marked truncated");
    assertTrue(robotsRequested, "robots.txt archived");
    assertFalse(served.containsKey("http /private/secret.html"), "robots.txt was obeyed");

    // Each results line points at its record.
    Map<String, JsonNode> byLocation = new HashMap<>();
    for (JsonNode r : report.get("responses")) {
      byLocation.put(r.get("file").asText() + "@" + r.get("offset").asLong(), r);
    }
    int located = 0;
    for (String line : Files.readAllLines(out.resolve("pages.jsonl"))) {
      JsonNode page = Json.MAPPER.readTree(line);
      if (!page.has("status")) {
        continue;
      }
      assertTrue(page.has("warcFile") && page.has("warcOffset"), "record location in " + line);
      assertEquals("127.0.0.1", page.get("ip").asText());
      JsonNode record =
          byLocation.get(page.get("warcFile").asText() + "@" + page.get("warcOffset").asLong());
      if (record != null) {
        assertEquals(page.get("url").asText(), record.get("uri").asText());
        assertEquals(page.get("payloadDigest").asText(), record.get("payloadDigest").asText());
        located++;
      }
      if (page.get("url").asText().endsWith("/")) {
        assertTrue(page.get("outlinks").size() >= 9, "outlinks of the index: " + line);
      }
    }
    assertEquals(responses, located + countRobotsResponses(report), "lines located");
  }

  private static int countRobotsResponses(JsonNode report) {
    int n = 0;
    for (JsonNode r : report.get("responses")) {
      if (r.get("uri").asText().endsWith("/robots.txt")) {
        n++;
      }
    }
    return n;
  }

  @Test
  void anotherSinkReceivesEveryResultWithoutAnyChangeToTheWorker() throws Exception {
    List<String> seen = java.util.Collections.synchronizedList(new ArrayList<>());
    // The whole of a new sink: write what arrives, then say it is durable.
    ResultSink tiny =
        new ResultSink() {
          @Override
          public List<SinkItem> write(List<SinkItem> batch) {
            for (SinkItem item : batch) {
              if (item instanceof SinkItem.Page page) {
                seen.add(page.result().url());
              }
            }
            return batch;
          }

          @Override
          public void close() {}
        };
    Path out = dir.resolve("out2");
    Map<String, Object> summary = crawl(out, tiny);
    List<String> lines = new ArrayList<>();
    for (String line : Files.readAllLines(out.resolve("pages.jsonl"))) {
      lines.add(Json.MAPPER.readTree(line).get("url").asText());
    }
    assertEquals(new HashSet<>(lines), new HashSet<>(seen), "the tiny sink saw every result");
    assertEquals(lines.size(), seen.size());
    assertEquals(((Number) summary.get("results")).intValue(), seen.size());
    assertNull(summary.get("stoppedBy"));
  }

  /**
   * A crawl whose results directory is a really full filesystem (a 256 KiB tmpfs mounted by the
   * test; CI runs as root): the crawl stops with an error naming the WARC file, and every result
   * line that was written points at a record that reads back whole.
   */
  @Test
  void fullDiskStopsTheCrawlNamingTheFileAndEveryWrittenLineHasItsRecord() throws Exception {
    for (int i = 0; i < 40; i++) {
      byte[] noise = new byte[20_000];
      new Random(i).nextBytes(noise);
      Files.write(site.resolve("noise-" + i + ".bin"), noise);
      Files.writeString(
          site.resolve("index.html"),
          "<a href=\"/noise-" + i + ".bin\">n</a>\n",
          java.nio.file.StandardOpenOption.APPEND);
    }
    Path mount = Files.createDirectories(dir.resolve("full"));
    run("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", mount.toString());
    try {
      IllegalStateException stopped =
          org.junit.jupiter.api.Assertions.assertThrows(
              IllegalStateException.class, () -> crawl(mount, null));
      // The WARC file, or (when the archive took the last bytes) the results file.
      assertTrue(
          stopped.getMessage().matches("crawl stopped: cannot write (WARC file|results to) .*")
              && stopped.getMessage().contains(mount.toString()),
          stopped.getMessage());
      Path warc;
      try (Stream<Path> list = Files.list(mount.resolve("warc"))) {
        // Finished when the node stopped, or still .open if even the rename found no room.
        warc =
            list.filter(p -> p.toString().matches(".*\\.warc\\.gz(\\.open)?"))
                .findFirst()
                .orElseThrow();
      }
      Map<Long, String> records = new HashMap<>();
      try (WarcReader reader = new WarcReader(warc)) {
        for (WarcRecord record : reader) {
          // The page's record: a response, or a revisit when its bytes were archived before.
          if (record instanceof WarcResponse || record instanceof WarcRevisit) {
            records.put(record.position(), ((WarcCaptureRecord) record).target());
          }
        }
      }
      int lines = 0;
      for (String line : Files.readAllLines(mount.resolve("pages.jsonl"))) {
        JsonNode page = Json.MAPPER.readTree(line);
        if (page.has("warcOffset")) {
          assertEquals(
              page.get("url").asText(),
              records.get(page.get("warcOffset").asLong()),
              "record of " + line);
          lines++;
        }
      }
      assertTrue(lines > 0, "some pages were written before the disk filled");
    } finally {
      run("umount", mount.toString());
    }
  }

  private static void run(String... command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), String.join(" ", command) + ": " + output);
  }

  @Test
  void crawlCommandHonoursNoWarcStoreTypesAndMaxOutlinks() throws Exception {
    Path cert = dir.resolve("cert.pem");
    Files.write(cert, DemoSite.certificatePem().getBytes());
    Path out = dir.resolve("cli");
    int exit =
        Fleetcrawl.commandLine()
            .setErr(new java.io.PrintWriter(new ByteArrayOutputStream(), true))
            .execute(
                "crawl",
                "--seeds",
                origins.get(0) + "/",
                "--out",
                out.toString(),
                "--allow-private-networks",
                "--no-progress",
                "--tls-trust-pem",
                cert.toString(),
                "--no-warc",
                "--store-types",
                "text/*",
                "--max-outlinks",
                "3");
    assertEquals(0, exit);
    assertFalse(Files.exists(out.resolve("warc")), "--no-warc wrote an archive");
    Map<String, JsonNode> lines = new HashMap<>();
    for (String line : Files.readAllLines(out.resolve("pages.jsonl"))) {
      JsonNode page = Json.MAPPER.readTree(line);
      lines.put(page.get("url").asText(), page);
    }
    JsonNode binary = lines.get(origins.get(0) + "/doc.bin");
    assertEquals(
        "media type application/octet-stream is not stored", binary.get("bodyNotStored").asText());
    assertEquals(0, binary.get("bytes").asInt(), "body not read past the headers");
    JsonNode index = lines.get(origins.get(0) + "/");
    assertEquals(3, index.get("outlinks").size(), "outlinks capped");
    assertTrue(index.get("links").asInt() >= 9, "all links still counted");
    assertFalse(index.has("warcFile"));
    assertTrue(lines.get(origins.get(0) + "/gz.html").has("status"), "text/html stored");
    assertNull(lines.get(origins.get(0) + "/gz.html").get("bodyNotStored"));
  }
}
