package io.fleetcrawl.pool;

import io.fleetcrawl.config.PoolConfig;
import io.fleetcrawl.metrics.CloseReason;
import io.fleetcrawl.metrics.PoolMetrics;
import io.fleetcrawl.network.NetworkPolicy;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.Http2Settings;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.ext.web.client.impl.WebClientInternal;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One fetch worker's connections: an HTTP/1.1 keep-alive client for http URLs and an HTTP/2 client
 * (ALPN, falling back to HTTP/1.1) for https URLs. Vert.x pools per endpoint (host name, port,
 * TLS), so two virtual hosts behind one address never share a connection and the TLS session always
 * matches the name it was made for. A {@link ConnectionTracker} retires connections on idle expiry,
 * lifetime and request cap and attributes every close. Addresses on internal networks are refused
 * at connect time unless allowed.
 */
public final class ClientPool {
  private static final Logger LOG = LoggerFactory.getLogger(ClientPool.class);

  private static final int HTTP2_CONNECTION_WINDOW = 8 * 1024 * 1024;

  /** Hosts remembered as refused (an internal address at connect); a cache, so bounded. */
  private static final int MAX_REFUSED_HOSTS = 10_000;

  private static final int HTTP2_STREAM_WINDOW = 1024 * 1024;

  /** Proxy tag value of direct connections. */
  static final String DIRECT = "direct";

  private final NetworkPolicy network;
  private final TargetGuard guard;
  private final PoolConfig config;
  private final ConnectionTracker tracker;
  private final String worker;
  private final PoolMetrics metrics;
  private final Set<String> refusedHosts = ConcurrentHashMap.newKeySet();
  private final AtomicLong active = new AtomicLong();
  private final AtomicLong waiting = new AtomicLong();
  private final ProxyRouter router;
  private final WorkerResolver resolver;
  private HttpClientAgent plain;
  private HttpClientAgent tls;
  private WebClient webPlain;
  private WebClient webTls;

  private ClientPool(
      Vertx vertx,
      PoolConfig config,
      ConnectionTracker tracker,
      String worker,
      PoolMetrics metrics,
      NetworkPolicy network) {
    this.network = network;
    this.resolver = new WorkerResolver((VertxInternal) vertx);
    this.guard =
        new TargetGuard(network, resolver::resolve, System::nanoTime, config.dnsTtlSeconds());
    this.config = config;
    this.tracker = tracker;
    this.worker = worker;
    this.metrics = metrics;
    this.router =
        new ProxyRouter(
            config.proxies(),
            config.proxySelection(),
            config.proxyMaxFailures(),
            config.proxyProbeAfterSeconds() * 1000L,
            () -> System.nanoTime() / 1_000_000);
  }

  /**
   * Creates the clients; call on the worker's event loop so their connections live there.
   *
   * @param worker the worker's tag value in metrics, e.g. {@code w0}
   */
  public static ClientPool create(
      Vertx vertx,
      PoolConfig config,
      PoolMetrics metrics,
      String worker,
      boolean allowPrivateNetworks) {
    return create(
        vertx, config, metrics, worker, NetworkPolicy.of(allowPrivateNetworks, List.of()));
  }

  /** Creates a pool whose connections to targets the policy refuses are closed at connect. */
  public static ClientPool create(
      Vertx vertx, PoolConfig config, PoolMetrics metrics, String worker, NetworkPolicy network) {
    ClientPool pool =
        new ClientPool(
            vertx,
            config,
            new ConnectionTracker(vertx, config, metrics, worker),
            worker,
            metrics,
            network);
    metrics.registerWorker(worker, pool.active, pool.tracker.open, pool.tracker.idle, pool.waiting);
    var poolOptions =
        new PoolOptions()
            .setHttp1MaxSize(config.http1MaxPerOrigin())
            .setHttp2MaxSize(config.http2MaxPerOrigin())
            .setMaxWaitQueueSize(config.maxWaitQueue());
    boolean http2 = config.http2() && config.keepAlive();
    HttpClientOptions plainOptions = common(config);
    if (http2 && config.h2cPriorKnowledge()) {
      plainOptions.setProtocolVersion(HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false);
    } else {
      plainOptions.setProtocolVersion(HttpVersion.HTTP_1_1);
    }
    HttpClientOptions tlsOptions =
        common(config)
            .setSsl(true)
            .setUseAlpn(http2)
            .setProtocolVersion(http2 ? HttpVersion.HTTP_2 : HttpVersion.HTTP_1_1)
            .setTrustAll(config.insecureTls())
            .setVerifyHost(!config.insecureTls());
    if (http2) {
      tlsOptions.setAlpnVersions(List.of(HttpVersion.HTTP_2, HttpVersion.HTTP_1_1));
    }
    if (config.tlsTrustPem() != null && !config.insecureTls()) {
      tlsOptions.setTrustOptions(TrustStores.jdkDefaultsPlus(config.tlsTrustPem()));
    }
    pool.plain =
        vertx
            .httpClientBuilder()
            .with(plainOptions)
            .with(poolOptions)
            .withConnectHandler(c -> pool.onConnect(c, "http", network))
            .build();
    pool.tls =
        vertx
            .httpClientBuilder()
            .with(tlsOptions)
            .with(poolOptions)
            .withConnectHandler(c -> pool.onConnect(c, "https", network))
            .build();
    pool.webPlain = web(pool.plain);
    pool.webTls = web(pool.tls);
    return pool;
  }

