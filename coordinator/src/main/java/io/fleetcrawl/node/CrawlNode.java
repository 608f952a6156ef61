package io.fleetcrawl.node;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import io.fleetcrawl.bus.ModelCodec;
import io.fleetcrawl.config.CrawlConfig;
import io.fleetcrawl.config.FetchConfig;
import io.fleetcrawl.crawl.RunningCrawl;
import io.fleetcrawl.fetch.FetchWorkerVerticle;
import io.fleetcrawl.frontier.FrontierStore;
import io.fleetcrawl.frontier.KeyDispatch;
import io.fleetcrawl.frontier.LeaseReaper;
import io.fleetcrawl.intake.IntakeVerticle;
import io.fleetcrawl.intake.SeenCache;
import io.fleetcrawl.intake.UrlIntake;
import io.fleetcrawl.metrics.CrawlMeters;
import io.fleetcrawl.metrics.CrawlStats;
import io.fleetcrawl.metrics.PoolMetrics;
import io.fleetcrawl.output.JsonlResultSink;
import io.fleetcrawl.pool.DnsCache;
import io.fleetcrawl.scope.CrawlScope;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One cluster member running one crawl: a clustered Vert.x instance on Hazelcast, the crawl's
 * intake verticle and its fetch workers. A single-process crawl is a node alone in its cluster, on
 * the same code path as a cluster.
 */
public final class CrawlNode {
  private static final Logger LOG = LoggerFactory.getLogger(CrawlNode.class);

  /** Seen-cache capacity per node: 2 million fingerprints in 32 MiB. */
  private static final int SEEN_CACHE_CAPACITY = 1 << 21;

  /** Origins with a metrics series of their own; the rest share "other". */
  private static final int ORIGIN_TAGS = 20;

  /** Longest wait between two looks for expired leases. */
  private static final long MAX_SWEEP_MS = 30_000;

  /** How often a node looks through its own keys for work nobody took. */
  private static final long SCAN_MS = 2_000;

  /** How long a leaving node waits for its fetches in flight before giving their URLs back. */
  private static final long DRAIN_MS = 30_000;

  private final Vertx vertx;
  private final HazelcastInstance hazelcast;
  private final RunningCrawl crawl;
  private final LeaseReaper reaper;
  private final KeyDispatch dispatch;
  private final PrometheusMeterRegistry registry;
  private final CrawlMeters meters;

  private CrawlNode(
      Vertx vertx,
      HazelcastInstance hazelcast,
      RunningCrawl crawl,
      LeaseReaper reaper,
      KeyDispatch dispatch,
      PrometheusMeterRegistry registry) {
    this.vertx = vertx;
    this.hazelcast = hazelcast;
    this.crawl = crawl;
    this.reaper = reaper;
    this.dispatch = dispatch;
    this.registry = registry;
    this.meters = new CrawlMeters(registry, crawl.config().name(), crawl.stats());
  }

  /**
   * Joins the cluster and deploys the crawl's verticles. Blocking work (Hazelcast start-up, opening
   * the results file, opening distributed maps) never runs on an event loop.
   *
   * @param sink where this node appends its results; closed when the node stops or fails to start
   * @param leaseMs how long a lease lasts; 0 for {@link RunningCrawl#defaultLeaseMs}
   */
  public static Future<CrawlNode> start(
      ClusterSettings cluster,
      CrawlConfig config,
      FetchConfig fetch,
      JsonlResultSink sink,
      long leaseMs) {
    var hazelcastConfig = cluster.toHazelcastConfig();
    ClusterSettings.requireListed(hazelcastConfig);
    HazelcastClusterManager manager = new HazelcastClusterManager(hazelcastConfig);
    String host = cluster.bindInterface() == null ? "127.0.0.1" : cluster.bindInterface();
    VertxOptions options =
        new VertxOptions()
            .setEventLoopPoolSize(Math.max(fetch.workers(), 1))
            .setAddressResolverOptions(DnsCache.resolverOptions(fetch.pool()))
            .setEventBusOptions(new EventBusOptions().setHost(host).setPort(0))
            // Vert.x's own meters, without event-bus address tags: reply addresses are unbounded.
            .setMetricsOptions(
                new MicrometerMetricsOptions()
                    .setEnabled(true)
                    .setLabels(
                        EnumSet.of(
                            Label.HTTP_CODE, Label.HTTP_METHOD, Label.POOL_TYPE, Label.POOL_NAME)));
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    long lease = leaseMs > 0 ? leaseMs : RunningCrawl.defaultLeaseMs(fetch);
    return Vertx.builder()
        .with(options)
        .withClusterManager(manager)
        .withMetrics(new MicrometerMetricsFactory(registry))
        .buildClustered()
        .compose(
            vertx -> {
              ModelCodec.registerAll(vertx);
              HazelcastInstance hazelcast = manager.getHazelcastInstance();
              // Opening a distributed map may wait on the cluster: not on an event loop.
              return vertx
                  .executeBlocking(() -> new FrontierStore(hazelcast, config.name()), false)
                  .compose(
                      frontier ->
                          deploy(vertx, hazelcast, frontier, config, fetch, sink, lease, registry))
                  .recover(e -> vertx.close().transform(v -> Future.failedFuture(e)));
            })
        .onFailure(e -> sink.close());
  }

