package io.fleetcrawl.testkit.cli;

import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.fleetcrawl.bus.Json;
import io.fleetcrawl.control.ControlVerticle;
import io.fleetcrawl.frontier.FrontierStore;
import io.fleetcrawl.frontier.KeyStats;
import io.fleetcrawl.model.CrawlRequest;
import io.fleetcrawl.model.InvalidInputException;
import io.fleetcrawl.node.ClusterSettings;
import io.fleetcrawl.scope.ScopeSharing;
import io.fleetcrawl.state.CrawlState;
import io.fleetcrawl.state.JdbcStateStore;
import io.fleetcrawl.state.StateStore;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code fleetcrawl state-bench}: fills a real Hazelcast frontier, saves it to a state store, stops
 * the member, and restores it into a fresh one; reports the time of each, the bytes on disk per
 * URL, and checks that every URL came back.
 */
@Command(
    name = "state-bench",
    mixinStandardHelpOptions = true,
    description =
        "Measure the state store: save a filled frontier, restore it into a new member, bytes per"
            + " URL.")
public final class StateBenchCommand implements Callable<Integer> {
  @Option(
      names = "--urls",
      defaultValue = "1000000",
      description = "URLs to queue (default: ${DEFAULT-VALUE}).")
  int urls;

  @Option(
      names = "--keys",
      defaultValue = "1000",
      description = "Politeness keys (hosts) (default: ${DEFAULT-VALUE}).")
  int keys;

  @Option(
      names = "--crawl-seconds",
      defaultValue = "0",
      description =
          "After the first save, crawl the filled frontier this long (claim, settle, queue links),"
              + " saving every 100 ms as a node does; then stop the member without a last save,"
              + " as a crash, and count what the restore lost (default: ${DEFAULT-VALUE}: no"
              + " crawl).")
  int crawlSeconds;

  @Option(
      names = "--pages-per-second",
      defaultValue = "1000",
      description = "Pages settled per second while crawling (default: ${DEFAULT-VALUE}).")
  int pagesPerSecond;

  @Option(
      names = "--links-per-page",
      defaultValue = "5",
      description = "New URLs queued per page settled (default: ${DEFAULT-VALUE}).")
  int linksPerPage;

  @Option(
      names = "--state-db",
      description = "A PostgreSQL JDBC URL to measure instead of SQLite in a temporary directory.")
  String stateDb;

  private static final int BATCH = 20;
  private static final int IN_FLIGHT = 64;

  @Override
  public Integer call() throws Exception {
    if (urls < 1 || keys < 1) {
      throw new InvalidInputException("invalid state-bench option: every count must be >= 1");
    }
    String crawl = "state-bench-" + UUID.randomUUID();
    Path dir = stateDb == null ? Files.createTempDirectory("fleetcrawl-state-bench-") : null;
    Vertx vertx = Vertx.vertx();
    HazelcastInstance first = null;
    HazelcastInstance second = null;
    try (StateStore store =
        stateDb == null ? JdbcStateStore.sqlite(dir) : JdbcStateStore.postgresql(stateDb)) {
      String cluster = "state-bench-" + UUID.randomUUID();
      first = Hazelcast.newHazelcastInstance(member(cluster));
      FrontierStore frontier = new FrontierStore(first, crawl);
      fill(vertx.getOrCreateContext(), frontier);
      CrawlState state =
          new CrawlState(
              store,
              crawl,
              first,
              frontier,
              ScopeSharing.map(first, crawl),
              ControlVerticle.map(first, crawl));
      long t0 = System.nanoTime();
      int saved = state.save(System.currentTimeMillis(), 0);
      double saveSeconds = (System.nanoTime() - t0) / 1e9;
      long bytes = stateDb == null ? directoryBytes(dir) : -1;
      long blobBytes = ((Number) state.status().get("bytesSaved")).longValue();
      Map<String, Object> crawled =
          crawlSeconds > 0 ? crawl(vertx.getOrCreateContext(), frontier, state) : Map.of();
      first.shutdown();
      first = null;

      second = Hazelcast.newHazelcastInstance(member(cluster + "-restarted"));
      FrontierStore restored = new FrontierStore(second, crawl);
      CrawlState again =
          new CrawlState(
              store,
              crawl,
              second,
              restored,
              ScopeSharing.map(second, crawl),
              ControlVerticle.map(second, crawl));
      long t1 = System.nanoTime();
      long keysBack = again.restoreOrWait(System::currentTimeMillis);
      double restoreSeconds = (System.nanoTime() - t1) / 1e9;
      long queued = 0;
      long done = 0;
      for (KeyStats k : restored.stats()) {
        queued += k.queued() + k.leased();
        done += k.done();
      }
      // What a crash may lose: the pages settled after the last save (fetched again after the
      // restart, so they find their links again) and the links they found; nothing else.
      long refetch = ((Number) crawled.getOrDefault("pages", 0L)).longValue() - done;
      long admitted =
          urls
              + ((Number) crawled.getOrDefault("linksQueued", 0L)).longValue()
              - refetch * linksPerPage;
      if (queued + done != admitted) {
        throw new IllegalStateException(
            "restored " + (queued + done) + " URLs (queued and done) of " + admitted);
      }
      if (stateDb != null) {
        store.drop(crawl);
      }
      Map<String, Object> result = new LinkedHashMap<>();
      result.put("store", stateDb == null ? "sqlite" : "postgresql");
      result.put("urls", urls);
      result.put("keys", keys);
      result.put("keysSaved", saved);
      result.put("saveSeconds", Math.round(saveSeconds * 100) / 100.0);
      result.put("keysRestored", keysBack);
      result.put("urlsRestored", queued + done);
      if (crawlSeconds > 0) {
        result.putAll(crawled);
        // Pages settled before the crash that the restored frontier holds as queued: a restarted
        // crawl fetches them again.
        result.put("pagesToFetchAgain", refetch);
      }
      result.put("restoreSeconds", Math.round(restoreSeconds * 100) / 100.0);
      result.put("bytesSavedPerUrl", Math.round(blobBytes / (double) urls));
      if (bytes >= 0) {
        // The database file and its write-ahead log together: until SQLite checkpoints and
        // truncates the log, pages can be in both, so this is an upper bound.
        result.put("fileBytesPerUrl", Math.round(bytes / (double) urls));
      }
      System.out.println(new String(Json.toBytes(result), java.nio.charset.StandardCharsets.UTF_8));
      return 0;
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
      if (first != null) {
        first.shutdown();
      }
      if (second != null) {
        second.shutdown();
      }
      if (dir != null) {
        deleteTree(dir);
      }
    }
  }