  /**
   * Wraps a pooled client in a WebClient that keeps every pool, HTTP/2, proxy and telemetry
   * setting: it adds request building, sessions and credentials, never its own User-Agent or
   * redirects (the crawler admits a redirect's target as a new URL).
   */
  private static WebClient web(HttpClientAgent client) {
    WebClient web =
        WebClient.wrap(
            client, new WebClientOptions().setUserAgentEnabled(false).setFollowRedirects(false));
    ((WebClientInternal) web).addInterceptor(new ExchangeInterceptor());
    return web;
  }

  private static HttpClientOptions common(PoolConfig config) {
    // Vert.x's own idle eviction is only a backstop behind the tracker's, which knows the reason.
    int backstopSeconds = config.idleExpirySeconds() + 5;
    return new HttpClientOptions()
        .setKeepAlive(config.keepAlive())
        .setKeepAliveTimeout(backstopSeconds)
        .setHttp2KeepAliveTimeout(backstopSeconds)
        .setHttp2MultiplexingLimit(config.http2MultiplexingLimit())
        // Larger h2 flow-control windows than the 64 KiB default, so many streams on one
        // connection are not throttled by window updates (it shows through relaying proxies).
        .setHttp2ConnectionWindowSize(HTTP2_CONNECTION_WINDOW)
        .setInitialSettings(new Http2Settings().setInitialWindowSize(HTTP2_STREAM_WINDOW))
        .setConnectTimeout(config.connectTimeoutMs())
        .setSslHandshakeTimeout(config.tlsHandshakeTimeoutMs())
        .setSslHandshakeTimeoutUnit(TimeUnit.MILLISECONDS)
        // Off: the body is archived as received and decoded by ContentDecoder (see Exchange).
        .setDecompressionSupported(false)
        .setTcpNoDelay(true)
        .setMaxRedirects(0);
  }

  /** Returns the client for a URL scheme. */
  public HttpClientAgent client(boolean https) {
    return https ? tls : plain;
  }

  /** Returns the WebClient over the pooled client for a URL scheme. */
  public WebClient web(boolean https) {
    return https ? webTls : webPlain;
  }

  /** Returns the worker's pre-connect check of targets. */
  TargetGuard guard() {
    return guard;
  }

  /** Returns the pool configuration. */
  public PoolConfig config() {
    return config;
  }

  /**
   * Returns whether a connection to this host was refused because it resolved to an internal
   * address, so the fetch can report that instead of a bare "connection closed".
   */
  public boolean wasRefusedAsInternal(String host) {
    return refusedHosts.contains(host);
  }

  /** Accounts a request the pool gave a connection; returns whether that connection was reused. */
  boolean assigned(HttpClientRequest request, String proxyTag) {
    return tracker.assigned(request, proxyTag);
  }

  ProxyRouter router() {
    return router;
  }

  /** Accounts the end of a request on its connection. */
  void released(HttpConnection connection, boolean responded) {
    tracker.released(connection, responded);
  }

  /** Learns a shorter idle limit from a response's Keep-Alive header. */
  void keepAliveHeader(HttpConnection connection, String header) {
    tracker.keepAliveHeader(connection, header);
  }

  /** Marks a connection that is about to be closed because of an error. */
  void failed(HttpConnection connection) {
    if (connection != null) {
      tracker.closing(connection, CloseReason.ERROR);
    }
  }

  String worker() {
    return worker;
  }

  PoolMetrics metrics() {
    return metrics;
  }

  AtomicLong active() {
    return active;
  }

  AtomicLong waiting() {
    return waiting;
  }

  /** Closes both clients, their connections and the worker's resolver. */
  public Future<Void> close() {
    tracker.shutdown();
    resolver.close();
    return Future.join(plain.close(), tls.close()).mapEmpty();
  }

  private void onConnect(HttpConnection connection, String scheme, NetworkPolicy network) {
    SocketAddress remote = connection.remoteAddress();
    SocketAddress named = connection.remoteAddress(true);
    String host = named.hostName() != null ? named.hostName() : remote.hostAddress();
    // Through a proxy the remote address is the proxy's, which may well be private; the target
    // is resolved by the proxy, and intake has already refused literal internal targets.
    if (config.proxies().isEmpty() && !allowed(network, remote)) {
      if (refusedHosts.size() >= MAX_REFUSED_HOSTS) {
        // Bounded: a host forgotten here is refused again by the same check at its next connect.
        refusedHosts.clear();
      }
      refusedHosts.add(host);
      LOG.warn(
          "refused connection to {} ({}): it is on an internal network",
          host,
          remote.hostAddress());
      connection.close();
      return;
    }
    tracker.opened(connection, scheme + "://" + host + ":" + remote.port(), DIRECT);
  }

  private static boolean allowed(NetworkPolicy network, SocketAddress address) {
    String ip = address.hostAddress();
    if (ip == null || network.allowsAllPrivate()) {
      return true;
    }
    try {
      return network.allows(InetAddress.getByName(ip));
    } catch (UnknownHostException e) {
      return true;
    }
  }
}
