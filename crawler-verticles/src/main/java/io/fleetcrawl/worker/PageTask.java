package io.fleetcrawl.worker;

import io.fleetcrawl.config.CrawlConfig;
import io.fleetcrawl.config.FetchConfig;
import io.fleetcrawl.control.CrawlControls;
import io.fleetcrawl.frontier.Lease;
import io.fleetcrawl.frontier.Settlement;
import io.fleetcrawl.intake.UrlIntake;
import io.fleetcrawl.metrics.CrawlStats;
import io.fleetcrawl.model.CrawlRequest;
import io.fleetcrawl.model.PageResult;
import io.fleetcrawl.parse.LinkExtractor;
import io.fleetcrawl.pool.Capture;
import io.fleetcrawl.pool.FetchFailure;
import io.fleetcrawl.pool.FetchOutcome;
import io.fleetcrawl.pool.PageFetcher;
import io.fleetcrawl.ratecontrol.HostSignal;
import io.fleetcrawl.ratecontrol.RateControl;
import io.fleetcrawl.robots.RobotsCache;
import io.fleetcrawl.robots.RobotsRules;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.net.URI;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What happens to one leased URL: robots.txt, the fetch, the decision on its outcome ({@link
 * OutcomePolicy}), link extraction and admission, and its result. It claims nothing and writes
 * nothing: it tells its {@link Listener} when the fetch phase is over and hands the finished lease
 * on.
 */
final class PageTask {
  private static final Logger LOG = LoggerFactory.getLogger(PageTask.class);

  /** Pages up to this size are parsed on the event loop; larger ones on a worker thread. */
  static final int INLINE_PARSE_BYTES = 64 * 1024;

  /** What a page's progress tells the worker. */
  interface Listener {
    /** The key's robots.txt is known, with this crawl-delay (capped). */
    void robotsKnown(String key, long crawlDelayMs);

    /** The key's host asked for a pause. */
    void pause(String key, long until);

    /** The lease's fetch phase is over: its slot is free. */
    void fetchOver();

    /** The lease's work is over. */
    void finished(ResultCommitter.Finished finished);
  }

  private final Vertx vertx;
  private final Context context;
  private final CrawlConfig config;
  private final FetchConfig fetch;
  private final int maxOutlinks;
  private final PageFetcher fetcher;
  private final RobotsCache robots;
  private final UrlIntake intake;
  private final CrawlStats stats;
  private final RateControl rates;
  private final LongSupplier clock;
  private final DoubleSupplier jitter;
  private final Listener listener;
  private final CrawlControls controls;

  /**
   * @param rates how the crawl governs each host's rate; told what every fetch said of its host
   * @param jitter in [0, 1), spreads back-offs
   */
  PageTask(
      Vertx vertx,
      Context context,
      CrawlConfig config,
      FetchConfig fetch,
      int maxOutlinks,
      PageFetcher fetcher,
      RobotsCache robots,
      UrlIntake intake,
      CrawlStats stats,
      RateControl rates,
      LongSupplier clock,
      DoubleSupplier jitter,
      Listener listener,
      CrawlControls controls) {
    this.vertx = vertx;
    this.context = context;
    this.config = config;
    this.fetch = fetch;
    this.maxOutlinks = maxOutlinks;
    this.fetcher = fetcher;
    this.robots = robots;
    this.intake = intake;
    this.stats = stats;
    this.rates = rates;
    this.clock = clock;
    this.jitter = jitter;
    this.listener = listener;
    this.controls = controls;
  }

