package io.fleetcrawl.metrics;

import io.fleetcrawl.frontier.KeyStats;
import io.fleetcrawl.model.RejectReason;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Exposes a node's crawl counters and the frontier's totals as Micrometer meters (and so on {@code
 * /metrics}). Counters read {@link CrawlStats} when scraped; the frontier totals are the last
 * figures {@link #updateFrontier} was given, since computing them visits every partition. Per-host
 * meters ({@code fleetcrawl_host_*}) exist only for the busiest hosts {@link #updateHosts} was
 * given (at most its list's length, 20 on a node), so the series count stays bounded however many
 * hosts the crawl meets; a host leaving the list loses its series.
 */
public final class CrawlMeters {
  private final AtomicLong keys = new AtomicLong();
  private final AtomicLong queued = new AtomicLong();
  private final AtomicLong leased = new AtomicLong();
  private final AtomicLong done = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final MultiGauge hostBudget;
  private final MultiGauge hostRateLimit;
  private final MultiGauge hostInFlight;
  private final MultiGauge hostGoodput;
  private final MultiGauge hostThrottledShare;
  private final MultiGauge hostBackoff;

  /** Registers the meters of one crawl, tagged with its name. */
  public CrawlMeters(MeterRegistry registry, String crawl, CrawlStats stats) {
    counter(
        registry,
        crawl,
        "fleetcrawl.pages",
        "URLs whose terminal state is a response",
        stats.pages);
    counter(registry, crawl, "fleetcrawl.results", "result lines written", stats.terminal);
    counter(
        registry, crawl, "fleetcrawl.admitted", "URLs admitted through this node", stats.admitted);
    counter(registry, crawl, "fleetcrawl.throttled", "429 and 503 responses", stats.throttled);
    counter(
        registry,
        crawl,
        "fleetcrawl.fetch.errors",
        "fetches without a response",
        stats.fetchErrors);
    counter(registry, crawl, "fleetcrawl.failed", "URLs given up", stats.failed);
    counter(registry, crawl, "fleetcrawl.retries", "attempts queued again", stats.retries);
    counter(
        registry,
        crawl,
        "fleetcrawl.robots.excluded",
        "URLs robots.txt excluded",
        stats.robotsExcluded);
    counter(
        registry,
        crawl,
        "fleetcrawl.acks.refused",
        "late acknowledgements refused",
        stats.refusedAcks);
    counter(
        registry, crawl, "fleetcrawl.results.retracted", "result lines retracted", stats.retracted);
    for (int klass = 2; klass <= 5; klass++) {
      LongAdder adder =
          switch (klass) {
            case 2 -> stats.status2xx;
            case 3 -> stats.status3xx;
            case 4 -> stats.status4xx;
            default -> stats.status5xx;
          };
      FunctionCounter.builder("fleetcrawl.responses", adder, LongAdder::sum)
          .description("responses by status class")
          .tag("crawl", crawl)
          .tag("status", klass + "xx")
          .register(registry);
    }
    for (RejectReason reason : RejectReason.values()) {
      if (reason == RejectReason.DUPLICATE) {
        continue;
      }
      FunctionCounter.builder("fleetcrawl.urls.refused", stats.refusedFor(reason), LongAdder::sum)
          .description("URLs intake refused, by reason (spider traps, scope, limits)")
          .tag("crawl", crawl)
          .tag("reason", reason.name().toLowerCase(java.util.Locale.ROOT))
          .register(registry);
    }
    counter(
        registry,
        crawl,
        "fleetcrawl.links.capped",
        "links dropped beyond the most links per page",
        stats.linksCapped);
    gauge(
        registry, crawl, "fleetcrawl.in.flight", "requests sent, not yet answered", stats.inFlight);
    gauge(registry, crawl, "fleetcrawl.leased", "leases this node holds", stats.leased);
    gauge(registry, crawl, "fleetcrawl.frontier.keys", "politeness keys in the frontier", keys);
    gauge(registry, crawl, "fleetcrawl.frontier.queued", "URLs waiting, cluster-wide", queued);
    gauge(registry, crawl, "fleetcrawl.frontier.leased", "URLs leased, cluster-wide", leased);
    gauge(registry, crawl, "fleetcrawl.frontier.done", "URLs done, cluster-wide", done);
    gauge(registry, crawl, "fleetcrawl.frontier.failed", "URLs given up, cluster-wide", failed);
    hostBudget = hostGauge(registry, crawl, "fleetcrawl.host.budget", "requests in flight allowed");
    hostRateLimit =
        hostGauge(
            registry, crawl, "fleetcrawl.host.rate.limit", "requests/s allowed, 0 for unpaced");
    hostInFlight =
        hostGauge(registry, crawl, "fleetcrawl.host.in.flight", "requests in flight, all nodes");
    hostGoodput =
        hostGauge(registry, crawl, "fleetcrawl.host.goodput", "successful pages/s, all nodes");
    hostThrottledShare =
        hostGauge(
            registry, crawl, "fleetcrawl.host.throttled.share", "share of 429/503, last window");
    hostBackoff =
        hostGauge(
            registry,
            crawl,
            "fleetcrawl.host.backoff.seconds",
            "seconds the host is still held back (Retry-After, back-off, crawl-delay)");
  }

  /** Replaces the per-host series with these hosts' figures, as of {@code now}. */
  public void updateHosts(long now, List<HostFigures> hosts) {
    List<MultiGauge.Row<?>> budget = new ArrayList<>();
    List<MultiGauge.Row<?>> rate = new ArrayList<>();
    List<MultiGauge.Row<?>> inFlight = new ArrayList<>();
    List<MultiGauge.Row<?>> goodput = new ArrayList<>();
    List<MultiGauge.Row<?>> share = new ArrayList<>();
    List<MultiGauge.Row<?>> backoff = new ArrayList<>();
    for (HostFigures h : hosts) {
      Tags host = Tags.of("host", h.key());
      budget.add(MultiGauge.Row.of(host, h.budget()));
      rate.add(MultiGauge.Row.of(host, h.requestsPerSecondLimit()));
      inFlight.add(MultiGauge.Row.of(host, h.leased()));
      goodput.add(MultiGauge.Row.of(host, h.pagesPerSecond()));
      share.add(MultiGauge.Row.of(host, h.recentThrottledShare()));
      backoff.add(MultiGauge.Row.of(host, Math.max(0, h.backoffUntil() - now) / 1_000.0));
    }
    hostBudget.register(budget, true);
    hostRateLimit.register(rate, true);
    hostInFlight.register(inFlight, true);
    hostGoodput.register(goodput, true);
    hostThrottledShare.register(share, true);
    hostBackoff.register(backoff, true);
  }

  private static MultiGauge hostGauge(
      MeterRegistry registry, String crawl, String name, String help) {
    return MultiGauge.builder(name).description(help).tag("crawl", crawl).register(registry);
  }

  /** Records the frontier's totals from a fresh look at every key. */
  public void updateFrontier(List<KeyStats> all) {
    long q = 0;
    long l = 0;
    long d = 0;
    long f = 0;
    for (KeyStats k : all) {
      q += k.queued();
      l += k.leased();
      d += k.done();
      f += k.failed();
    }
    keys.set(all.size());
    queued.set(q);
    leased.set(l);
    done.set(d);
    failed.set(f);
  }

  private static void counter(
      MeterRegistry registry, String crawl, String name, String help, LongAdder adder) {
    FunctionCounter.builder(name, adder, LongAdder::sum)
        .description(help)
        .tag("crawl", crawl)
        .register(registry);
  }

  private static void gauge(
      MeterRegistry registry, String crawl, String name, String help, AtomicLong value) {
    Gauge.builder(name, value, AtomicLong::get)
        .description(help)
        .tag("crawl", crawl)
        .register(registry);
  }
}
