package io.fleetcrawl.fetch;

import io.fleetcrawl.bus.Addresses;
import io.fleetcrawl.crawl.RunningCrawl;
import io.fleetcrawl.pool.ClientPool;
import io.fleetcrawl.session.SiteSessions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

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
            new SiteSessions(crawl.config().requests()));
    worker = new CrawlWorker(vertx, context, crawl, fetcher);
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

  @Override
  public Future<?> stop() {
    return pool == null ? Future.succeededFuture() : pool.close();
  }
}
