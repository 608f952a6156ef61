package io.fleetcrawl.config;

import static io.fleetcrawl.model.InvalidInputException.requireSetting;

import java.util.Objects;

/**
 * How a node's fetch workers use the network. Immutable; validated at start-up.
 *
 * @param workers fetch worker verticles on the node, each with its own event loop and HTTP client
 * @param workerMaxInFlight most URLs one worker fetches at once (robots.txt check and request); up
 *     to four times as many more may wait for their results to be written and acknowledged
 * @param perHostConcurrency most URLs in flight to one politeness key (host) at once
 * @param totalTimeoutMs deadline for a whole fetch, from asking for a connection to the last byte
 * @param maxBodyBytes decoded body bytes kept per page; the rest is discarded and the page marked
 *     truncated
 * @param maxCrawlDelayMs longest robots.txt crawl-delay honoured as given; longer ones are capped
 * @param pool how each worker pools its connections
 * @param bodyMemoryBytes most bytes of response bodies the node holds at once, over all its pages
 *     in flight and waiting to be written; 0 for a quarter of the heap
 */
public record FetchConfig(
    int workers,
    int workerMaxInFlight,
    int perHostConcurrency,
    int totalTimeoutMs,
    int maxBodyBytes,
    long maxCrawlDelayMs,
    PoolConfig pool,
    long bodyMemoryBytes) {

  public static final int DEFAULT_WORKER_MAX_IN_FLIGHT = 256;
  public static final int DEFAULT_PER_HOST_CONCURRENCY = 8;
  public static final int DEFAULT_TOTAL_TIMEOUT_MS = 60_000;
  public static final int DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024;
  public static final long DEFAULT_MAX_CRAWL_DELAY_MS = 30_000;

  public FetchConfig {
    Objects.requireNonNull(pool, "pool");
    requireSetting(workers >= 1 && workers <= 256, "workers", "must be 1..256, was " + workers);
    requireSetting(
        workerMaxInFlight >= 1, "worker-max-in-flight", "must be >= 1, was " + workerMaxInFlight);
    requireSetting(
        perHostConcurrency >= 1, "per-host-concurrency", "must be >= 1, was " + perHostConcurrency);
    requireSetting(
        totalTimeoutMs >= pool.connectTimeoutMs(),
        "total-timeout-ms",
        "must be >= the connect timeout (" + pool.connectTimeoutMs() + "), was " + totalTimeoutMs);
    requireSetting(maxBodyBytes >= 1024, "max-body-bytes", "must be >= 1024, was " + maxBodyBytes);
    requireSetting(
        maxCrawlDelayMs >= 0, "max-crawl-delay-ms", "must be >= 0, was " + maxCrawlDelayMs);
    requireSetting(
        bodyMemoryBytes == 0 || bodyMemoryBytes >= 2L * maxBodyBytes,
        "body-memory-mb",
        "must be 0 (a quarter of the heap) or hold two pages at the body cap ("
            + (2L * maxBodyBytes >> 20)
            + " MiB), was "
            + (bodyMemoryBytes >> 20)
            + " MiB");
  }

  /** The node's budget for bodies held in memory, in bytes. */
  public long bodyMemoryLimit(long maxHeap) {
    return bodyMemoryBytes > 0 ? bodyMemoryBytes : Math.max(16L << 20, maxHeap / 4);
  }

  /** Returns the defaults with one worker per available core. */
  public static FetchConfig defaults() {
    return new FetchConfig(
        Runtime.getRuntime().availableProcessors(),
        DEFAULT_WORKER_MAX_IN_FLIGHT,
        DEFAULT_PER_HOST_CONCURRENCY,
        DEFAULT_TOTAL_TIMEOUT_MS,
        DEFAULT_MAX_BODY_BYTES,
        DEFAULT_MAX_CRAWL_DELAY_MS,
        PoolConfig.defaults(),
        0);
  }
}
