package io.fleetcrawl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fleetcrawl.testing.TestDns;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Five virtual hosts (a.site.test .. e.site.test) on one real server, named through a real DNS
 * server: with {@code --politeness-key host} each name gets its own budget, so the server sees five
 * names' worth of requests at once; with {@code domain} and {@code ip} the five are one site, one
 * budget, and a 429 with Retry-After on one name pauses them all.
 */
@Tag("integration")
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class PolitenessKeyIT {
  private static final String SERVER = "127.0.0.81";
  private static final List<String> NAMES =
      List.of("a.site.test", "b.site.test", "c.site.test", "d.site.test", "e.site.test");
  private static final int PAGES_PER_NAME = 12;
  private static final int PER_KEY = 2;
  private static final long DELAY_MS = 60;
  private static final long RETRY_AFTER_S = 2;

  @TempDir Path dir;
  private Vertx vertx;
  private TestDns dns;
  private int port;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger maxInFlight = new AtomicInteger();
  private final Queue<long[]> arrivals = new ConcurrentLinkedQueue<>();
  private final AtomicLong throttledAt = new AtomicLong();
  private volatile boolean throttle;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    HttpServer server =
        vertx
            .createHttpServer()
            .requestHandler(this::handle)
            .listen(0, SERVER)
            .await(10, TimeUnit.SECONDS);
    port = server.actualPort();
    dns =
        TestDns.start(
            name -> NAMES.contains(name.replaceAll("\\.$", "")) ? new byte[] {127, 0, 0, 81} : null,
            60);
  }

  @AfterEach
  void stop() throws Exception {
    dns.close();
    vertx.close().await(30, TimeUnit.SECONDS);
  }

  private void handle(HttpServerRequest req) {
    if (req.path().equals("/robots.txt")) {
      req.response().setStatusCode(404).end();
      return;
    }
    long now = System.nanoTime();
    arrivals.add(new long[] {now});
    String host = req.authority().host();
    if (throttle
        && host.equals("b.site.test")
        && req.path().equals("/p/3")
        && throttledAt.compareAndSet(0, now)) {
      req.response()
          .setStatusCode(429)
          .putHeader("Retry-After", String.valueOf(RETRY_AFTER_S))
          .end();
      return;
    }
    int now2 = inFlight.incrementAndGet();
    maxInFlight.accumulateAndGet(now2, Math::max);
    StringBuilder html = new StringBuilder("<html><body>");
    if (req.path().equals("/")) {
      for (int i = 1; i <= PAGES_PER_NAME; i++) {
        html.append("<a href=\"/p/").append(i).append("\">p</a>");
      }
    }
    vertx.setTimer(
        DELAY_MS,
        t -> {
          inFlight.decrementAndGet();
          req.response().putHeader("Content-Type", "text/html").end(html + "</body></html>");
        });
  }

  private int crawl(String mode, String out) throws Exception {
    maxInFlight.set(0);
    arrivals.clear();
    List<String> args =
        new ArrayList<>(
            List.of(
                "crawl",
                "--out",
                dir.resolve(out).toString(),
                "--allow-private-networks",
                "--no-progress",
                "--no-warc",
                "--no-adaptive-budgets",
                "--per-host-concurrency",
                "" + PER_KEY,
                "--dns-server",
                dns.address(),
                "--politeness-key",
                mode,
                "--seeds"));
    for (String name : NAMES) {
      args.add("http://" + name + ":" + port + "/");
    }
    InProcessCrawl.run(args);
    long lines = Files.readAllLines(dir.resolve(out).resolve("pages.jsonl")).size();
    assertEquals(NAMES.size() * (PAGES_PER_NAME + 1), lines, "every page of every name");
    return maxInFlight.get();
  }

  @Test
  void hostKeysGiveEachVirtualHostABudgetDomainAndAddressKeysShareOne() throws Exception {
    int byHost = crawl("host", "host");
    int byDomain = crawl("domain", "domain");
    int byAddress = crawl("ip", "ip");
    System.out.println(
        "most requests at once: host " + byHost + ", domain " + byDomain + ", ip " + byAddress);
    assertTrue(byHost > PER_KEY, "host keys: " + byHost + " at once");
    assertTrue(byDomain <= PER_KEY, "domain keys: " + byDomain + " at once");
    assertTrue(byAddress <= PER_KEY, "address keys: " + byAddress + " at once");
  }

  @Test
  void aRetryAfterOnOneVirtualHostPausesTheWholeServerUnderAddressKeys() throws Exception {
    throttle = true;
    crawl("ip", "retry-after");
    long at = throttledAt.get();
    assertTrue(at > 0, "the 429 was sent");
    long quietFromNs = at + TimeUnit.MILLISECONDS.toNanos(DELAY_MS + 50);
    long quietToNs =
        at + TimeUnit.SECONDS.toNanos(RETRY_AFTER_S) - TimeUnit.MILLISECONDS.toNanos(200);
    List<Long> during = new ArrayList<>();
    for (long[] a : arrivals) {
      if (a[0] > quietFromNs && a[0] < quietToNs) {
        during.add(TimeUnit.NANOSECONDS.toMillis(a[0] - at));
      }
    }
    assertEquals(
        List.of(), during, "requests (ms after the 429) while the server asked for a pause");
  }
}