  private static Future<CrawlNode> deploy(
      Vertx vertx,
      HazelcastInstance hazelcast,
      FrontierStore frontier,
      CrawlConfig config,
      FetchConfig fetch,
      JsonlResultSink sink,
      long leaseMs,
      PrometheusMeterRegistry registry) {
    CrawlStats stats = new CrawlStats();
    KeyDispatch dispatch = new KeyDispatch(vertx, frontier, config.name(), SCAN_MS);
    IMap<String, Boolean> sharedScope = hazelcast.getMap("scope." + config.name());
    CrawlScope scope =
        new CrawlScope(
            config,
            key ->
                sharedScope
                    .putAsync(key, Boolean.TRUE)
                    .whenComplete(
                        (v, e) -> {
                          if (e != null) {
                            LOG.warn("seed scope {} not shared: {}", key, e.toString());
                          }
                        }));
    UrlIntake intake =
        new UrlIntake(
            config, scope, frontier, stats, new SeenCache(SEEN_CACHE_CAPACITY), dispatch::announce);
    RunningCrawl crawl =
        new RunningCrawl(
            config,
            fetch,
            frontier,
            intake,
            sink,
            stats,
            new PoolMetrics(registry, ORIGIN_TAGS),
            new AtomicBoolean(),
            leaseMs,
            dispatch::mayClaim);
    LeaseReaper reaper =
        new LeaseReaper(
            hazelcast,
            frontier,
            vertx,
            Math.min(leaseMs / 4, MAX_SWEEP_MS),
            dispatch::announceAll,
            System::currentTimeMillis);
    // Seeds submitted on other nodes widen this node's scope too; the listener and the initial
    // load wait on the cluster, so they run on a worker thread.
    Future<Void> scopeShared =
        vertx.executeBlocking(
            () -> {
              sharedScope.addEntryListener(
                  (EntryAddedListener<String, Boolean>) e -> scope.learn(e.getKey()), false);
              sharedScope.keySet().forEach(scope::learn);
              return null;
            },
            false);
    List<Future<?>> deployments = new ArrayList<>();
    deployments.add(scopeShared);
    for (int i = 0; i < fetch.workers(); i++) {
      deployments.add(vertx.deployVerticle(new FetchWorkerVerticle(crawl, i, fetch.workers())));
    }
    deployments.add(vertx.deployVerticle(new IntakeVerticle(crawl)));
    return Future.all(deployments)
        .map(done -> new CrawlNode(vertx, hazelcast, crawl, reaper, dispatch, registry));
  }

  /** Returns the node's Vert.x instance. */
  public Vertx vertx() {
    return vertx;
  }

  /** Returns the crawl the node runs. */
  public RunningCrawl crawl() {
    return crawl;
  }

  /** Returns the node's meters: pool, crawl, frontier and Vert.x's own. */
  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /** Returns the crawl's meters, to which fresh frontier totals are given. */
  public CrawlMeters meters() {
    return meters;
  }

  /** Returns this member's id, the owner recorded on its leases. */
  public String memberId() {
    return crawl.frontier().owner();
  }

  /** Returns the addresses of the cluster's members, this one included. */
  public List<String> members() {
    List<String> members = new ArrayList<>();
    hazelcast.getCluster().getMembers().forEach(m -> members.add(m.getAddress().toString()));
    return members;
  }

  /** Returns how many leased URLs this node queued again because their member left. */
  public long releasedOnMemberLoss() {
    return reaper.releasedOnMemberLoss();
  }

  /**
   * Gets ready to leave the cluster: claims nothing more, lets the fetches in flight finish and be
   * acknowledged (up to {@link #DRAIN_MS}), and gives any lease still held back to the frontier.
   * Call {@link #stop} afterwards, from a thread that is not one of this node's event loops (their
   * closing would strand the completion of a future bound to them).
   */
  public Future<Void> leave() {
    crawl.stopping().set(true);
    return drained(System.currentTimeMillis() + DRAIN_MS)
        .compose(
            v ->
                vertx.executeBlocking(
                    () -> crawl.frontier().releaseOwner(crawl.frontier().owner()), false))
        .onSuccess(
            released -> {
              if (!released.isEmpty()) {
                LOG.info("gave back leases on {} keys before leaving", released.size());
              }
            })
        .mapEmpty();
  }

  private Future<Void> drained(long deadline) {
    if (crawl.stats().leased.get() <= 0 || System.currentTimeMillis() >= deadline) {
      return Future.succeededFuture();
    }
    return vertx.timer(100).compose(v -> drained(deadline));
  }

  /**
   * Undeploys the verticles (closing their connections), leaves the cluster and closes the results.
   */
  public Future<Void> stop() {
    reaper.close();
    dispatch.close();
    return vertx.close().andThen(done -> crawl.sink().close());
  }
}