  /**
   * Crawls the frontier for {@link #crawlSeconds} at {@link #pagesPerSecond}: claims URLs of the
   * keys in turn, settles them done and queues {@link #linksPerPage} new URLs for each, and saves
   * the changed state every 100 ms as the node's checkpointer does. Returns what it did and wrote.
   */
  private Map<String, Object> crawl(Context context, FrontierStore frontier, CrawlState state)
      throws Exception {
    long bytesBefore = ((Number) state.status().get("bytesSaved")).longValue();
    long start = System.currentTimeMillis();
    long end = start + crawlSeconds * 1_000L;
    long nextSave = start + 100;
    long pages = 0;
    long links = 0;
    long saves = 0;
    long saveNanos = 0;
    long maxSaveNanos = 0;
    int turn = 0;
    for (long now = start; now < end; now = System.currentTimeMillis()) {
      long due = pagesPerSecond * (now - start) / 1_000 - pages;
      if (due > 0) {
        String key = "host" + (turn++ % keys) + ".example";
        int n = (int) Math.min(due, 500);
        List<io.fleetcrawl.frontier.Lease> leases =
            frontier
                .claim(context, key, now, n, n, 60_000)
                .await(60, TimeUnit.SECONDS)
                .claim()
                .leases();
        List<io.fleetcrawl.frontier.Settlement> settlements = new ArrayList<>();
        List<CrawlRequest> found = new ArrayList<>();
        for (io.fleetcrawl.frontier.Lease lease : leases) {
          settlements.add(io.fleetcrawl.frontier.Settlement.done(lease.id()));
          for (int l = 0; l < linksPerPage; l++) {
            found.add(
                new CrawlRequest(
                    "https://" + key + "/found/" + pages + "/" + links++ + ".html", 3, 0));
          }
          pages++;
        }
        frontier
            .settleAndClaim(context, key, settlements, 0, -1, now, 0, n, 60_000)
            .await(60, TimeUnit.SECONDS);
        if (!found.isEmpty()) {
          frontier.offer(context, key, found).await(60, TimeUnit.SECONDS);
        }
      }
      if (now >= nextSave) {
        long t0 = System.nanoTime();
        state.save(now, 100);
        long took = System.nanoTime() - t0;
        saveNanos += took;
        maxSaveNanos = Math.max(maxSaveNanos, took);
        saves++;
        nextSave += 100;
      } else if (due <= 0) {
        Thread.sleep(1);
      }
    }
    long written = ((Number) state.status().get("bytesSaved")).longValue() - bytesBefore;
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("crawlSeconds", crawlSeconds);
    m.put("pages", pages);
    m.put("linksQueued", links);
    m.put("saves", saves);
    m.put("bytesWrittenPerSecond", written / crawlSeconds);
    m.put("saveMsMean", Math.round(saveNanos / 1e4 / Math.max(1, saves)) / 100.0);
    m.put("saveMsMax", Math.round(maxSaveNanos / 1e4) / 100.0);
    return m;
  }

  private static com.hazelcast.config.Config member(String cluster) {
    return new ClusterSettings(null, cluster, List.of(), null).toHazelcastConfig();
  }

  /**
   * Queues the URLs, {@value #BATCH} per round trip as a page's links, {@value #IN_FLIGHT} at once.
   */
  private void fill(Context context, FrontierStore frontier) throws Exception {
    List<Future<?>> window = new ArrayList<>();
    int batches = urls / BATCH + (urls % BATCH == 0 ? 0 : 1);
    for (int i = 0; i < batches; i++) {
      String key = "host" + (i % keys) + ".example";
      List<CrawlRequest> requests = new ArrayList<>(BATCH);
      for (int j = 0; j < BATCH && (long) i * BATCH + j < urls; j++) {
        requests.add(
            new CrawlRequest(
                "https://" + key + "/section/" + (i / keys) + "/page-" + j + ".html", 2, 0));
      }
      window.add(frontier.offer(context, key, requests));
      if (window.size() >= IN_FLIGHT) {
        Future.all(window).await(60, TimeUnit.SECONDS);
        window.clear();
      }
    }
    Future.all(window).await(60, TimeUnit.SECONDS);
  }

  private static long directoryBytes(Path dir) throws Exception {
    try (Stream<Path> files = Files.list(dir)) {
      return files
          .filter(p -> p.getFileName().toString().startsWith(JdbcStateStore.SQLITE_FILE))
          .mapToLong(p -> p.toFile().length())
          .sum();
    }
  }

  private static void deleteTree(Path dir) throws Exception {
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
