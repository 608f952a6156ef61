package io.fleetcrawl.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Connection-pool meters of a node, by worker, origin and proxy. The origin tag is bounded: the
 * first {@code maxOrigins} origins seen get their own value, every later one is {@code other}, so a
 * crawl of 100,000 hosts keeps a fixed number of series. (Vert.x's own pool metrics add a series
 * per endpoint and never remove it, which is why they are not enabled.) Thread-safe.
 */
public final class PoolMetrics {
  /** The tag value of origins beyond the bound. */
  public static final String OTHER = "other";

  private final MeterRegistry registry;
  private final int maxOrigins;
  private final Map<String, String> originTags = new ConcurrentHashMap<>();
  private final LongAdder opened = new LongAdder();
  private final LongAdder requests = new LongAdder();
  private final LongAdder reused = new LongAdder();
  private final LongAdder staleRetries = new LongAdder();
  private final LongAdder tlsHandshakes = new LongAdder();
  private final Map<CloseReason, LongAdder> closed = new EnumMap<>(CloseReason.class);
  private final LongAdder requestsOnClosed = new LongAdder();
  private final java.util.List<AtomicLong> openGauges =
      new java.util.concurrent.CopyOnWriteArrayList<>();

  public PoolMetrics(MeterRegistry registry, int maxOrigins) {
    this.registry = registry;
    this.maxOrigins = maxOrigins;
    for (CloseReason reason : CloseReason.values()) {
      closed.put(reason, new LongAdder());
    }
  }

  /** Returns the registry the meters are in. */
  public MeterRegistry registry() {
    return registry;
  }

  /** Returns the bounded tag value for an origin. */
  public String originTag(String origin) {
    String tag = originTags.get(origin);
    if (tag != null) {
      return tag;
    }
    if (originTags.size() >= maxOrigins) {
      return OTHER;
    }
    return originTags.computeIfAbsent(origin, o -> originTags.size() < maxOrigins ? o : OTHER);
  }

  /**
   * The meters of one (worker, origin tag, proxy), registered once: looking a meter up by its tags
   * on every request would cost more than the request's own bookkeeping.
   */
  private final class Series {
    final Counter opened;
    final Timer connectPlain;
    final Timer connectTls;
    final Counter requestsNew;
    final Counter requestsReused;
    final Timer firstByte;
    final Counter staleRetries;
    final DistributionSummary perConnection;
    final Map<CloseReason, Counter> closed = new EnumMap<>(CloseReason.class);

    Series(Tags tags) {
      opened = Counter.builder("fleetcrawl.pool.connections.opened").tags(tags).register(registry);
      connectPlain = connectTimer(tags, false);
      connectTls = connectTimer(tags, true);
      requestsNew =
          Counter.builder("fleetcrawl.pool.requests")
              .tags(tags.and("connection", "new"))
              .register(registry);
      requestsReused =
          Counter.builder("fleetcrawl.pool.requests")
              .tags(tags.and("connection", "reused"))
              .register(registry);
      firstByte = Timer.builder("fleetcrawl.pool.time.to.first.byte").tags(tags).register(registry);
      staleRetries = Counter.builder("fleetcrawl.pool.stale.retries").tags(tags).register(registry);
      perConnection =
          DistributionSummary.builder("fleetcrawl.pool.requests.per.connection")
              .tags(tags)
              .register(registry);
      for (CloseReason reason : CloseReason.values()) {
        closed.put(
            reason,
            Counter.builder("fleetcrawl.pool.connections.closed")
                .tags(tags.and("reason", reason.tag()))
                .register(registry));
      }
    }

    private Timer connectTimer(Tags tags, boolean tls) {
      return Timer.builder("fleetcrawl.pool.connect.time")
          .description("TCP connect, plus the TLS handshake and ALPN on https")
          .tags(tags.and("tls", Boolean.toString(tls)))
          .register(registry);
    }
  }

  private final Map<String, Series> series = new ConcurrentHashMap<>();

  private Series series(String worker, String origin, String proxy) {
    String tag = originTag(origin);
    return series.computeIfAbsent(
        worker + ' ' + tag + ' ' + proxy,
        k -> new Series(Tags.of("worker", worker, "origin", tag, "proxy", proxy)));
  }

