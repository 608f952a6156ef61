package io.fleetcrawl.config;

import java.nio.file.Path;

/**
 * How a node's fetch workers use the network. Immutable; validated at start-up.
 *
 * @param workers fetch worker verticles on the node, each with its own event loop and HTTP client
 * @param workerMaxInFlight most requests one worker has outstanding at once
 * @param perHostConcurrency most requests in flight to one politeness key (host) at once
 * @param http1MaxPerOrigin HTTP/1.1 connections one worker keeps per origin
 * @param http2MaxPerOrigin HTTP/2 connections one worker keeps per origin
 * @param keepAliveSeconds idle time after which a pooled connection is closed; kept below servers'
 *     idle timeouts so we never write to a socket the server is closing
 * @param connectTimeoutMs TCP connect timeout
 * @param idleReadTimeoutMs longest silence while waiting for or reading a response
 * @param totalTimeoutMs deadline for a whole fetch, from sending to the last body byte
 * @param maxBodyBytes decoded body bytes kept per page; the rest is discarded and the page marked
 *     truncated
 * @param maxCrawlDelayMs longest robots.txt crawl-delay honoured as given; longer ones are capped
 * @param tlsTrustPem extra trusted certificates (PEM), or null for the JDK's trust store only
 * @param insecureTls whether TLS certificates go unverified
 */
public record FetchConfig(
    int workers,
    int workerMaxInFlight,
    int perHostConcurrency,
    int http1MaxPerOrigin,
    int http2MaxPerOrigin,
    int keepAliveSeconds,
    int connectTimeoutMs,
    int idleReadTimeoutMs,
    int totalTimeoutMs,
    int maxBodyBytes,
    long maxCrawlDelayMs,
    Path tlsTrustPem,
    boolean insecureTls) {

  public static final int DEFAULT_WORKER_MAX_IN_FLIGHT = 256;
  public static final int DEFAULT_PER_HOST_CONCURRENCY = 8;
  public static final int DEFAULT_HTTP1_MAX_PER_ORIGIN = 8;
  public static final int DEFAULT_HTTP2_MAX_PER_ORIGIN = 1;
  public static final int DEFAULT_KEEP_ALIVE_SECONDS = 30;
  public static final int DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
  public static final int DEFAULT_IDLE_READ_TIMEOUT_MS = 30_000;
  public static final int DEFAULT_TOTAL_TIMEOUT_MS = 60_000;
  public static final int DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024;
  public static final long DEFAULT_MAX_CRAWL_DELAY_MS = 30_000;

  public FetchConfig {
    Settings.require(workers >= 1 && workers <= 256, "workers", "must be 1..256, was " + workers);
    Settings.require(
        workerMaxInFlight >= 1, "worker-max-in-flight", "must be >= 1, was " + workerMaxInFlight);
    Settings.require(
        perHostConcurrency >= 1, "per-host-concurrency", "must be >= 1, was " + perHostConcurrency);
    Settings.require(
        http1MaxPerOrigin >= 1, "http1-max-per-origin", "must be >= 1, was " + http1MaxPerOrigin);
    Settings.require(
        http2MaxPerOrigin >= 1, "http2-max-per-origin", "must be >= 1, was " + http2MaxPerOrigin);
    Settings.require(
        keepAliveSeconds >= 1, "keep-alive-seconds", "must be >= 1, was " + keepAliveSeconds);
    Settings.require(
        connectTimeoutMs >= 1, "connect-timeout-ms", "must be >= 1, was " + connectTimeoutMs);
    Settings.require(
        idleReadTimeoutMs >= 1, "idle-read-timeout-ms", "must be >= 1, was " + idleReadTimeoutMs);
    Settings.require(
        totalTimeoutMs >= connectTimeoutMs,
        "total-timeout-ms",
        "must be >= the connect timeout (" + connectTimeoutMs + "), was " + totalTimeoutMs);
    Settings.require(
        maxBodyBytes >= 1024, "max-body-bytes", "must be >= 1024, was " + maxBodyBytes);
    Settings.require(
        maxCrawlDelayMs >= 0, "max-crawl-delay-ms", "must be >= 0, was " + maxCrawlDelayMs);
  }

  /** Returns the defaults with one worker per available core. */
  public static FetchConfig defaults() {
    return new FetchConfig(
        Runtime.getRuntime().availableProcessors(),
        DEFAULT_WORKER_MAX_IN_FLIGHT,
        DEFAULT_PER_HOST_CONCURRENCY,
        DEFAULT_HTTP1_MAX_PER_ORIGIN,
        DEFAULT_HTTP2_MAX_PER_ORIGIN,
        DEFAULT_KEEP_ALIVE_SECONDS,
        DEFAULT_CONNECT_TIMEOUT_MS,
        DEFAULT_IDLE_READ_TIMEOUT_MS,
        DEFAULT_TOTAL_TIMEOUT_MS,
        DEFAULT_MAX_BODY_BYTES,
        DEFAULT_MAX_CRAWL_DELAY_MS,
        null,
        false);
  }
}
