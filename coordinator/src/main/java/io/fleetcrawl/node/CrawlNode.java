package io.fleetcrawl.node;

import com.hazelcast.core.HazelcastInstance;
import io.fleetcrawl.bus.Addresses;
import io.fleetcrawl.bus.ModelCodec;
import io.fleetcrawl.config.CrawlConfig;
import io.fleetcrawl.config.FetchConfig;
import io.fleetcrawl.crawl.RunningCrawl;
import io.fleetcrawl.fetch.FetchWorkerVerticle;
import io.fleetcrawl.frontier.FrontierStore;
import io.fleetcrawl.frontier.LeaseReaper;
import io.fleetcrawl.intake.IntakeVerticle;
import io.fleetcrawl.intake.SeenCache;
import io.fleetcrawl.intake.UrlIntake;
import io.fleetcrawl.metrics.CrawlStats;
import io.fleetcrawl.metrics.PoolMetrics;
import io.fleetcrawl.output.JsonlResultSink;
import io.fleetcrawl.pool.DnsCache;
import io.fleetcrawl.scope.CrawlScope;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One cluster member running one crawl: a clustered Vert.x instance on Hazelcast, the crawl's
 * intake verticle and its fetch workers. A single-process crawl is a node alone in its cluster, on
 * the same code path as a cluster.
 */
public final class CrawlNode {
  /** Seen-cache capacity per node: 2 million fingerprints in 32 MiB. */
  private static final int SEEN_CACHE_CAPACITY = 1 << 21;

  /** Origins with a metrics series of their own; the rest share "other". */
  private static final int ORIGIN_TAGS = 20;

  /** Longest wait between two looks for expired leases. */
  private static final long MAX_SWEEP_MS = 30_000;

  private static final DeliveryOptions LOCAL_ONLY = new DeliveryOptions().setLocalOnly(true);

  private final Vertx vertx;
  private final RunningCrawl crawl;
  private final LeaseReaper reaper;

  private CrawlNode(Vertx vertx, RunningCrawl crawl, LeaseReaper reaper) {
    this.vertx = vertx;
    this.crawl = crawl;
    this.reaper = reaper;
  }

  /**
   * Joins the cluster and deploys the crawl's verticles. Blocking work (Hazelcast start-up, opening
   * the results file) happens here, on the caller's thread, never on an event loop.
   *
   * @param resultsFile where the results are appended
   */
  public static Future<CrawlNode> start(
      ClusterSettings cluster, CrawlConfig config, FetchConfig fetch, Path resultsFile) {
    HazelcastClusterManager manager = new HazelcastClusterManager(cluster.toHazelcastConfig());
    String host = cluster.bindInterface() == null ? "127.0.0.1" : cluster.bindInterface();
    VertxOptions options =
        new VertxOptions()
            .setEventLoopPoolSize(Math.max(fetch.workers(), 1))
            .setAddressResolverOptions(DnsCache.resolverOptions(fetch.pool()))
            .setEventBusOptions(new EventBusOptions().setHost(host).setPort(0));
    JsonlResultSink sink = new JsonlResultSink(resultsFile);
    return Vertx.builder()
        .with(options)
        .withClusterManager(manager)
        .buildClustered()
        .compose(
            vertx -> {
              ModelCodec.registerAll(vertx);
              HazelcastInstance hazelcast = manager.getHazelcastInstance();
              // Opening a distributed map may wait on the cluster: not on an event loop.
              return vertx
                  .executeBlocking(() -> new FrontierStore(hazelcast, config.name()), false)
                  .compose(frontier -> deploy(vertx, hazelcast, frontier, config, fetch, sink))
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
      JsonlResultSink sink) {
    CrawlStats stats = new CrawlStats();
    UrlIntake intake =
        new UrlIntake(
            config,
            new CrawlScope(config),
            frontier,
            stats,
            new SeenCache(SEEN_CACHE_CAPACITY),
            key -> vertx.eventBus().publish(Addresses.KEY_READY, key, LOCAL_ONLY));
    RunningCrawl crawl =
        new RunningCrawl(
            config,
            fetch,
            frontier,
            intake,
            sink,
            stats,
            new PoolMetrics(new SimpleMeterRegistry(), ORIGIN_TAGS));
    LeaseReaper reaper =
        new LeaseReaper(
            hazelcast,
            frontier,
            vertx,
            Math.min(crawl.leaseMs() / 4, MAX_SWEEP_MS),
            keys -> keys.forEach(k -> vertx.eventBus().publish(Addresses.KEY_READY, k, LOCAL_ONLY)),
            System::currentTimeMillis);
    List<Future<String>> deployments = new ArrayList<>();
    for (int i = 0; i < fetch.workers(); i++) {
      deployments.add(vertx.deployVerticle(new FetchWorkerVerticle(crawl, i, fetch.workers())));
    }
    deployments.add(vertx.deployVerticle(new IntakeVerticle(crawl)));
    return Future.all(deployments).map(done -> new CrawlNode(vertx, crawl, reaper));
  }

  /** Returns the node's Vert.x instance. */
  public Vertx vertx() {
    return vertx;
  }

  /** Returns the crawl the node runs. */
  public RunningCrawl crawl() {
    return crawl;
  }

  /**
   * Undeploys the verticles (closing their connections), leaves the cluster and closes the results.
   */
  public Future<Void> stop() {
    reaper.close();
    return vertx.close().andThen(done -> crawl.sink().close());
  }
}
