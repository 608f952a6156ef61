package io.fleetcrawl.intake;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.config.Config;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.fleetcrawl.config.CrawlConfig;
import io.fleetcrawl.config.ScopeMode;
import io.fleetcrawl.config.TrapLimits;
import io.fleetcrawl.frontier.FrontierSerialization;
import io.fleetcrawl.frontier.FrontierStore;
import io.fleetcrawl.metrics.CrawlStats;
import io.fleetcrawl.model.RejectReason;
import io.fleetcrawl.model.Rejection;
import io.fleetcrawl.model.SubmitReply;
import io.fleetcrawl.scope.CrawlScope;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Intake against a real one-member Hazelcast frontier. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UrlIntakeTest {
  private static HazelcastInstance hazelcast;
  private static Vertx vertx;

  @BeforeAll
  static void start() {
    Config config = new Config().setClusterName("intake-test-" + UUID.randomUUID());
    config.setProperty("hazelcast.logging.type", "slf4j");
    config.setProperty("hazelcast.phone.home.enabled", "false");
    config.getNetworkConfig().getJoin().getAutoDetectionConfig().setEnabled(false);
    config.getNetworkConfig().getJoin().getMulticastConfig().setEnabled(false);
    config.getNetworkConfig().getInterfaces().setEnabled(true).addInterface("127.0.0.1");
    hazelcast = Hazelcast.newHazelcastInstance(FrontierSerialization.register(config));
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
    hazelcast.shutdown();
  }

  private final List<String> readyKeys = new ArrayList<>();

  private UrlIntake intake(CrawlConfig config) {
    return new UrlIntake(
        config,
        new CrawlScope(config),
        new FrontierStore(hazelcast, config.name(), config.maxUrlsPerHost()),
        new CrawlStats(),
        new SeenCache(1000),
        readyKeys::add);
  }

  private static CrawlConfig config(long maxPages, boolean allowPrivate) {
    return new CrawlConfig(
        "c" + UUID.randomUUID().toString().substring(0, 8),
        ScopeMode.HOST,
        List.of(),
        List.of(),
        2,
        maxPages,
        io.fleetcrawl.network.NetworkPolicy.of(allowPrivate, List.of()),
        true,
        CrawlConfig.DEFAULT_USER_AGENT,
        3);
  }

  /** Submits seeds to a fresh crawl that refuses private networks. */
  private SubmitReply seeds(String... urls) throws Exception {
    return intake(config(100, false))
        .submitSeeds(vertx.getOrCreateContext(), List.of(urls))
        .await(10, TimeUnit.SECONDS);
  }

  private static Map<String, RejectReason> reasons(SubmitReply reply) {
    return reply.rejected().stream().collect(Collectors.toMap(Rejection::url, Rejection::reason));
  }

  @Test
  void seedBatchRejectsEachBadUrlWithItsReasonAndKeepsTheRest() throws Exception {
    UrlIntake intake = intake(config(100, false));
    SubmitReply reply =
        intake
            .submitSeeds(
                vertx.getOrCreateContext(),
                List.of(
                    "https://example.com/a#frag",
                    "https://example.com/a",
                    "HTTPS://EXAMPLE.com:443/b/../c",
                    "not a url",
                    "ftp://example.com/file",
                    "http://127.0.0.1/admin",
                    "http://169.254.169.254/latest/meta-data",
                    "http://[::1]:8080/",
                    "http://",
                    ""))
            .await(10, TimeUnit.SECONDS);
    assertEquals(2, reply.accepted());
    Map<String, RejectReason> reasons = reasons(reply);
    assertEquals(RejectReason.DUPLICATE, reasons.get("https://example.com/a"));
    assertEquals(RejectReason.MALFORMED, reasons.get("not a url"));
    assertEquals(RejectReason.DISALLOWED_SCHEME, reasons.get("ftp://example.com/file"));
    assertEquals(RejectReason.PRIVATE_NETWORK, reasons.get("http://127.0.0.1/admin"));
    assertEquals(
        RejectReason.PRIVATE_NETWORK, reasons.get("http://169.254.169.254/latest/meta-data"));
    assertEquals(RejectReason.PRIVATE_NETWORK, reasons.get("http://[::1]:8080/"));
    assertEquals(RejectReason.MALFORMED, reasons.get("http://"));
    assertEquals(RejectReason.MALFORMED, reasons.get(""));
    assertEquals(List.of("example.com"), readyKeys.stream().distinct().toList());
  }

  @Test
  void aUrlTheNormaliserChangesTwiceIsSpeltOneWay() throws Exception {
    // Found by IntakeFuzzTest: "Y.." came out as "y.", which a second pass turned into "y"; a
    // '?' inside the query re-split its sorted parameters on every pass.
    SubmitReply reply =
        seeds(
            "hTtp://Y../a",
            "http://y/a",
            "http://example.com/p?b=1&a?=2",
            "http://example.com/p?a?=2&b=1");
    assertEquals(RejectReason.DUPLICATE, reasons(reply).get("http://y/a"));
    assertEquals(RejectReason.DUPLICATE, reasons(reply).get("http://example.com/p?a?=2&b=1"));
    assertEquals(2, reply.accepted());
  }

  @Test
  void portsOutOfRangeAreRejectedAsMalformedNamingThePort() throws Exception {
    SubmitReply reply =
        seeds(
            "http://example.com:99999/",
            "http://example.com:0/",
            "https://example.com:65536/x",
            "http://example.com:65535/ok");
    assertEquals(1, reply.accepted());
    assertEquals(3, reply.rejected().size());
    for (Rejection r : reply.rejected()) {
      assertEquals(RejectReason.MALFORMED, r.reason(), r.url());
      String port = r.url().replaceAll(".*:(\\d+)/.*", "$1");
      assertTrue(r.detail().contains("port " + port + " is not 1..65535"), r.detail());
    }
  }

  @Test
  void internalAddressesInOtherSpellingsAreRefused() throws Exception {
    List<String> urls =
        List.of(
            "http://2130706433/",
            "http://0x7f.1/",
            "http://0177.0.0.1:8080/",
            "http://[::ffff:169.254.169.254]/latest/meta-data",
            "http://198.18.0.1/",
            "http://localhost./");
    SubmitReply reply = seeds(urls.toArray(String[]::new));
    assertEquals(0, reply.accepted(), "" + reply.rejected());
    for (Rejection r : reply.rejected()) {
      // java.net.URI sees no host in some forms (0x7f.1): refused as malformed, also fine.
      assertTrue(
          r.reason() == RejectReason.PRIVATE_NETWORK || r.reason() == RejectReason.MALFORMED,
          r.url() + ": " + r.reason() + " " + r.detail());
    }
    assertEquals(RejectReason.PRIVATE_NETWORK, reasons(reply).get("http://2130706433/"));
    assertEquals(
        RejectReason.PRIVATE_NETWORK,
        reasons(reply).get("http://[::ffff:169.254.169.254]/latest/meta-data"));
  }

  @Test
  void credentialsInAUrlAreDroppedBeforeItIsKeptAnywhere() throws Exception {
    SubmitReply reply =
        seeds(
            "http://alice:s3cret@example.org/a?q=1",
            "http://example.org/a?q=1",
            "https://bob@example.net/b",
            "https://example.net/b");
    // The forms without credentials are the very URLs already admitted.
    assertEquals(2, reply.accepted());
    assertEquals(
        Map.of(
            "http://example.org/a?q=1", RejectReason.DUPLICATE,
            "https://example.net/b", RejectReason.DUPLICATE),
        reasons(reply));
  }

  @Test
  void normalisedFormsOfOneUrlAreAdmittedOnce() throws Exception {
    UrlIntake intake = intake(config(100, false));
    SubmitReply reply =
        intake
            .submitSeeds(
                vertx.getOrCreateContext(),
                List.of("http://Example.com:80/x/./y?b=2", "http://example.com/x/y?b=2#top"))
            .await(10, TimeUnit.SECONDS);
    assertEquals(1, reply.accepted());
    assertEquals(RejectReason.DUPLICATE, reply.rejected().get(0).reason());
  }

  @Test
  void linksOutsideScopeOrTooDeepAreNotAdmitted() throws Exception {
    UrlIntake intake = intake(config(100, false));
    intake
        .submitSeeds(vertx.getOrCreateContext(), List.of("https://example.com/"))
        .await(10, TimeUnit.SECONDS);
    int admitted =
        intake
            .admitLinks(
                vertx.getOrCreateContext(),
                List.of("https://example.com/in", "https://other.com/out", "https://example.com/"),
                1)
            .await(10, TimeUnit.SECONDS);
    assertEquals(1, admitted);
    assertEquals(
        0,
        (int)
            intake
                .admitLinks(vertx.getOrCreateContext(), List.of("https://example.com/deep"), 3)
                .await(10, TimeUnit.SECONDS));
  }

  @Test
  void pageLimitCapsAdmissionsAndNamesTheLimit() throws Exception {
    UrlIntake intake = intake(config(2, false));
    SubmitReply reply =
        intake
            .submitSeeds(
                vertx.getOrCreateContext(),
                List.of("https://example.com/1", "https://example.com/2", "https://example.com/3"))
            .await(10, TimeUnit.SECONDS);
    assertEquals(2, reply.accepted());
    assertEquals(RejectReason.LIMIT_REACHED, reply.rejected().get(0).reason());
  }

  @Test
  void aHostHoldingTheMostUrlsPerHostRefusesNewSeedsNamingTheLimitAndCountsThem() throws Exception {
    CrawlStats stats = new CrawlStats();
    CrawlConfig config = config(100, false).withMaxUrlsPerHost(2);
    UrlIntake intake =
        new UrlIntake(
            config,
            new CrawlScope(config),
            new FrontierStore(hazelcast, config.name(), config.maxUrlsPerHost()),
            stats,
            new SeenCache(1000),
            readyKeys::add);
    SubmitReply reply =
        intake
            .submitSeeds(
                vertx.getOrCreateContext(),
                List.of(
                    "https://example.com/1",
                    "https://example.com/2",
                    "https://example.com/3",
                    "https://example.com/1",
                    "https://other.example/1"))
            .await(10, TimeUnit.SECONDS);
    assertEquals(3, reply.accepted(), "two of example.com, one of other.example");
    Map<String, RejectReason> reasons = reasons(reply);
    assertEquals(RejectReason.HOST_FULL, reasons.get("https://example.com/3"));
    assertEquals(RejectReason.DUPLICATE, reasons.get("https://example.com/1"));
    assertTrue(
        reply.rejected().stream().anyMatch(r -> r.detail().contains("--max-urls-per-host (2)")),
        reply.rejected().toString());
    assertEquals(1, stats.hostFull.sum());
    assertEquals(1, stats.refusedFor(RejectReason.HOST_FULL).sum());
  }

  @Test
  void privateTargetsAreAdmittedWhenAllowed() throws Exception {
    UrlIntake intake = intake(config(10, true));
    assertEquals(
        1,
        intake
            .submitSeeds(vertx.getOrCreateContext(), List.of("http://127.0.0.1:8080/"))
            .await(10, TimeUnit.SECONDS)
            .accepted());
  }

  @Test
  void linkRefusedAsTooDeepIsAdmittedWhenFoundAgainShallower() throws Exception {
    UrlIntake intake = intake(config(100, false));
    var context = vertx.getOrCreateContext();
    intake.submitSeeds(context, List.of("https://example.com/")).await(10, TimeUnit.SECONDS);
    assertEquals(
        0,
        (int)
            intake
                .admitLinks(context, List.of("https://example.com/x"), 3)
                .await(10, TimeUnit.SECONDS));
    assertEquals(
        1,
        (int)
            intake
                .admitLinks(context, List.of("https://example.com/x"), 1)
                .await(10, TimeUnit.SECONDS));
    assertEquals(
        0,
        (int)
            intake
                .admitLinks(context, List.of("https://example.com/x"), 1)
                .await(10, TimeUnit.SECONDS));
  }

  @Test
  void linksAreEscapedByTheNormaliser() throws Exception {
    UrlIntake intake = intake(config(100, false));
    var context = vertx.getOrCreateContext();
    intake.submitSeeds(context, List.of("https://example.com/")).await(10, TimeUnit.SECONDS);
    assertEquals(
        1,
        (int)
            intake
                .admitLinks(context, List.of("https://example.com/a b.html"), 1)
                .await(10, TimeUnit.SECONDS));
    assertEquals(
        0,
        (int)
            intake
                .admitLinks(context, List.of("https://example.com/a%20b.html"), 1)
                .await(10, TimeUnit.SECONDS));
  }

  @Test
  void spiderTrapUrlsAreRefusedEachWithItsOwnReasonAndCounted() throws Exception {
    CrawlStats stats = new CrawlStats();
    CrawlConfig config =
        config(100, false)
            .withTraps(new TrapLimits(120, 5000, 2, 4, TrapLimits.DEFAULT_STRIP_PARAMS));
    UrlIntake intake =
        new UrlIntake(
            config,
            new CrawlScope(config),
            new FrontierStore(hazelcast, config.name(), config.maxUrlsPerHost()),
            stats,
            new SeenCache(1000),
            readyKeys::add);
    String tooLong = "https://example.com/" + "x".repeat(120);
    String hugeLink = "https://example.com/" + "y".repeat(2000);
    SubmitReply reply =
        intake
            .submitSeeds(
                vertx.getOrCreateContext(),
                List.of(
                    "https://example.com/a/a/",
                    "https://example.com/a/a/a/",
                    "https://example.com/a/b/a/b/a/",
                    "https://example.com/s?a=1&b=2&c=3&d=4",
                    "https://example.com/s?a=1&b=2&c=3&d=4&e=5",
                    "https://example.com/s?a=1&a=1&a=1&a=1&a=1",
                    tooLong,
                    hugeLink))
            .await(10, TimeUnit.SECONDS);
    Map<String, RejectReason> reasons = reasons(reply);
    assertEquals(2, reply.accepted(), reply.rejected().toString());
    assertEquals(RejectReason.REPEATED_SEGMENTS, reasons.get("https://example.com/a/a/a/"));
    assertEquals(RejectReason.REPEATED_SEGMENTS, reasons.get("https://example.com/a/b/a/b/a/"));
    assertEquals(
        RejectReason.TOO_MANY_PARAMETERS, reasons.get("https://example.com/s?a=1&b=2&c=3&d=4&e=5"));
    assertEquals(
        RejectReason.TOO_MANY_PARAMETERS, reasons.get("https://example.com/s?a=1&a=1&a=1&a=1&a=1"));
    assertEquals(RejectReason.URL_TOO_LONG, reasons.get(tooLong));
    assertEquals(RejectReason.URL_TOO_LONG, reasons.get(hugeLink));
    assertTrue(
        reply.rejected().stream()
            .anyMatch(r -> r.detail().contains("appears more than --max-segment-repeats 2")),
        reply.rejected().toString());
    assertTrue(
        reply.rejected().stream().anyMatch(r -> r.detail().contains("> --max-url-length 120")),
        reply.rejected().toString());
    assertEquals(2, stats.refusedFor(RejectReason.REPEATED_SEGMENTS).sum());
    assertEquals(2, stats.refusedFor(RejectReason.TOO_MANY_PARAMETERS).sum());
    assertEquals(2, stats.refusedFor(RejectReason.URL_TOO_LONG).sum());
  }

  @Test
  void sessionIdsAndTrackersAreStrippedSoOnePageIsAdmittedOnce() throws Exception {
    UrlIntake intake = intake(config(100, false));
    var context = vertx.getOrCreateContext();
    SubmitReply reply =
        intake
            .submitSeeds(
                context,
                List.of(
                    "https://example.com/p?id=7",
                    "https://example.com/p?id=7&PHPSESSID=abc",
                    "https://example.com/p?utm_source=x&id=7&utm_medium=y",
                    "https://example.com/p;jsessionid=F00D?id=7",
                    "https://example.com/q;jsessionid=F00D",
                    "https://example.com/q?JSESSIONID=1&fbclid=2",
                    "https://example.com/r;v=2"))
            .await(10, TimeUnit.SECONDS);
    assertEquals(3, reply.accepted(), reply.rejected().toString());
    assertTrue(
        reply.rejected().stream().allMatch(r -> r.reason() == RejectReason.DUPLICATE),
        reply.rejected().toString());
    assertEquals(
        "https://example.com/x?id=7",
        intake.admissible("https://example.com/x;jsessionid=1?utm_campaign=z&id=7", 1).url());
    assertEquals(
        "https://example.com/x;v=2",
        intake.admissible("https://example.com/x;v=2", 1).url(),
        "a path parameter not on the list stays");
  }

  @Test
  void aCancelledCrawlRefusesSeedsNamingTheCancelAndAdmitsNoLinks() throws Exception {
    boolean[] cancelled = {false};
    UrlIntake intake = intake(config(100, false)).refusingWhen(() -> cancelled[0]);
    var context = vertx.getOrCreateContext();
    assertEquals(
        1,
        intake
            .submitSeeds(context, List.of("https://example.com/"))
            .await(10, TimeUnit.SECONDS)
            .accepted());
    cancelled[0] = true;
    SubmitReply reply =
        intake.submitSeeds(context, List.of("https://example.com/new")).await(10, TimeUnit.SECONDS);
    assertEquals(0, reply.accepted());
    assertEquals(RejectReason.CRAWL_CANCELLED, reply.rejected().get(0).reason());
    assertTrue(reply.rejected().get(0).detail().contains("cancelled"), reply.toString());
    assertEquals(
        0,
        (int)
            intake
                .admitLinks(context, List.of("https://example.com/link"), 1)
                .await(10, TimeUnit.SECONDS));
  }

  @Test
  void scansAndSavesOfManyKeysSeeEveryKeyOnce() throws Exception {
    // More keys than one multi-key call carries: the frontier splits its calls by partition.
    CrawlConfig config = config(100_000, false);
    List<String> seeds = new ArrayList<>();
    for (int i = 0; i < 3 * FrontierStore.CALL_KEYS; i++) {
      seeds.add("https://h" + i + ".example.com/");
    }
    SubmitReply reply =
        intake(config).submitSeeds(vertx.getOrCreateContext(), seeds).await(30, TimeUnit.SECONDS);
    assertEquals(seeds.size(), reply.accepted());
    FrontierStore store = new FrontierStore(hazelcast, config.name());
    java.util.Set<String> waiting = new java.util.HashSet<>();
    store
        .localKeysWithWaiting(System.currentTimeMillis())
        .forEach(k -> assertTrue(waiting.add(k.key()), k.key()));
    assertEquals(seeds.size(), waiting.size());
    assertEquals(seeds.size(), store.saveLocalChanges(System.currentTimeMillis(), 0).size());
  }
}
