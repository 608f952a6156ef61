package io.fleetcrawl.state;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.config.Config;
import com.hazelcast.config.InMemoryFormat;
import com.hazelcast.config.MapConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.fleetcrawl.frontier.FrontierSerialization;
import io.fleetcrawl.frontier.FrontierStore;
import io.fleetcrawl.frontier.KeyStats;
import io.fleetcrawl.frontier.Lease;
import io.fleetcrawl.frontier.Settlement;
import io.fleetcrawl.model.CrawlRequest;
import io.fleetcrawl.output.PayloadIndex;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A crawl's state saved to a real SQLite store from a real Hazelcast member, and restored into a
 * new member after the first one is gone, as after a stop of the whole cluster.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CrawlStateTest {
  private static final String CRAWL = "c1";
  private static final String BIG = "big.test";
  private static final String SMALL = "small.test";
  private static final long INTERVAL_MS = 100;

  @TempDir Path dir;
  private Vertx vertx;
  private Context context;
  private final List<HazelcastInstance> members = new ArrayList<>();
  private JdbcStateStore store;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    context = vertx.getOrCreateContext();
    store = JdbcStateStore.sqlite(dir);
  }

  @AfterEach
  void stop() throws Exception {
    members.forEach(HazelcastInstance::shutdown);
    vertx.close().await(10, TimeUnit.SECONDS);
    store.close();
  }

  private HazelcastInstance member() {
    Config config = new Config().setClusterName("state-test-" + UUID.randomUUID());
    config.setProperty("hazelcast.logging.type", "slf4j");
    config.setProperty("hazelcast.phone.home.enabled", "false");
    config.getNetworkConfig().getJoin().getAutoDetectionConfig().setEnabled(false);
    config.getNetworkConfig().getJoin().getMulticastConfig().setEnabled(false);
    config.getNetworkConfig().getInterfaces().setEnabled(true).addInterface("127.0.0.1");
    // As cluster.xml: the frontier's entries are changed in place, and a key's save bookkeeping
    // lives in the object.
    config.addMapConfig(
        new MapConfig(FrontierStore.MAP_PREFIX + "*").setInMemoryFormat(InMemoryFormat.OBJECT));
    HazelcastInstance hazelcast =
        Hazelcast.newHazelcastInstance(FrontierSerialization.register(config));
    members.add(hazelcast);
    return hazelcast;
  }

  /** One member of the crawl: its Hazelcast instance, frontier and saved state. */
  private record Node(HazelcastInstance hazelcast, FrontierStore frontier, CrawlState state) {}

  private Node node() {
    HazelcastInstance hazelcast = member();
    FrontierStore frontier = new FrontierStore(hazelcast, CRAWL);
    return new Node(
        hazelcast,
        frontier,
        new CrawlState(
                store,
                CRAWL,
                hazelcast,
                frontier,
                hazelcast.getMap("scope." + CRAWL),
                hazelcast.getMap("control." + CRAWL))
            .withPayloads(hazelcast.getMap(PayloadIndex.mapName(CRAWL))));
  }

  /**
   * Stops the whole cluster (its one member, with no last save) and starts a new one, which
   * restores the crawl; returns it.
   */
  private Node crashAndRestore(Node old) throws InterruptedException {
    old.hazelcast().shutdown();
    members.remove(old.hazelcast());
    Node restored = node();
    restored.state().restoreOrWait(System::currentTimeMillis);
    return restored;
  }

  private static <T> T await(Future<T> future) {
    return future.toCompletionStage().toCompletableFuture().join();
  }

  private static List<CrawlRequest> urls(String host, int from, int to) {
    List<CrawlRequest> urls = new ArrayList<>();
    for (int i = from; i < to; i++) {
      urls.add(CrawlRequest.seed("http://" + host + "/" + i));
    }
    return urls;
  }

  /** Claims up to {@code n} URLs of a key and settles them done; returns their URLs. */
  private List<String> fetch(FrontierStore frontier, String key, int n, long now) {
    List<Lease> leases = await(frontier.claim(context, key, now, n, n, 60_000)).claim().leases();
    List<Settlement> done = leases.stream().map(l -> Settlement.done(l.id())).toList();
    await(frontier.settleAndClaim(context, key, done, 0, -1, now, 0, n, 60_000));
    return leases.stream().map(l -> l.request().url()).toList();
  }

  /** Claims every URL a key holds and returns them. */
  private Set<String> queuedUrls(FrontierStore frontier, String key) {
    Set<String> urls = new TreeSet<>();
    await(frontier.claim(context, key, 1, 1_000_000, 1_000_000, 60_000))
        .claim()
        .leases()
        .forEach(l -> urls.add(l.request().url()));
    return urls;
  }

  private static KeyStats stats(FrontierStore frontier, String key) {
    return frontier.stats().stream().filter(s -> s.key().equals(key)).findFirst().orElseThrow();
  }

  @Test
  void aLargeKeysChangesBetweenItsWholeSavesOutliveTheCluster() throws Exception {
    Node first = node();
    FrontierStore frontier = first.frontier();
    CrawlState state = first.state();
    await(frontier.offer(context, BIG, urls(BIG, 0, 40_000)));
    await(frontier.offer(context, SMALL, urls(SMALL, 0, 10)));
    assertEquals(2, state.save(0, INTERVAL_MS), "both keys saved whole at first");

    // One interval later: pages of both keys fetched, and a page of the small key found links
    // into the large one, which the large key admits. The large key is not due whole.
    List<String> fetchedBig = fetch(frontier, BIG, 200, 1);
    fetch(frontier, SMALL, 4, 1);
    await(frontier.offer(context, BIG, urls(BIG, 40_000, 40_025)));
    assertEquals(
        2, state.save(INTERVAL_MS, INTERVAL_MS), "the small key whole, the large one's journal");
    assertEquals(1, store.count(CRAWL, CrawlState.JOURNAL));
    fetchedBig = new ArrayList<>(fetchedBig);
    fetchedBig.addAll(fetch(frontier, BIG, 50, 2));
    await(frontier.offer(context, BIG, urls(BIG, 40_025, 40_030)));
    state.save(INTERVAL_MS + INTERVAL_MS / 2, INTERVAL_MS);
    assertEquals(2, store.count(CRAWL, CrawlState.JOURNAL));
    KeyStats before = stats(frontier, BIG);
    assertEquals(250, before.done());
    assertEquals(40_030 - 250, before.queued());
    Set<String> queuedBefore = new TreeSet<>();
    for (int i = 250; i < 40_030; i++) {
      queuedBefore.add("http://" + BIG + "/" + i);
    }

    // The whole cluster stops (nothing more is saved) and a new member restores the crawl.
    Node second = crashAndRestore(first);
    FrontierStore restoredFrontier = second.frontier();
    CrawlState restored = second.state();
    assertEquals(2L, restored.status().get("keysRestored"));

    KeyStats after = stats(restoredFrontier, BIG);
    assertEquals(250, after.done(), "the pages fetched after the whole copy stay done");
    assertEquals(before.queued(), after.queued());
    assertEquals(6, stats(restoredFrontier, SMALL).queued());
    // The restored key is in the store only in pieces: its member saves it whole at once, and
    // that copy makes the journals obsolete.
    restored.save(10 * INTERVAL_MS, INTERVAL_MS);
    assertEquals(0, store.count(CRAWL, CrawlState.JOURNAL), "journals deleted by the whole copy");
    Set<String> queuedAfter = queuedUrls(restoredFrontier, BIG);
    assertEquals(queuedBefore, queuedAfter, "every URL still to fetch, and none fetched before");
    assertTrue(queuedAfter.contains("http://" + BIG + "/40029"), "links admitted after the copy");
    fetchedBig.forEach(url -> assertTrue(!queuedAfter.contains(url), url + " fetched again"));
  }

  @Test
  void aRestoreReadsTheWholeCopyAloneWhenItsJournalsAreOlderThanIt() throws Exception {
    Node first = node();
    FrontierStore frontier = first.frontier();
    CrawlState state = first.state();
    await(frontier.offer(context, BIG, urls(BIG, 0, 40_000)));
    state.save(0, INTERVAL_MS);
    fetch(frontier, BIG, 10, 1);
    state.save(INTERVAL_MS, INTERVAL_MS);
    assertEquals(1, store.count(CRAWL, CrawlState.JOURNAL));
    fetch(frontier, BIG, 10, 2);
    // The final save (interval 0, as on SIGTERM) writes every key whole.
    state.save(3 * INTERVAL_MS, 0);
    assertEquals(0, store.count(CRAWL, CrawlState.JOURNAL));

    FrontierStore restoredFrontier = crashAndRestore(first).frontier();
    assertEquals(20, stats(restoredFrontier, BIG).done());
    assertEquals(40_000 - 20, stats(restoredFrontier, BIG).queued());
  }

  @Test
  void archivedPayloadsOutliveTheClusterSoAResumedCrawlStillWritesRevisits() throws Exception {
    Node first = node();
    first.state().restoreOrWait(System::currentTimeMillis);
    Map<String, String> archived = new HashMap<>();
    // More than one row's worth, and an original with non-ASCII text.
    for (int i = 0; i < CrawlState.PAYLOADS_PER_CHUNK + 500; i++) {
      archived.put("sha1:DIGEST" + i, "urn:uuid:" + i + " 1795241930674 http://a.test/" + i);
    }
    archived.put("sha1:NONASCII", "urn:uuid:x 1795241930674 http://b.test/caf\u00e9/\u65e5");
    first.hazelcast().<String, String>getMap(PayloadIndex.mapName(CRAWL)).putAll(archived);
    // The member hears of its new entries asynchronously: save until it has seen them all.
    long deadline = System.currentTimeMillis() + 10_000;
    while (savedPayloads(first) < archived.size() && System.currentTimeMillis() < deadline) {
      first.state().save(System.currentTimeMillis(), INTERVAL_MS);
      Thread.sleep(20);
    }
    assertEquals(archived.size(), savedPayloads(first));
    // A few rows for thousands of payloads, not a row each.
    long rows = store.count(CRAWL, CrawlState.PAYLOAD_CHUNKS);
    assertTrue(rows >= 2 && rows <= 20, rows + " rows for " + archived.size() + " payloads");
    assertEquals(0, store.count(CRAWL, CrawlState.PAYLOADS));

    Node restored = crashAndRestore(first);
    IMap<String, String> payloads = restored.hazelcast().getMap(PayloadIndex.mapName(CRAWL));
    assertEquals(archived.size(), payloads.size(), "archived payloads after the restart");
    assertEquals(archived, new HashMap<>(payloads.getAll(archived.keySet())));
    assertEquals((long) archived.size(), restored.state().status().get("payloadsRestored"));
    // What was restored is not saved again as new.
    Thread.sleep(200);
    restored.state().save(System.currentTimeMillis(), INTERVAL_MS);
    assertEquals(0L, restored.state().status().get("payloadsSaved"));
  }

  @Test
  void payloadsSavedOneRowEachByAnEarlierBuildAreRestoredBesideTheNewRows() throws Exception {
    store.save(
        CRAWL,
        CrawlState.PAYLOADS,
        List.of(
            new StateStore.Row("sha1:OLD1", 1, "urn:uuid:1 1 http://a.test/1".getBytes(UTF_8)),
            new StateStore.Row("sha1:OLD2", 1, "urn:uuid:2 2 http://a.test/2".getBytes(UTF_8))));
    store.save(
        CRAWL,
        CrawlState.PAYLOAD_CHUNKS,
        List.of(
            new StateStore.Row(
                "m-1",
                1,
                CrawlState.packPayloads(
                    List.of(Map.entry("sha1:NEW1", "urn:uuid:3 3 http://a.test/3"))))));

    Node node = node();
    node.state().restoreOrWait(System::currentTimeMillis);

    IMap<String, String> payloads = node.hazelcast().getMap(PayloadIndex.mapName(CRAWL));
    assertEquals(
        Map.of(
            "sha1:OLD1", "urn:uuid:1 1 http://a.test/1",
            "sha1:OLD2", "urn:uuid:2 2 http://a.test/2",
            "sha1:NEW1", "urn:uuid:3 3 http://a.test/3"),
        new HashMap<>(payloads));
    assertEquals(3L, node.state().status().get("payloadsRestored"));
  }

  @Test
  void aDamagedPayloadRowStopsTheRestoreWithAnErrorNamingTheRow() {
    byte[] packed =
        CrawlState.packPayloads(List.of(Map.entry("sha1:A", "urn:uuid:1 1 http://a.test/")));
    byte[] cut = Arrays.copyOf(packed, packed.length - 3);
    store.save(CRAWL, CrawlState.PAYLOAD_CHUNKS, List.of(new StateStore.Row("m-7", 1, cut)));

    Node node = node();
    StateException e =
        assertThrows(
            StateException.class, () -> node.state().restoreOrWait(System::currentTimeMillis));
    assertTrue(e.getMessage().contains("archived-payload row m-7"), e.getMessage());
    assertTrue(e.getMessage().contains(store.describe()), e.getMessage());
  }

  private static long savedPayloads(Node node) {
    return (Long) node.state().status().get("payloadsSaved");
  }
}
