package io.fleetcrawl.worker;

import io.fleetcrawl.bus.Addresses;
import io.fleetcrawl.crawl.RunningCrawl;
import io.fleetcrawl.model.CrawlRequest;
import io.fleetcrawl.pool.BodyMemory;
import io.fleetcrawl.pool.ClientPool;
import io.fleetcrawl.pool.PageFetcher;
import io.fleetcrawl.robots.RobotsCache;
import io.fleetcrawl.session.SiteSessions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongSupplier;

/**
 * A fetch worker: one event loop, one {@link ClientPool}, and the politeness keys whose hash falls
 * to it, so that a host's requests always share one worker's connections.
 */
public final class FetchWorkerVerticle extends VerticleBase {
  private final RunningCrawl crawl;
  private final int index;
  private final int count;
  private ClientPool pool;
  private CrawlWorker worker;

  /**
   * @param index this worker's number, 0-based
   * @param count the node's worker count
   */
  public FetchWorkerVerticle(RunningCrawl crawl, int index, int count) {
    this.crawl = crawl;
    this.index = index;
    this.count = count;
  }

  /** Returns whether the worker {@code index} of {@code count} owns a politeness key. */
  public static boolean owns(String key, int index, int count) {
    return Math.floorMod(key.hashCode(), count) == index;
  }

  @Override
  public Future<?> start() {
    pool =
        ClientPool.create(
            vertx,
            crawl.fetch().pool(),
            crawl.poolMetrics(),
            crawl.config().name() + ".w" + index,
            crawl.config().network());
    PageFetcher fetcher =
        new PageFetcher(
            vertx,
            pool,
            crawl.fetch(),
            crawl.config().userAgent(),
            crawl.output().storesAll() ? null : crawl.output()::stores,
            new SiteSessions(crawl.config().requests()),
            // A quarter of the heap by default: the rest is for parsing (a large page costs many
            // times its size while it is read), the frontier's caches and the writers.
            BodyMemory.of(vertx, crawl.fetch().bodyMemoryLimit(Runtime.getRuntime().maxMemory())));
    worker = wire(fetcher);
    return vertx
        .eventBus()
        .<String>localConsumer(
            Addresses.keyReadyLocal(crawl.config().name()),
            message -> {
              if (owns(message.body(), index, count)) {
                worker.keyReady(message.body());
              }
            })
        .completion();
  }

  /**
   * Builds the worker from its parts: the claim scheduler decides, the page task works a lease, the
   * committer writes; each takes only what it uses of the crawl.
   */
  private CrawlWorker wire(PageFetcher fetcher) {
    LongSupplier clock = System::currentTimeMillis;
    ClaimScheduler scheduler =
        new ClaimScheduler(
            new ClaimScheduler.Limits(
                crawl.fetch().workerMaxInFlight(), crawl.fetch().perHostConcurrency()),
            () -> crawl.stopping().get(),
            crawl.mayClaim(),
            delta -> crawl.stats().leased.addAndGet(delta));
    CrawlWorker worker =
        new CrawlWorker(
            vertx,
            context,
            crawl.frontier(),
            crawl::keyLimit,
            crawl.leaseMs(),
            crawl.stats(),
            clock,
            scheduler);
    ResultCommitter committer =
        new ResultCommitter(
            vertx,
            crawl.sink(),
            crawl.stats(),
            clock,
            reason -> {
              crawl.stats().fatal(reason);
              crawl.stopping().set(true);
            },
            worker);
    RobotsCache robots =
        new RobotsCache(
            vertx, fetcher, crawl.config().robotsAgentName(), clock, committer::archive);
    if (crawl.config().follow().sitemaps()) {
      // A site's sitemaps are its own list of pages: fetched at depth 1, like the seed's links.
      robots.onSitemaps(
          (origin, urls) -> crawl.intake().admitSitemaps(context, urls, 1, CrawlRequest.SITEMAP));
    }
    PageTask task =
        new PageTask(
            vertx,
            context,
            crawl.config(),
            crawl.fetch(),
            crawl.output().maxOutlinks(),
            fetcher,
            robots,
            crawl.intake(),
            crawl.stats(),
            crawl.rates(),
            clock,
            () -> ThreadLocalRandom.current().nextDouble(),
            worker,
            crawl.controls());
    worker.attach(task, committer);
    return worker;
  }

  @Override
  public Future<?> stop() {
    return pool == null ? Future.succeededFuture() : pool.close();
  }
}
