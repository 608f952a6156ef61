package io.fleetcrawl.cli;

import io.fleetcrawl.config.PoolConfig;
import io.fleetcrawl.config.ProxyEndpoint;
import io.fleetcrawl.config.ProxySelection;
import io.fleetcrawl.model.InvalidInputException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** The connection-pool flags, shared by every command that fetches; defaults as documented. */
public final class PoolFlags {
  @Option(
      names = "--no-keep-alive",
      description = "One request per connection (to measure what pooling saves).")
  boolean noKeepAlive;

  @Option(
      names = {"--http1-max-per-origin", "--max-connections"},
      description = "HTTP/1.1 connections per origin per worker (default: ${DEFAULT-VALUE}).")
  int http1MaxPerOrigin;

  @Option(
      names = "--http2-max-per-origin",
      description = "HTTP/2 connections per origin per worker (default: ${DEFAULT-VALUE}).")
  int http2MaxPerOrigin;

  @Option(
      names = "--max-wait-queue",
      description = "Requests waiting for a connection per worker (default: ${DEFAULT-VALUE}).")
  int maxWaitQueue;

  @Option(
      names = {"--idle-expiry-seconds", "--keep-alive-seconds"},
      description =
          "Close connections idle this long; keep below servers' timeouts (default: ${DEFAULT-VALUE}).")
  int idleExpirySeconds;

  @Option(
      names = "--max-idle-connections",
      description =
          "Idle connections kept per worker over all hosts; the least recently used closes"
              + " beyond it (default: ${DEFAULT-VALUE}).")
  int maxIdleConnections;

  @Option(
      names = "--max-lifetime-seconds",
      description = "Retire connections this old; 0 = no limit (default: ${DEFAULT-VALUE}).")
  int maxLifetimeSeconds;

  @Option(
      names = "--max-requests-per-connection",
      description = "Retire connections after N requests; 0 = no cap (default: ${DEFAULT-VALUE}).")
  int maxRequestsPerConnection;

  @Option(
      names = {"--http1-only", "--http1"},
      description = "Do not negotiate HTTP/2.")
  boolean http1Only;

  @Option(names = "--h2c", description = "HTTP/2 with prior knowledge on http:// origins.")
  boolean h2c;

  @Option(
      names = "--http2-multiplexing-limit",
      description =
          "Streams per HTTP/2 connection; -1 = the server's SETTINGS (default: ${DEFAULT-VALUE}).")
  int http2MultiplexingLimit;

  @Option(
      names = "--connect-timeout-ms",
      description = "TCP connect timeout (default: ${DEFAULT-VALUE}).")
  int connectTimeoutMs;

  @Option(
      names = "--tls-handshake-timeout-ms",
      description = "TLS handshake timeout (default: ${DEFAULT-VALUE}).")
  int tlsHandshakeTimeoutMs;

  @Option(
      names = "--first-byte-timeout-ms",
      description = "Longest wait for response headers (default: ${DEFAULT-VALUE}).")
  int firstByteTimeoutMs;

  @Option(
      names = "--idle-read-timeout-ms",
      description = "Longest silence in a response (default: ${DEFAULT-VALUE}).")
  int idleReadTimeoutMs;

  @Option(
      names = "--dns-ttl-seconds",
      description = "Longest a DNS answer is cached (default: ${DEFAULT-VALUE}).")
  int dnsTtlSeconds;

  @Option(
      names = "--dns-server",
      paramLabel = "IP:PORT",
      description = "A DNS server to ask instead of the system's (repeatable).")
  List<String> dnsServers = new ArrayList<>();

  @Option(
      names = "--dns-negative-ttl-seconds",
      description = "How long a failed DNS look-up is cached (default: ${DEFAULT-VALUE}).")
  int dnsNegativeTtlSeconds;

  @Option(
      names = "--no-stale-retry",
      description = "Do not retry a GET whose reused connection broke before any response.")
  boolean noStaleRetry;

  @Option(names = "--tls-trust-pem", description = "PEM file of extra trusted certificates.")
  Path tlsTrustPem;

  @Option(
      names = "--insecure-tls",
      description = "Do not verify TLS certificates (prints a warning).")
  boolean insecureTls;

  @Option(
      names = "--proxy",
      paramLabel = "URL",
      description = "Proxy gateway, http://[user:pass@]host:port or socks5://...; repeatable.")
  List<String> proxies = new ArrayList<>();

  @Option(
      names = "--proxy-selection",
      description = "round_robin, sticky (per host) or random (default: ${DEFAULT-VALUE}).")
  ProxySelection proxySelection;

  @Option(
      names = "--proxy-max-failures",
      description = "Failures in a row that take a proxy out (default: ${DEFAULT-VALUE}).")
  int proxyMaxFailures;

  @Option(
      names = "--proxy-probe-after-seconds",
      description = "How long a failed proxy stays out before a probe (default: ${DEFAULT-VALUE}).")
  int proxyProbeAfterSeconds;

  /** Returns the pool settings; an invalid value throws naming its flag. */
  public PoolConfig poolConfig() {
    if (tlsTrustPem != null && !tlsTrustPem.toFile().canRead()) {
      throw new InvalidInputException("invalid --tls-trust-pem: cannot read " + tlsTrustPem);
    }
    return new PoolConfig.Builder()
        .keepAlive(!noKeepAlive)
        .http1MaxPerOrigin(http1MaxPerOrigin)
        .http2MaxPerOrigin(http2MaxPerOrigin)
        .maxWaitQueue(maxWaitQueue)
        .idleExpirySeconds(idleExpirySeconds)
        .maxIdleConnections(maxIdleConnections)
        .maxLifetimeSeconds(maxLifetimeSeconds)
        .maxRequestsPerConnection(maxRequestsPerConnection)
        .http2(!http1Only)
        .h2cPriorKnowledge(h2c)
        .http2MultiplexingLimit(http2MultiplexingLimit)
        .connectTimeoutMs(connectTimeoutMs)
        .tlsHandshakeTimeoutMs(tlsHandshakeTimeoutMs)
        .firstByteTimeoutMs(firstByteTimeoutMs)
        .idleReadTimeoutMs(idleReadTimeoutMs)
        .dnsTtlSeconds(dnsTtlSeconds)
        .dnsNegativeTtlSeconds(dnsNegativeTtlSeconds)
        .dnsServers(dnsServers)
        .retryStaleConnections(!noStaleRetry)
        .tlsTrustPem(tlsTrustPem)
        .insecureTls(insecureTls)
        .proxies(proxies.stream().map(ProxyEndpoint::parse).toList())
        .proxySelection(proxySelection)
        .proxyMaxFailures(proxyMaxFailures)
        .proxyProbeAfterSeconds(proxyProbeAfterSeconds)
        .build();
  }
}
