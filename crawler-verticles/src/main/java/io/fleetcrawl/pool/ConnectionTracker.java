package io.fleetcrawl.pool;

import io.fleetcrawl.config.PoolConfig;
import io.fleetcrawl.metrics.CloseReason;
import io.fleetcrawl.metrics.PoolMetrics;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpVersion;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The life of every connection of one worker, which Vert.x's pool does not expose: requests served,
 * requests in flight, idle time, age. It retires connections for the reasons the pool configuration
 * names, and knows why each one closed:
 *
 * <ul>
 *   <li>idle expiry: a connection idle for the configured time, or for one second less than the
 *       {@code Keep-Alive: timeout=N} its server announced, is closed before the server closes it,
 *       so no request is written to a socket the server is tearing down;
 *   <li>idle cap: beyond the configured number of idle connections, the least recently used one is
 *       closed, so a crawl of many hosts does not keep a socket to each host it finished;
 *   <li>request cap and lifetime: the request that reaches either goes out with {@code Connection:
 *       close} on HTTP/1.1, or the HTTP/2 connection is shut down gracefully after it.
 * </ul>
 *
 * Confined to the worker's event loop, like the connections it tracks.
 */
final class ConnectionTracker {
  private static final Pattern KEEP_ALIVE_TIMEOUT = Pattern.compile("timeout\\s*=\\s*(\\d+)");
  private static final long MIN_IDLE_MS = 500;

  private final Vertx vertx;
  private final PoolConfig config;
  private final PoolMetrics metrics;
  private final String worker;
  private final Map<HttpConnection, Tracked> connections = new IdentityHashMap<>();

  /** Idle connections, least recently used first (Tracked compares by identity). */
  private final LinkedHashMap<Tracked, HttpConnection> idleOrder = new LinkedHashMap<>();

  final AtomicLong open = new AtomicLong();
  final AtomicLong idle = new AtomicLong();
  private boolean shuttingDown;
  private static final int ONE_SHOT_EVIDENCE = 2;
  private static final long ONE_SHOT_WINDOW_MS = 200;
  private static final int MAX_ONE_SHOT_PEERS = 10_000;

  /** Origins seen closing once, held as candidates for {@link #oneShotPeers}. */
  private static final int MAX_ONE_SHOT_CANDIDATES = 10_000;

  private final Map<String, Integer> oneShotCloses = new java.util.HashMap<>();
  private final java.util.Set<String> oneShotPeers = new java.util.HashSet<>();

  /** One connection's state. */
  static final class Tracked {
    final String origin;
    String proxy;
    final long openedAt;
    long requests;
    long responses;
    int inFlight;
    long lastUsed;
    long idleLimitMs;
    long timer = -1;
    CloseReason reason;

    Tracked(String origin, String proxy, long now, long idleLimitMs) {
      this.origin = origin;
      this.proxy = proxy;
      this.openedAt = now;
      this.lastUsed = now;
      this.idleLimitMs = idleLimitMs;
    }
  }

  ConnectionTracker(Vertx vertx, PoolConfig config, PoolMetrics metrics, String worker) {
    this.vertx = vertx;
    this.config = config;
    this.metrics = metrics;
    this.worker = worker;
  }

  /**
   * Starts tracking a new connection to {@code origin}, through {@code proxy} ("direct" if none).
   */
  void opened(HttpConnection connection, String origin, String proxy) {
    Tracked tracked = new Tracked(origin, proxy, now(), config.idleExpirySeconds() * 1000L);
    connections.put(connection, tracked);
    open.incrementAndGet();
    idle.incrementAndGet();
    connection.exceptionHandler(
        e -> {
          if (tracked.reason == null) {
            tracked.reason = CloseReason.ERROR;
          }
        });
    connection.closeHandler(v -> closed(connection, tracked));
    armIdleTimer(connection, tracked);
    becameIdle(connection, tracked);
  }

  /** Marks a connection about to be closed for a reason other than its peer's or an error. */
  void closing(HttpConnection connection, CloseReason reason) {
    Tracked tracked = connections.get(connection);
    if (tracked != null && tracked.reason == null) {
      tracked.reason = reason;
    }
  }

  /**
   * Accounts a request that the pool gave a connection, retiring the connection after it when it
   * reached its cap or lifetime; returns whether the connection had served requests before.
   */
  boolean assigned(HttpClientRequest request, String proxyTag) {
    HttpConnection connection = request.connection();
    Tracked tracked = connections.get(connection);
    if (tracked == null) {
      return false;
    }
    tracked.proxy = proxyTag;
    tracked.requests++;
    if (tracked.inFlight++ == 0) {
      idle.decrementAndGet();
      idleOrder.remove(tracked);
    }
    boolean reused = tracked.requests > 1;
    metrics.request(worker, tracked.origin, tracked.proxy, reused);
    CloseReason retire = retireReason(tracked);
    if (!config.keepAlive()) {
      tracked.reason = CloseReason.KEEP_ALIVE_OFF;
    } else if (request.version() != HttpVersion.HTTP_2 && oneShotPeers.contains(tracked.origin)) {
      // This peer closes after every response without saying so: say it for it, so no request is
      // ever queued on a connection that is about to go.
      tracked.reason = CloseReason.KEEP_ALIVE_OFF;
      request.putHeader("Connection", "close");
    } else if (retire != null && tracked.reason == null) {
      tracked.reason = retire;
      if (request.version() == HttpVersion.HTTP_2) {
        connection.shutdown();
      } else {
        request.putHeader("Connection", "close");
      }
    }
    return reused;
  }

