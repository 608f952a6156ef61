package io.fleetcrawl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.aayushatharva.brotli4j.Brotli4jLoader;
import com.aayushatharva.brotli4j.encoder.BrotliOutputStream;
import com.aayushatharva.brotli4j.encoder.Encoder;
import com.fasterxml.jackson.databind.JsonNode;
import io.fleetcrawl.bus.Json;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Memory stays bounded whatever servers send. Each hostile case is crawled by a real {@code
 * fleetcrawl crawl} JVM with a 512 MiB heap (for all cases at once too), its peak RSS (VmHWM) read
 * from /proc while it runs, and every case once more all at once; a normal crawl of the same size
 * is the baseline. Each crawl must end by itself with a result line for every URL, and peak RSS
 * must stay under the heap cap plus {@value #MARGIN_MIB} MiB.
 */
@Tag("integration")
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class HostileMemoryIT {
  /** The heap of a crawl of one hostile case. */
  private static final int HEAP_MIB = 512;

  /**
   * The heap of the crawl of every case at once: the same small heap. Before the node bounded its
   * bodies together (BodyMemory), tens of 10 MiB bodies in flight at once did not fit it.
   */
  private static final int ALL_HEAP_MIB = 512;

  /** What a JVM holds beside its heap (code, metaspace, threads, Netty's direct buffers). */
  private static final int MARGIN_MIB = 384;

  private static final byte[] ZEROS = new byte[1 << 20];

  private static Vertx vertx;
  private static final Map<String, String> SEEDS = new LinkedHashMap<>();
  private static byte[] gzipBomb;
  private static byte[] deflateBomb;
  private static byte[] brotliBomb;
  private static byte[] stackedBomb;
  private static byte[] linksPage;

  @TempDir Path dir;

  @BeforeAll
  static void servers() throws Exception {
    vertx = Vertx.vertx();
    // 1 GiB of zeros in each encoding: a few MB on the wire, cut at the 10 MiB body cap.
    gzipBomb = zeros(true, 1024);
    deflateBomb = zeros(false, 1024);
    stackedBomb = gzip(gzipBomb);
    Brotli4jLoader.ensureAvailability();
    // Streamed a MiB at a time: one 256 MiB array in the test JVM, whose heap every earlier test
    // class has shared, once ran it out of memory in a fresh-clone .ci/run.
    ByteArrayOutputStream brotli = new ByteArrayOutputStream();
    try (BrotliOutputStream stream =
        new BrotliOutputStream(brotli, new Encoder.Parameters().setQuality(5))) {
      for (int i = 0; i < 256; i++) {
        stream.write(ZEROS);
      }
    }
    brotliBomb = brotli.toByteArray();
    StringBuilder html = new StringBuilder(16 << 20).append("<html><body>");
    for (int i = 0; i < 500_000; i++) {
      html.append("<a href=\"/l/").append(i).append("\">x</a>");
    }
    linksPage = gzip(html.append("</body></html>").toString().getBytes());

    serve("gzip-bomb", "127.0.0.81", r -> bomb(r, "gzip", gzipBomb));
    serve("deflate-bomb", "127.0.0.82", r -> bomb(r, "deflate", deflateBomb));
    serve("br-bomb", "127.0.0.83", r -> bomb(r, "br", brotliBomb));
    serve("stacked-bomb", "127.0.0.84", r -> bomb(r, "gzip, gzip", stackedBomb));
    serve("links-500k", "127.0.0.85", HostileMemoryIT::links);
    serve("huge-headers", "127.0.0.86", HostileMemoryIT::hugeHeaders);
    serve("endless-chunked", "127.0.0.87", HostileMemoryIT::endless);
    serve("robots-50mb", "127.0.0.88", HostileMemoryIT::bigRobots);
    serve("normal", "127.0.0.89", HostileMemoryIT::normal);
  }

  @AfterAll
  static void stop() throws Exception {
    vertx.close().await(30, TimeUnit.SECONDS);
  }

  /** Returns {@code mib} MiB of zeros, gzip- or zlib-compressed. */
  private static byte[] zeros(boolean gzip, int mib) throws Exception {
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    try (java.io.OutputStream stream =
        gzip
            ? new GZIPOutputStream(sink, 1 << 16)
            : new DeflaterOutputStream(sink, new Deflater(9), 1 << 16)) {
      for (int i = 0; i < mib; i++) {
        stream.write(ZEROS);
      }
    }
    return sink.toByteArray();
  }

  private static byte[] gzip(byte[] bytes) throws Exception {
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    try (GZIPOutputStream out = new GZIPOutputStream(sink)) {
      out.write(bytes);
    }
    return sink.toByteArray();
  }

  private static void serve(
      String name, String address, io.vertx.core.Handler<HttpServerRequest> pages)
      throws Exception {
    HttpServer server =
        vertx
            .createHttpServer()
            .requestHandler(
                r -> {
                  if (r.path().equals("/robots.txt") && !name.equals("robots-50mb")) {
                    r.response().setStatusCode(404).end();
                  } else {
                    pages.handle(r);
                  }
                })
            .listen(0, address)
            .await(10, TimeUnit.SECONDS);
    SEEDS.put(name, "http://" + address + ":" + server.actualPort() + "/");
  }

  private static void bomb(HttpServerRequest r, String encoding, byte[] body) {
    if (!r.path().equals("/")) {
      r.response().setStatusCode(404).end();
      return;
    }
    r.response()
        .putHeader("Content-Type", "text/html")
        .putHeader("Content-Encoding", encoding)
        .end(Buffer.buffer(body));
  }

  /** The first page links to 32 pages of 500,000 links each, every one gzip-compressed. */
  private static void links(HttpServerRequest r) {
    HttpServerResponse response = r.response().putHeader("Content-Type", "text/html");
    if (r.path().equals("/")) {
      StringBuilder html = new StringBuilder("<html><body>");
      for (int i = 0; i < 32; i++) {
        html.append("<a href=\"/big/").append(i).append("\">b</a>");
      }
      response.end(html + "</body></html>");
    } else if (r.path().startsWith("/big/")) {
      response.putHeader("Content-Encoding", "gzip").end(Buffer.buffer(linksPage));
    } else {
      response.setStatusCode(404).end();
    }
  }

  /** 100 KB header values and 10,000 headers. */
  private static void hugeHeaders(HttpServerRequest r) {
    HttpServerResponse response = r.response().putHeader("Content-Type", "text/html");
    if (r.path().equals("/")) {
      response.end("<a href=\"/long\">l</a><a href=\"/many\">m</a>");
    } else if (r.path().equals("/long")) {
      response.putHeader("X-Long", "x".repeat(100_000)).end("long");
    } else if (r.path().equals("/many")) {
      for (int i = 0; i < 10_000; i++) {
        response.headers().add("X-Many-" + i, "v");
      }
      response.end("many");
    } else {
      response.setStatusCode(404).end();
    }
  }

  /** A chunked body that never ends: 64 KB every few milliseconds until the client leaves. */
  private static void endless(HttpServerRequest r) {
    HttpServerResponse response =
        r.response().setChunked(true).putHeader("Content-Type", "text/html");
    Buffer chunk = Buffer.buffer("<p>" + "y".repeat(65_536) + "</p>");
    long timer =
        vertx.setPeriodic(
            2,
            id -> {
              if (response.closed() || response.ended()) {
                vertx.cancelTimer(id);
              } else if (!response.writeQueueFull()) {
                response.write(chunk);
              }
            });
    response.closeHandler(v -> vertx.cancelTimer(timer));
  }

  /** A 50 MB robots.txt; the page itself is plain. */
  private static void bigRobots(HttpServerRequest r) {
    if (r.path().equals("/robots.txt")) {
      StringBuilder robots = new StringBuilder(52 << 20).append("User-agent: *\n");
      while (robots.length() < 50_000_000) {
        robots.append("Disallow: /").append(robots.length()).append("\n");
      }
      r.response().putHeader("Content-Type", "text/plain").end(robots.toString());
    } else {
      r.response().putHeader("Content-Type", "text/html").end("<p>ok</p>");
    }
  }

  /** The baseline: 33 ordinary pages, as many URLs as the links case has. */
  private static void normal(HttpServerRequest r) {
    StringBuilder html = new StringBuilder("<html><body>");
    if (r.path().equals("/")) {
      for (int i = 0; i < 32; i++) {
        html.append("<a href=\"/n/").append(i).append("\">n</a>");
      }
    }
    r.response().putHeader("Content-Type", "text/html").end(html + "<p>ordinary</p></body>");
  }

  /** One crawl's outcome: exit status, seconds, peak RSS in MiB, its results by URL. */
  private record Outcome(int exit, double seconds, long peakMib, Map<String, JsonNode> results) {}

  private Outcome crawl(String name, List<String> seeds, int heapMib) throws Exception {
    Path out = dir.resolve(name);
    List<String> cmd =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx" + heapMib + "m",
                "-XX:+ExitOnOutOfMemoryError",
                "-Djava.io.tmpdir=" + dir,
                "-cp",
                System.getProperty("java.class.path"),
                "io.fleetcrawl.cli.Fleetcrawl",
                "crawl",
                "--out",
                out.toString(),
                "--allow-private-networks",
                "--total-timeout-ms",
                "20000",
                "--max-attempts",
                "1",
                // The seeds and the pages they link to: the 2.5 million links of the big pages are
                // read and capped, not crawled.
                "--max-depth",
                "1",
                "--seeds"));
    cmd.addAll(seeds);
    Path log = dir.resolve(name + ".log");
    long started = System.nanoTime();
    Process p =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    Path status = Path.of("/proc", Long.toString(p.pid()), "status");
    long peakKib = 0;
    try {
      while (!p.waitFor(50, TimeUnit.MILLISECONDS)) {
        try {
          for (String line : Files.readAllLines(status)) {
            if (line.startsWith("VmHWM:")) {
              peakKib = Math.max(peakKib, Long.parseLong(line.replaceAll("[^0-9]", "")));
            }
          }
        } catch (java.io.IOException e) {
          // The process is gone between the check and the read.
        }
        assertTrue(
            System.nanoTime() - started < TimeUnit.SECONDS.toNanos(240),
            name + " did not end by itself:\n" + Files.readString(log));
      }
    } finally {
      p.destroyForcibly();
    }
    double seconds = (System.nanoTime() - started) / 1e9;
    Map<String, JsonNode> results = new LinkedHashMap<>();
    Path pages = out.resolve("pages.jsonl");
    if (Files.exists(pages)) {
      for (String line : Files.readAllLines(pages)) {
        JsonNode r = Json.MAPPER.readTree(line);
        results.put(r.get("url").asText(), r);
      }
    }
    assertEquals(0, p.exitValue(), name + ":\n" + Files.readString(log));
    return new Outcome(p.exitValue(), seconds, peakKib / 1024, results);
  }

  @Test
  void peakRssStaysUnderTheHeapCapPlusAMarginForEveryHostileCaseAndAllAtOnce() throws Exception {
    Map<String, Outcome> outcomes = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : SEEDS.entrySet()) {
      outcomes.put(e.getKey(), crawl(e.getKey(), List.of(e.getValue()), HEAP_MIB));
    }
    outcomes.put("all at once", crawl("all", List.copyOf(SEEDS.values()), ALL_HEAP_MIB));
    StringBuilder figures = new StringBuilder();
    outcomes.forEach(
        (name, o) ->
            figures.append(
                String.format(
                    "%-16s peak RSS %4d MiB, %5.1f s, %3d results%n",
                    name, o.peakMib(), o.seconds(), o.results().size())));
    System.out.print(figures);
    Files.writeString(Path.of("target", "HostileMemoryIT.txt"), figures);
    for (Map.Entry<String, Outcome> e : outcomes.entrySet()) {
      int heap = e.getKey().equals("all at once") ? ALL_HEAP_MIB : HEAP_MIB;
      assertTrue(
          e.getValue().peakMib() <= heap + MARGIN_MIB,
          e.getKey() + " stays under " + (heap + MARGIN_MIB) + " MiB:\n" + figures);
    }
    // Every URL the crawls reached ends with a result line, the bombs cut at the body cap.
    for (String bomb : List.of("gzip-bomb", "deflate-bomb", "br-bomb", "stacked-bomb")) {
      JsonNode r = outcomes.get(bomb).results().get(SEEDS.get(bomb));
      assertTrue(r != null, bomb + " has a result: " + outcomes.get(bomb).results());
      assertTrue(r.path("truncated").asBoolean(false) || r.has("error"), bomb + ": " + r);
    }
    assertEquals(33, outcomes.get("links-500k").results().size(), "the 32 pages and the first");
    assertEquals(33, outcomes.get("normal").results().size());
    for (String url :
        List.of(SEEDS.get("huge-headers") + "long", SEEDS.get("huge-headers") + "many")) {
      assertTrue(outcomes.get("huge-headers").results().containsKey(url), url + " has a result");
    }
    assertTrue(
        outcomes.get("endless-chunked").results().containsKey(SEEDS.get("endless-chunked")),
        "the endless body ends with a result");
    assertTrue(
        outcomes.get("robots-50mb").results().containsKey(SEEDS.get("robots-50mb")),
        "a host with a 50 MB robots.txt still ends with a result");
  }
}
