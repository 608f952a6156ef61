package io.fleetcrawl.config;

import static io.fleetcrawl.model.InvalidInputException.requireSetting;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * How one fetch worker pools its connections. Immutable; every value is checked at start-up and a
 * bad one is rejected naming its flag.
 *
 * @param keepAlive reuse connections at all; off only to measure what pooling saves
 * @param http1MaxPerOrigin HTTP/1.1 connections per origin (default 8)
 * @param http2MaxPerOrigin HTTP/2 connections per origin (default 1: one multiplexed connection
 *     carries a host's whole concurrency)
 * @param maxWaitQueue requests waiting for a connection per worker before the pool refuses more; a
 *     full queue is backpressure, reported, not an error storm
 * @param idleExpirySeconds close a connection idle this long; keep it below servers' idle timeouts
 *     (30 s default; a server's {@code Keep-Alive: timeout=N} lowers it to N-1 for that connection)
 * @param maxIdleConnections idle connections one worker keeps open, over all origins; beyond it the
 *     least recently used is closed, so a crawl of many hosts does not hold a socket to each one it
 *     finished with until the idle expiry (default 1,024)
 * @param maxLifetimeSeconds retire a connection this old at its next request; 0 for no limit
 * @param maxRequestsPerConnection retire a connection after this many requests; 0 for no cap
 *     (rotating proxy gateways need one)
 * @param http2 negotiate h2 via ALPN on https, falling back to HTTP/1.1
 * @param h2cPriorKnowledge speak HTTP/2 without TLS to http origins (only for servers known to)
 * @param http2MultiplexingLimit most concurrent streams per HTTP/2 connection; -1 for the server's
 *     SETTINGS
 * @param connectTimeoutMs TCP connect timeout
 * @param tlsHandshakeTimeoutMs TLS handshake timeout
 * @param firstByteTimeoutMs longest wait from sending a request to its response headers
 * @param idleReadTimeoutMs longest silence while reading a response
 * @param dnsTtlSeconds longest time a DNS answer is cached
 * @param dnsNegativeTtlSeconds how long a failed look-up is cached
 * @param dnsServers {@code host:port} of the DNS servers to ask; empty for the system's
 * @param retryStaleConnections retry a GET once when a reused connection fails before any response
 *     byte (the server closed it while idle)
 * @param tlsTrustPem extra trusted certificates (PEM), or null for the JDK's trust store only
 * @param insecureTls skip certificate verification
 * @param proxies proxy gateways every request goes through; empty for direct connections
 * @param proxySelection how a proxy is picked per request
 * @param proxyMaxFailures failures in a row after which a proxy is taken out of service
 * @param proxyProbeAfterSeconds how long an ejected proxy stays out before one probe request
 */
public record PoolConfig(
    boolean keepAlive,
    int http1MaxPerOrigin,
    int http2MaxPerOrigin,
    int maxWaitQueue,
    int idleExpirySeconds,
    int maxIdleConnections,
    int maxLifetimeSeconds,
    int maxRequestsPerConnection,
    boolean http2,
    boolean h2cPriorKnowledge,
    int http2MultiplexingLimit,
    int connectTimeoutMs,
    int tlsHandshakeTimeoutMs,
    int firstByteTimeoutMs,
    int idleReadTimeoutMs,
    int dnsTtlSeconds,
    int dnsNegativeTtlSeconds,
    List<String> dnsServers,
    boolean retryStaleConnections,
    Path tlsTrustPem,
    boolean insecureTls,
    List<ProxyEndpoint> proxies,
    ProxySelection proxySelection,
    int proxyMaxFailures,
    int proxyProbeAfterSeconds) {

  public static final int DEFAULT_HTTP1_MAX_PER_ORIGIN = 8;
  public static final int DEFAULT_HTTP2_MAX_PER_ORIGIN = 1;
  public static final int DEFAULT_MAX_WAIT_QUEUE = 1_024;
  public static final int DEFAULT_IDLE_EXPIRY_SECONDS = 30;
  public static final int DEFAULT_MAX_IDLE_CONNECTIONS = 1_024;
  public static final int DEFAULT_MAX_LIFETIME_SECONDS = 600;
  public static final int DEFAULT_MAX_REQUESTS_PER_CONNECTION = 0;
  public static final int DEFAULT_HTTP2_MULTIPLEXING_LIMIT = -1;
  public static final int DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
  public static final int DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS = 10_000;
  public static final int DEFAULT_FIRST_BYTE_TIMEOUT_MS = 30_000;
  public static final int DEFAULT_IDLE_READ_TIMEOUT_MS = 30_000;
  public static final int DEFAULT_DNS_TTL_SECONDS = 300;
  public static final int DEFAULT_DNS_NEGATIVE_TTL_SECONDS = 10;
  public static final int DEFAULT_PROXY_MAX_FAILURES = 3;
  public static final int DEFAULT_PROXY_PROBE_AFTER_SECONDS = 30;

  public PoolConfig {
    proxies = List.copyOf(proxies);
    Objects.requireNonNull(proxySelection, "proxySelection");
    positive(proxyMaxFailures, "proxy-max-failures");
    positive(proxyProbeAfterSeconds, "proxy-probe-after-seconds");
    positive(http1MaxPerOrigin, "http1-max-per-origin");
    positive(http2MaxPerOrigin, "http2-max-per-origin");
    positive(maxWaitQueue, "max-wait-queue");
    positive(idleExpirySeconds, "idle-expiry-seconds");
    positive(maxIdleConnections, "max-idle-connections");
    notNegative(maxLifetimeSeconds, "max-lifetime-seconds");
    notNegative(maxRequestsPerConnection, "max-requests-per-connection");
    requireSetting(
        http2MultiplexingLimit == -1 || http2MultiplexingLimit >= 1,
        "http2-multiplexing-limit",
        "must be -1 (the server's) or >= 1, was " + http2MultiplexingLimit);
    positive(connectTimeoutMs, "connect-timeout-ms");
    positive(tlsHandshakeTimeoutMs, "tls-handshake-timeout-ms");
    positive(firstByteTimeoutMs, "first-byte-timeout-ms");
    positive(idleReadTimeoutMs, "idle-read-timeout-ms");
    notNegative(dnsTtlSeconds, "dns-ttl-seconds");
    notNegative(dnsNegativeTtlSeconds, "dns-negative-ttl-seconds");
    dnsServers = List.copyOf(dnsServers);
    for (String server : dnsServers) {
      requireSetting(
          server.matches("[0-9.]+:[0-9]{1,5}|\\[[0-9a-fA-F:]+\\]:[0-9]{1,5}"),
          "dns-server",
          "'" + server + "' is not IP:PORT");
    }
    requireSetting(
        !(h2cPriorKnowledge && !http2), "h2c", "needs HTTP/2, which --http1-only turns off");
  }

  private static void positive(int value, String flag) {
    requireSetting(value >= 1, flag, "must be >= 1, was " + value);
  }

  private static void notNegative(int value, String flag) {
    requireSetting(value >= 0, flag, "must be >= 0, was " + value);
  }

  /** Returns the documented defaults. */
  public static PoolConfig defaults() {
    return new Builder().build();
  }

  /** Returns a copy trusting the certificates of a PEM file besides the JDK's. */
  public PoolConfig withTlsTrustPem(Path pem) {
    return new Builder(this).tlsTrustPem(pem).build();
  }

  /** Builds a {@link PoolConfig} from the defaults; {@link #build()} validates. */
  public static final class Builder {
    private boolean keepAlive = true;
    private int http1MaxPerOrigin = DEFAULT_HTTP1_MAX_PER_ORIGIN;
    private int http2MaxPerOrigin = DEFAULT_HTTP2_MAX_PER_ORIGIN;
    private int maxWaitQueue = DEFAULT_MAX_WAIT_QUEUE;
    private int idleExpirySeconds = DEFAULT_IDLE_EXPIRY_SECONDS;
    private int maxIdleConnections = DEFAULT_MAX_IDLE_CONNECTIONS;
    private int maxLifetimeSeconds = DEFAULT_MAX_LIFETIME_SECONDS;
    private int maxRequestsPerConnection = DEFAULT_MAX_REQUESTS_PER_CONNECTION;
    private boolean http2 = true;
    private boolean h2cPriorKnowledge;
    private int http2MultiplexingLimit = DEFAULT_HTTP2_MULTIPLEXING_LIMIT;
    private int connectTimeoutMs = DEFAULT_CONNECT_TIMEOUT_MS;
    private int tlsHandshakeTimeoutMs = DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS;
    private int firstByteTimeoutMs = DEFAULT_FIRST_BYTE_TIMEOUT_MS;
    private int idleReadTimeoutMs = DEFAULT_IDLE_READ_TIMEOUT_MS;
    private int dnsTtlSeconds = DEFAULT_DNS_TTL_SECONDS;
    private int dnsNegativeTtlSeconds = DEFAULT_DNS_NEGATIVE_TTL_SECONDS;
    private List<String> dnsServers = List.of();
    private boolean retryStaleConnections = true;
    private Path tlsTrustPem;
    private boolean insecureTls;
    private List<ProxyEndpoint> proxies = List.of();
    private ProxySelection proxySelection = ProxySelection.ROUND_ROBIN;
    private int proxyMaxFailures = DEFAULT_PROXY_MAX_FAILURES;
    private int proxyProbeAfterSeconds = DEFAULT_PROXY_PROBE_AFTER_SECONDS;

    public Builder() {}

    public Builder(PoolConfig c) {
      keepAlive = c.keepAlive;
      http1MaxPerOrigin = c.http1MaxPerOrigin;
      http2MaxPerOrigin = c.http2MaxPerOrigin;
      maxWaitQueue = c.maxWaitQueue;
      idleExpirySeconds = c.idleExpirySeconds;
      maxIdleConnections = c.maxIdleConnections;
      maxLifetimeSeconds = c.maxLifetimeSeconds;
      maxRequestsPerConnection = c.maxRequestsPerConnection;
      http2 = c.http2;
      h2cPriorKnowledge = c.h2cPriorKnowledge;
      http2MultiplexingLimit = c.http2MultiplexingLimit;
      connectTimeoutMs = c.connectTimeoutMs;
      tlsHandshakeTimeoutMs = c.tlsHandshakeTimeoutMs;
      firstByteTimeoutMs = c.firstByteTimeoutMs;
      idleReadTimeoutMs = c.idleReadTimeoutMs;
      dnsTtlSeconds = c.dnsTtlSeconds;
      dnsNegativeTtlSeconds = c.dnsNegativeTtlSeconds;
      dnsServers = c.dnsServers;
      retryStaleConnections = c.retryStaleConnections;
      tlsTrustPem = c.tlsTrustPem;
      insecureTls = c.insecureTls;
      proxies = c.proxies;
      proxySelection = c.proxySelection;
      proxyMaxFailures = c.proxyMaxFailures;
      proxyProbeAfterSeconds = c.proxyProbeAfterSeconds;
    }

    public Builder keepAlive(boolean v) {
      keepAlive = v;
      return this;
    }

    public Builder http1MaxPerOrigin(int v) {
      http1MaxPerOrigin = v;
      return this;
    }

    public Builder http2MaxPerOrigin(int v) {
      http2MaxPerOrigin = v;
      return this;
    }

    public Builder maxWaitQueue(int v) {
      maxWaitQueue = v;
      return this;
    }

    public Builder idleExpirySeconds(int v) {
      idleExpirySeconds = v;
      return this;
    }

    public Builder maxIdleConnections(int v) {
      maxIdleConnections = v;
      return this;
    }

    public Builder maxLifetimeSeconds(int v) {
      maxLifetimeSeconds = v;
      return this;
    }

    public Builder maxRequestsPerConnection(int v) {
      maxRequestsPerConnection = v;
      return this;
    }

    public Builder http2(boolean v) {
      http2 = v;
      return this;
    }

    public Builder h2cPriorKnowledge(boolean v) {
      h2cPriorKnowledge = v;
      return this;
    }

    public Builder http2MultiplexingLimit(int v) {
      http2MultiplexingLimit = v;
      return this;
    }

    public Builder connectTimeoutMs(int v) {
      connectTimeoutMs = v;
      return this;
    }

    public Builder tlsHandshakeTimeoutMs(int v) {
      tlsHandshakeTimeoutMs = v;
      return this;
    }

    public Builder firstByteTimeoutMs(int v) {
      firstByteTimeoutMs = v;
      return this;
    }

    public Builder idleReadTimeoutMs(int v) {
      idleReadTimeoutMs = v;
      return this;
    }

    public Builder dnsTtlSeconds(int v) {
      dnsTtlSeconds = v;
      return this;
    }

    public Builder dnsServers(List<String> v) {
      dnsServers = v;
      return this;
    }

    public Builder dnsNegativeTtlSeconds(int v) {
      dnsNegativeTtlSeconds = v;
      return this;
    }

    public Builder retryStaleConnections(boolean v) {
      retryStaleConnections = v;
      return this;
    }

    public Builder tlsTrustPem(Path v) {
      tlsTrustPem = v;
      return this;
    }

    public Builder insecureTls(boolean v) {
      insecureTls = v;
      return this;
    }

    public Builder proxies(List<ProxyEndpoint> v) {
      proxies = v;
      return this;
    }

    public Builder proxySelection(ProxySelection v) {
      proxySelection = v;
      return this;
    }

    public Builder proxyMaxFailures(int v) {
      proxyMaxFailures = v;
      return this;
    }

    public Builder proxyProbeAfterSeconds(int v) {
      proxyProbeAfterSeconds = v;
      return this;
    }

    /** Returns the configuration, rejecting a bad value naming its flag. */
    public PoolConfig build() {
      return new PoolConfig(
          keepAlive,
          http1MaxPerOrigin,
          http2MaxPerOrigin,
          maxWaitQueue,
          idleExpirySeconds,
          maxIdleConnections,
          maxLifetimeSeconds,
          maxRequestsPerConnection,
          http2,
          h2cPriorKnowledge,
          http2MultiplexingLimit,
          connectTimeoutMs,
          tlsHandshakeTimeoutMs,
          firstByteTimeoutMs,
          idleReadTimeoutMs,
          dnsTtlSeconds,
          dnsNegativeTtlSeconds,
          dnsServers,
          retryStaleConnections,
          tlsTrustPem,
          insecureTls,
          proxies,
          proxySelection,
          proxyMaxFailures,
          proxyProbeAfterSeconds);
    }
  }
}