  /** Works a lease to its end. */
  void start(String key, Lease lease) {
    CrawlRequest request = lease.request();
    // An operator's command holds from the moment it returned: a URL claimed before it is
    // checked again here, before robots.txt or the page is asked for.
    String blockedBy = controls.blockedBy(request.url());
    if (blockedBy != null) {
      listener.fetchOver();
      terminal(
          key,
          lease,
          PageResult.failed(
              request, "excluded: host blocked by the operator (" + blockedBy + ")", now()),
          null,
          false);
      return;
    }
    if (controls.halted()) {
      // Paused: the URL goes back to its queue, without counting an attempt.
      listener.fetchOver();
      listener.finished(
          new ResultCommitter.Finished(
              key, null, null, Settlement.retry(lease.id(), now() + 1_000, false)));
      return;
    }
    robots
        .rulesFor(RobotsCache.originOf(request.url()))
        .onComplete(
            ar -> {
              RobotsRules rules = ar.result();
              if (!rules.unreachable()) {
                listener.robotsKnown(key, Math.min(rules.crawlDelayMs(), fetch.maxCrawlDelayMs()));
              }
              if (rules.refused() != null) {
                listener.fetchOver();
                terminal(
                    key, lease, PageResult.failed(request, rules.refused(), now()), null, true);
              } else if (rules.unreachable()) {
                // Retry once the unreachable verdict has expired and robots.txt will be asked
                // again.
                long at = rules.expiresAt() + (long) (1_000 * jitter.getAsDouble());
                listener.fetchOver();
                apply(
                    key,
                    lease,
                    OutcomePolicy.retryAt(
                        request, config.maxAttempts(), "robots.txt unreachable", at),
                    null);
              } else if (!rules.allows(request.url())) {
                stats.robotsExcluded.increment();
                listener.fetchOver();
                terminal(
                    key,
                    lease,
                    PageResult.failed(request, "excluded: robots.txt disallows", now()),
                    null,
                    false);
              } else {
                stats.inFlight.incrementAndGet();
                fetcher
                    .fetchPage(request.url(), fetch.maxBodyBytes())
                    .onComplete(
                        f -> {
                          stats.inFlight.decrementAndGet();
                          handle(key, lease, f.result());
                          listener.fetchOver();
                        });
              }
            });
  }

  private void handle(String key, Lease lease, FetchOutcome outcome) {
    CrawlRequest request = lease.request();
    boolean poolBusy = outcome.failure() == FetchFailure.POOL_BUSY;
    if (outcome.responded()) {
      stats.recordStatus(outcome.status());
      stats.bodyBytes.add(outcome.body() == null ? 0 : outcome.body().length());
    } else if (!poolBusy) {
      stats.fetchErrors.increment();
    }
    long now = now();
    if (outcome.responded()) {
      rates.observe(
          key, HostSignal.answered(outcome.status(), outcome.fetchMs(), outcome.retryAfter(), now));
    } else if (!poolBusy) {
      // A full pool queue is the worker's own backpressure: it says nothing about the host.
      rates.observe(key, new HostSignal.Unanswered());
    }
    OutcomePolicy.Decision decision =
        OutcomePolicy.decide(
            outcome, request, config.maxAttempts(), now, jitter.getAsDouble(), rates.paces());
    if (decision instanceof OutcomePolicy.Retry retry && retry.pauseHostUntil() > 0) {
      listener.pause(key, retry.pauseHostUntil());
    }
    apply(key, lease, decision, outcome);
  }

  private void apply(
      String key, Lease lease, OutcomePolicy.Decision decision, FetchOutcome outcome) {
    if (decision instanceof OutcomePolicy.Retry retry) {
      stats.retries.increment();
      listener.finished(
          new ResultCommitter.Finished(
              key,
              null,
              null,
              // Every 429/503 counts as throttled in the frontier, paused or paced: the key's
              // status and its gentle start (which the first one ends) both go by it.
              outcome.responded() && HostSignal.isThrottle(outcome.status())
                  ? Settlement.throttled(lease.id(), retry.at(), retry.countsAsAttempt())
                  : Settlement.retry(lease.id(), retry.at(), retry.countsAsAttempt())));
    } else if (decision instanceof OutcomePolicy.GiveUp giveUp) {
      terminal(
          key,
          lease,
          PageResult.failed(lease.request().nextAttempt(), giveUp.error(), now()),
          outcome,
          true);
    } else {
      finish(key, lease, outcome);
    }
  }

