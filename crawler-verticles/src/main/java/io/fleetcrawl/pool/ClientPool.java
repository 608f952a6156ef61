package io.fleetcrawl.pool;

import io.fleetcrawl.config.FetchConfig;
import io.fleetcrawl.metrics.CrawlStats;
import io.fleetcrawl.scope.NetworkGuard;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.net.SocketAddress;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One fetch worker's connections: a keep-alive HTTP/1.1 client for http URLs and an HTTP/2 client
 * (ALPN, falling back to HTTP/1.1) for https URLs, each pooling per origin, so a host's whole
 * concurrency rides one HTTP/2 connection or a few kept-alive HTTP/1.1 ones. Both refuse, at
 * connect time, addresses on internal networks unless those are allowed.
 */
public final class ClientPool {
  private static final Logger LOG = LoggerFactory.getLogger(ClientPool.class);

  private final HttpClientAgent plain;
  private final HttpClientAgent tls;
  private final Set<String> refusedHosts = ConcurrentHashMap.newKeySet();

  private ClientPool(HttpClientAgent plain, HttpClientAgent tls) {
    this.plain = plain;
    this.tls = tls;
  }

  /** Creates the clients; call on the worker's event loop so their connections live there. */
  public static ClientPool create(
      Vertx vertx, FetchConfig config, CrawlStats stats, boolean allowPrivateNetworks) {
    ClientPool[] self = new ClientPool[1];
    var pool =
        new PoolOptions()
            .setHttp1MaxSize(config.http1MaxPerOrigin())
            .setHttp2MaxSize(config.http2MaxPerOrigin())
            .setMaxWaitQueueSize(config.workerMaxInFlight());
    HttpClientOptions plainOptions = common(config).setProtocolVersion(HttpVersion.HTTP_1_1);
    HttpClientOptions tlsOptions =
        common(config)
            .setSsl(true)
            .setUseAlpn(true)
            .setProtocolVersion(HttpVersion.HTTP_2)
            .setAlpnVersions(List.of(HttpVersion.HTTP_2, HttpVersion.HTTP_1_1))
            .setTrustAll(config.insecureTls())
            .setVerifyHost(!config.insecureTls());
    if (config.tlsTrustPem() != null && !config.insecureTls()) {
      tlsOptions.setTrustOptions(TrustStores.jdkDefaultsPlus(config.tlsTrustPem()));
    }
    HttpClientAgent plain =
        vertx
            .httpClientBuilder()
            .with(plainOptions)
            .with(pool)
            .withConnectHandler(c -> self[0].onConnect(c, stats, allowPrivateNetworks))
            .build();
    HttpClientAgent tls =
        vertx
            .httpClientBuilder()
            .with(tlsOptions)
            .with(pool)
            .withConnectHandler(c -> self[0].onConnect(c, stats, allowPrivateNetworks))
            .build();
    self[0] = new ClientPool(plain, tls);
    return self[0];
  }

  private static HttpClientOptions common(FetchConfig config) {
    return new HttpClientOptions()
        .setKeepAlive(true)
        .setKeepAliveTimeout(config.keepAliveSeconds())
        .setHttp2KeepAliveTimeout(config.keepAliveSeconds())
        .setConnectTimeout(config.connectTimeoutMs())
        .setSslHandshakeTimeout(config.connectTimeoutMs())
        .setSslHandshakeTimeoutUnit(java.util.concurrent.TimeUnit.MILLISECONDS)
        .setDecompressionSupported(true)
        .setTcpNoDelay(true)
        .setMaxRedirects(0);
  }

  /** Returns the client for a URL scheme. */
  public HttpClientAgent client(boolean https) {
    return https ? tls : plain;
  }

  /**
   * Returns whether a connection to this host was refused because it resolved to an internal
   * address, so the fetch can report that instead of a bare "connection closed".
   */
  public boolean wasRefusedAsInternal(String host) {
    return refusedHosts.contains(host);
  }

  /** Closes both clients and their connections. */
  public Future<Void> close() {
    return Future.join(plain.close(), tls.close()).mapEmpty();
  }

  private void onConnect(HttpConnection connection, CrawlStats stats, boolean allowPrivate) {
    SocketAddress remote = connection.remoteAddress();
    if (!allowPrivate && isInternal(remote)) {
      String host = connection.remoteAddress(true).hostName();
      refusedHosts.add(host == null ? remote.hostAddress() : host);
      LOG.warn("refused connection to {}: it is on an internal network", remote);
      connection.close();
      return;
    }
    stats.openConnections.incrementAndGet();
    stats.connectionsOpened.increment();
    connection.closeHandler(v -> stats.openConnections.decrementAndGet());
  }

  private static boolean isInternal(SocketAddress address) {
    String ip = address.hostAddress();
    if (ip == null) {
      return false;
    }
    try {
      return NetworkGuard.isInternal(InetAddress.getByName(ip));
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