  /** Learns a shorter idle limit from a response's {@code Keep-Alive: timeout=N} header. */
  void keepAliveHeader(HttpConnection connection, String header) {
    Tracked tracked = connections.get(connection);
    if (tracked == null || header == null) {
      return;
    }
    Matcher m = KEEP_ALIVE_TIMEOUT.matcher(header);
    if (m.find()) {
      try {
        long serverMs = Long.parseLong(m.group(1)) * 1000L;
        tracked.idleLimitMs = Math.min(tracked.idleLimitMs, Math.max(MIN_IDLE_MS, serverMs - 1000));
      } catch (NumberFormatException e) {
        // An absurd number: keep our own limit.
      }
    }
  }

  /**
   * Accounts the end of a request on its connection (response read, failed or reset).
   *
   * @param responded whether a whole response was received
   */
  void released(HttpConnection connection, boolean responded) {
    Tracked tracked = connection == null ? null : connections.get(connection);
    if (tracked == null || tracked.inFlight == 0) {
      return;
    }
    if (responded) {
      tracked.responses++;
    }
    if (--tracked.inFlight == 0) {
      idle.incrementAndGet();
      tracked.lastUsed = now();
      armIdleTimer(connection, tracked);
      becameIdle(connection, tracked);
    }
  }

  private void becameIdle(HttpConnection connection, Tracked tracked) {
    idleOrder.put(tracked, connection);
    if (idleOrder.size() > config.maxIdleConnections()) {
      var eldest = idleOrder.entrySet().iterator().next();
      idleOrder.remove(eldest.getKey());
      closing(eldest.getValue(), CloseReason.IDLE_CAP);
      eldest.getValue().close();
    }
  }

  /** Marks every connection as closed by the shutdown that follows. */
  void shutdown() {
    shuttingDown = true;
  }

  private CloseReason retireReason(Tracked tracked) {
    if (config.maxRequestsPerConnection() > 0
        && tracked.requests >= config.maxRequestsPerConnection()) {
      return CloseReason.REQUEST_CAP;
    }
    if (config.maxLifetimeSeconds() > 0
        && now() - tracked.openedAt >= config.maxLifetimeSeconds() * 1000L) {
      return CloseReason.LIFETIME;
    }
    return null;
  }

  private void armIdleTimer(HttpConnection connection, Tracked tracked) {
    if (tracked.timer >= 0) {
      vertx.cancelTimer(tracked.timer);
    }
    tracked.timer =
        vertx.setTimer(
            tracked.idleLimitMs,
            id -> {
              tracked.timer = -1;
              if (tracked.inFlight > 0 || !connections.containsKey(connection)) {
                return;
              }
              long idle = now() - tracked.lastUsed;
              if (idle >= tracked.idleLimitMs) {
                closing(connection, CloseReason.IDLE_EXPIRY);
                connection.close();
              } else {
                armIdleTimer(connection, tracked);
              }
            });
  }

  private void closed(HttpConnection connection, Tracked tracked) {
    if (connections.remove(connection) == null) {
      return;
    }
    open.decrementAndGet();
    if (tracked.inFlight == 0) {
      idle.decrementAndGet();
      idleOrder.remove(tracked);
    }
    if (tracked.timer >= 0) {
      vertx.cancelTimer(tracked.timer);
    }
    CloseReason reason =
        tracked.reason != null
            ? tracked.reason
            : shuttingDown ? CloseReason.SHUTDOWN : CloseReason.SERVER_CLOSE;
    metrics.connectionClosed(worker, tracked.origin, tracked.proxy, reason, tracked.requests);
    learnOneShotPeer(tracked, reason);
  }

  /**
   * Notices peers (forwarding proxies such as tinyproxy, some old servers) that close a connection
   * right after its first response while announcing keep-alive; after {@link #ONE_SHOT_EVIDENCE}
   * such closes the peer gets {@code Connection: close} from us instead.
   */
  private void learnOneShotPeer(Tracked tracked, CloseReason reason) {
    boolean oneShot =
        reason == CloseReason.SERVER_CLOSE
            && tracked.responses == 1
            && now() - tracked.lastUsed <= ONE_SHOT_WINDOW_MS;
    if (!oneShot) {
      oneShotCloses.remove(tracked.origin);
      return;
    }
    if (oneShotCloses.size() >= MAX_ONE_SHOT_CANDIDATES
        && !oneShotCloses.containsKey(tracked.origin)) {
      // Many origins each closed once: evidence gathered again from scratch rather than held
      // for every host a crawl ever met.
      oneShotCloses.clear();
    }
    if (oneShotCloses.merge(tracked.origin, 1, Integer::sum) >= ONE_SHOT_EVIDENCE
        && oneShotPeers.size() < MAX_ONE_SHOT_PEERS
        && oneShotPeers.add(tracked.origin)) {
      // Its idle connections are already doomed: close them before a request is queued on one.
      connections.forEach(
          (c, t) -> {
            if (t.origin.equals(tracked.origin) && t.inFlight == 0 && t.reason == null) {
              t.reason = CloseReason.SERVER_CLOSE;
              c.close();
            }
          });
    }
  }

  private static long now() {
    return System.nanoTime() / 1_000_000;
  }
}