  private void finish(String key, Lease lease, FetchOutcome outcome) {
    CrawlRequest request = lease.request();
    int status = outcome.status();
    if (status >= 200 && status < 300 && outcome.isHtml() && outcome.body() != null) {
      byte[] html = outcome.body().getBytes();
      Callable<List<String>> extract =
          () -> {
            LinkExtractor.Links found =
                LinkExtractor.extract(
                    html,
                    outcome.charset(),
                    request.url(),
                    config.honourNofollow(),
                    config.traps().maxLinksPerPage());
            if (found.dropped() > 0) {
              stats.linksCapped.add(found.dropped());
            }
            return found.urls();
          };
      // A typical page parses in about a tenth of a millisecond: cheaper on the loop than the hop
      // to a worker thread and back. Large documents go to a worker thread, off the event loop.
      Future<List<String>> links =
          html.length <= INLINE_PARSE_BYTES
              ? inline(extract)
              : vertx.executeBlocking(extract, false);
      links.onComplete(
          ar -> {
            List<String> found = ar.succeeded() ? ar.result() : List.of();
            admitThenFinish(key, lease, outcome, found, null);
          });
      return;
    }
    String redirect = null;
    if (status >= 300 && status < 400 && outcome.location() != null) {
      redirect = resolve(request.url(), outcome.location());
    }
    admitThenFinish(
        key, lease, outcome, redirect == null ? List.of() : List.of(redirect), redirect);
  }

  private void admitThenFinish(
      String key, Lease lease, FetchOutcome outcome, List<String> links, String redirect) {
    CrawlRequest request = lease.request();
    Future<Integer> admitted =
        links.isEmpty()
            ? Future.succeededFuture(0)
            : intake.admitLinks(context, links, request.depth() + 1);
    admitted.onComplete(
        ar -> {
          if (ar.failed()) {
            LOG.warn("links of {} not admitted: {}", request.url(), ar.cause().toString());
          }
          stats.pages.increment();
          terminal(key, lease, result(request, outcome, links, redirect), outcome, false);
        });
  }

  private PageResult result(
      CrawlRequest request, FetchOutcome outcome, List<String> links, String redirect) {
    Capture capture = outcome.capture();
    return new PageResult(
        request.url(),
        outcome.status(),
        null,
        outcome.protocol(),
        outcome.body() == null ? 0 : outcome.body().length(),
        outcome.fetchMs(),
        request.depth(),
        outcome.mediaType(),
        redirect == null ? links.size() : 0,
        redirect,
        outcome.truncated() ? Boolean.TRUE : null,
        request.attempts() + 1,
        now(),
        redirect != null || links.isEmpty()
            ? null
            : links.size() <= maxOutlinks
                ? List.copyOf(links)
                : List.copyOf(links.subList(0, maxOutlinks)),
        capture == null ? null : capture.ip(),
        null,
        null,
        null,
        capture == null ? null : capture.notStored());
  }

  /**
   * Ends a lease with its result.
   *
   * @param failed whether the URL failed (given up, refused), as opposed to fetched or excluded
   */
  private void terminal(
      String key, Lease lease, PageResult result, FetchOutcome exchange, boolean failed) {
    if (failed) {
      stats.failed.increment();
    }
    listener.finished(
        new ResultCommitter.Finished(
            key,
            result,
            exchange,
            failed ? Settlement.failed(lease.id()) : Settlement.done(lease.id())));
  }

  private long now() {
    return clock.getAsLong();
  }

  private static String resolve(String base, String location) {
    try {
      return URI.create(base).resolve(location.trim()).toString();
    } catch (IllegalArgumentException e) {
      return location;
    }
  }

  private static Future<List<String>> inline(Callable<List<String>> extract) {
    try {
      return Future.succeededFuture(extract.call());
    } catch (Exception e) {
      return Future.failedFuture(e);
    }
  }
}