  /** Records a new connection and how long connecting (TCP, and TLS when {@code tls}) took. */
  public void connectionOpened(
      String worker, String origin, String proxy, boolean tls, long connectNanos) {
    opened.increment();
    Series s = series(worker, origin, proxy);
    s.opened.increment();
    (tls ? s.connectTls : s.connectPlain).record(connectNanos, TimeUnit.NANOSECONDS);
    if (tls) {
      tlsHandshakes.increment();
    }
  }

  /** Records a closed connection, why, and how many requests it served. */
  public void connectionClosed(
      String worker, String origin, String proxy, CloseReason reason, long served) {
    closed.get(reason).increment();
    requestsOnClosed.add(served);
    Series s = series(worker, origin, proxy);
    s.closed.get(reason).increment();
    s.perConnection.record(served);
  }

  /** Records a request sent, on a reused connection or a new one. */
  public void request(String worker, String origin, String proxy, boolean onReused) {
    requests.increment();
    if (onReused) {
      reused.increment();
    }
    Series s = series(worker, origin, proxy);
    (onReused ? s.requestsReused : s.requestsNew).increment();
  }

  /** Records the time from sending a request to its response headers. */
  public void firstByte(String worker, String origin, String proxy, long nanos) {
    series(worker, origin, proxy).firstByte.record(nanos, TimeUnit.NANOSECONDS);
  }

  /** Records a request retried because its reused connection had gone stale. */
  public void staleRetry(String worker, String origin, String proxy) {
    staleRetries.increment();
    series(worker, origin, proxy).staleRetries.increment();
  }

  /**
   * Registers a worker's live gauges: requests active, connections open and idle (open with nothing
   * in flight), requests waiting for a connection.
   */
  public void registerWorker(
      String worker, AtomicLong active, AtomicLong open, AtomicLong idle, AtomicLong waiting) {
    openGauges.add(open);
    Gauge.builder("fleetcrawl.pool.idle", idle, AtomicLong::get)
        .tag("worker", worker)
        .register(registry);
    Gauge.builder("fleetcrawl.pool.active", active, AtomicLong::get)
        .tag("worker", worker)
        .register(registry);
    Gauge.builder("fleetcrawl.pool.open", open, AtomicLong::get)
        .tag("worker", worker)
        .register(registry);
    Gauge.builder("fleetcrawl.pool.waiting", waiting, AtomicLong::get)
        .tag("worker", worker)
        .register(registry);
  }

  /** Returns the connections open now, over all workers. */
  public long openConnections() {
    long sum = 0;
    for (AtomicLong gauge : openGauges) {
      sum += gauge.get();
    }
    return sum;
  }

  /** Returns requests sent on reused connections. */
  public long reusedRequests() {
    return reused.sum();
  }

  /** Returns requests sent. */
  public long requests() {
    return requests.sum();
  }

  /** Returns connections opened. */
  public long opened() {
    return opened.sum();
  }

  /** Returns stale-connection retries. */
  public long staleRetries() {
    return staleRetries.sum();
  }

  /** Returns connections closed for a reason. */
  public long closed(CloseReason reason) {
    return closed.get(reason).sum();
  }

  /** Returns the totals for the crawl summary. */
  public Map<String, Object> snapshot() {
    Map<String, Object> m = new LinkedHashMap<>();
    long sent = requests.sum();
    m.put("requests", sent);
    m.put("connectionsOpened", opened.sum());
    m.put("tlsHandshakes", tlsHandshakes.sum());
    m.put("reusedShare", sent == 0 ? 0.0 : Math.round(reused.sum() * 10_000.0 / sent) / 10_000.0);
    m.put("staleRetries", staleRetries.sum());
    Map<String, Long> byReason = new LinkedHashMap<>();
    long closedTotal = 0;
    for (CloseReason reason : CloseReason.values()) {
      long n = closed.get(reason).sum();
      closedTotal += n;
      if (n > 0) {
        byReason.put(reason.tag(), n);
      }
    }
    m.put("connectionsClosed", byReason);
    m.put(
        "requestsPerClosedConnection",
        closedTotal == 0 ? 0.0 : Math.round(requestsOnClosed.sum() * 10.0 / closedTotal) / 10.0);
    return m;
  }
}
