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
import io.fleetcrawl.parse.RobotsDirectives;
import io.fleetcrawl.parse.SitemapReader;
import io.fleetcrawl.pool.Capture;
import io.fleetcrawl.pool.FetchFailure;
import io.fleetcrawl.pool.FetchOutcome;
import io.fleetcrawl.pool.PageFetcher;
import io.fleetcrawl.ratecontrol.HostSignal;
import io.fleetcrawl.ratecontrol.RateControl;
import io.fleetcrawl.robots.RobotsCache;
import io.fleetcrawl.robots.RobotsRules;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.net.URI;
import java.util.ArrayList;
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

  /** How long a URL waits after an unexpected error before it is tried again (plus jitter). */
  static final long UNEXPECTED_RETRY_MS = 30_000;

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
  private final WorkerExecutor largePages;

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
    // One pool for the node (shared by name), closed with the verticle that made it.
    this.largePages =
        vertx.createSharedWorkerExecutor(
            "fleetcrawl-large-pages",
            largePageSlots(Runtime.getRuntime().maxMemory(), fetch.maxBodyBytes()));
  }

  /** Works a lease to its end. */
  void start(String key, Lease lease) {
    Run run = new Run(key, lease);
    guarded(run, () -> begin(run));
  }

  /**
   * One lease being worked. Its fetch slot is freed once and it ends once, whatever happens: a
   * lease that never ended would sit unsettled until it expired, minutes later, and hold its host
   * back.
   */
  private final class Run {
    final String key;
    final Lease lease;

    /** The fetch's outcome once there is one: an unexpected error still releases its body. */
    FetchOutcome outcome;

    private boolean slotFreed;
    private boolean ended;

    Run(String key, Lease lease) {
      this.key = key;
      this.lease = lease;
    }

    CrawlRequest request() {
      return lease.request();
    }

    void fetchOver() {
      if (!slotFreed) {
        slotFreed = true;
        listener.fetchOver();
      }
    }

    void end(Settlement settlement, PageResult result, FetchOutcome exchange) {
      end(settlement, result, exchange, Future.succeededFuture());
    }

    /**
     * @param admitted completes once the page's links are admitted: the lease settles only then
     */
    void end(Settlement settlement, PageResult result, FetchOutcome exchange, Future<?> admitted) {
      if (!ended) {
        ended = true;
        listener.finished(
            new ResultCommitter.Finished(key, result, exchange, settlement, admitted));
      }
    }
  }

  /**
   * Runs a step of a lease's work, and ends the lease if the step throws: a step runs inside a
   * future's callback, where an exception would otherwise vanish with the lease it belonged to.
   */
  private void guarded(Run run, Runnable step) {
    try {
      step.run();
    } catch (RuntimeException e) {
      failedUnexpectedly(run, e);
    }
  }

  /**
   * A step of the lease's work threw: the error is logged, and the URL is retried later as an
   * attempt, so that an error which always recurs for this URL ends it as failed instead of
   * retrying it for ever. The lease is ended here directly, not through {@link #apply}: the step
   * that threw may have been that very path.
   */
  private void failedUnexpectedly(Run run, RuntimeException e) {
    CrawlRequest request = run.request();
    LOG.error("{}: unexpected error; the URL is retried later", request.url(), e);
    run.fetchOver();
    String error = "internal error: " + e;
    OutcomePolicy.Decision decision =
        OutcomePolicy.retryAt(
            request,
            config.maxAttempts(),
            error,
            now() + UNEXPECTED_RETRY_MS + (long) (UNEXPECTED_RETRY_MS * jitter.getAsDouble()));
    if (decision instanceof OutcomePolicy.Retry retry) {
      stats.retries.increment();
      run.end(Settlement.retry(run.lease.id(), retry.at(), true), null, run.outcome);
    } else {
      stats.failed.increment();
      run.end(
          Settlement.failed(run.lease.id()),
          PageResult.failed(
              request.nextAttempt(), ((OutcomePolicy.GiveUp) decision).error(), now()),
          run.outcome);
    }
  }

  private void begin(Run run) {
    CrawlRequest request = run.request();
    // An operator's command holds from the moment it returned: a URL claimed before it is
    // checked again here, before robots.txt or the page is asked for.
    String blockedBy = controls.blockedBy(request.url());
    if (blockedBy != null) {
      run.fetchOver();
      terminal(
          run,
          PageResult.failed(
              request, "excluded: host blocked by the operator (" + blockedBy + ")", now()),
          null,
          false);
      return;
    }
    if (controls.halted()) {
      // Paused: the URL goes back to its queue, without counting an attempt.
      run.fetchOver();
      run.end(Settlement.retry(run.lease.id(), now() + 1_000, false), null, null);
      return;
    }
    robots
        .rulesFor(RobotsCache.originOf(request.url()))
        .onComplete(
            ar ->
                guarded(
                    run,
                    () ->
                        robotsKnown(
                            run,
                            // The cache's verdicts never fail; an unforeseen failure reads as
                            // robots.txt unreachable rather than as an allowance.
                            ar.succeeded()
                                ? ar.result()
                                : RobotsRules.unreachableUntil(
                                    now() + RobotsCache.UNREACHABLE_TTL_MS))));
  }

  private void robotsKnown(Run run, RobotsRules rules) {
    CrawlRequest request = run.request();
    if (rules.busy()) {
      // The worker's own pool had no room for robots.txt: the host said nothing.
      run.fetchOver();
      apply(run, OutcomePolicy.poolBusy(now()), null);
      return;
    }
    if (!rules.unreachable()) {
      listener.robotsKnown(run.key, Math.min(rules.crawlDelayMs(), fetch.maxCrawlDelayMs()));
    }
    if (rules.refused() != null) {
      run.fetchOver();
      terminal(run, PageResult.failed(request, rules.refused(), now()), null, true);
    } else if (rules.unreachable()) {
      // Retry once the unreachable verdict has expired and robots.txt will be asked again.
      long at = rules.expiresAt() + (long) (1_000 * jitter.getAsDouble());
      run.fetchOver();
      apply(
          run,
          OutcomePolicy.retryAt(request, config.maxAttempts(), "robots.txt unreachable", at),
          null);
    } else if (!rules.allows(request.url())) {
      stats.robotsExcluded.increment();
      run.fetchOver();
      terminal(
          run, PageResult.failed(request, "excluded: robots.txt disallows", now()), null, false);
    } else {
      stats.inFlight.incrementAndGet();
      (request.sitemap() > 0
              // A sitemap's body is read whatever its type, up to its own cap.
              ? fetcher.fetchSitemap(request.url(), config.follow().maxSitemapBytes())
              : fetcher.fetchPage(request.url(), fetch.maxBodyBytes()))
          .onComplete(
              f -> {
                stats.inFlight.decrementAndGet();
                run.outcome = f.result();
                guarded(run, () -> handle(run, f.result()));
                run.fetchOver();
              });
    }
  }

  private void handle(Run run, FetchOutcome outcome) {
    CrawlRequest request = run.request();
    String key = run.key;
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
    apply(run, decision, outcome);
  }

  /**
   * Carries out the decision on a lease.
   *
   * @param outcome the fetch's outcome, or null when the page was not fetched (robots.txt)
   */
  private void apply(Run run, OutcomePolicy.Decision decision, FetchOutcome outcome) {
    long id = run.lease.id();
    if (decision instanceof OutcomePolicy.Retry retry) {
      stats.retries.increment();
      run.end(
          // Every 429/503 counts as throttled in the frontier, paused or paced: the key's
          // status and its gentle start (which the first one ends) both go by it.
          outcome != null && outcome.responded() && HostSignal.isThrottle(outcome.status())
              ? Settlement.throttled(id, retry.at(), retry.countsAsAttempt())
              : Settlement.retry(id, retry.at(), retry.countsAsAttempt()),
          null,
          outcome);
    } else if (decision instanceof OutcomePolicy.GiveUp giveUp) {
      terminal(
          run,
          PageResult.failed(run.request().nextAttempt(), giveUp.error(), now()),
          outcome,
          true);
    } else {
      finish(run, outcome);
    }
  }

  /**
   * What a response points at beyond itself, gathered before its result is written.
   *
   * @param links the links to follow (none when the page or its header says nofollow)
   * @param redirect a 3xx's Location or the page's meta refresh, resolved; followed as a redirect
   * @param canonical the page's canonical URL, or null
   * @param robots the page's robots directives (meta tags and X-Robots-Tag)
   * @param sitemaps the sitemaps a sitemap index lists, to follow as sitemaps
   * @param sitemap for a sitemap, what it was (urlset, index) or why it was not used; else null
   */
  private record Pointers(
      List<String> links,
      String redirect,
      String canonical,
      RobotsDirectives robots,
      List<String> sitemaps,
      String sitemap) {
    Pointers(List<String> links, String redirect, String canonical, RobotsDirectives robots) {
      this(links, redirect, canonical, robots, List.of(), null);
    }
  }

  /**
   * How many pages above the streaming size a node reads at once: a quarter of the heap over 16
   * times the body cap (a 10 MiB page of text or tags took ~130 MiB of transient heap to read), at
   * least one.
   */
  static int largePageSlots(long maxHeap, int maxBodyBytes) {
    long perPage = 16L * Math.max(maxBodyBytes, LinkExtractor.STREAM_BYTES);
    return (int) Math.max(1, Math.min(16, maxHeap / 4 / perPage));
  }

  private void finish(Run run, FetchOutcome outcome) {
    CrawlRequest request = run.request();
    int status = outcome.status();
    if (request.sitemap() > 0 && status >= 200 && status < 300 && outcome.body() != null) {
      finishSitemap(run, outcome);
      return;
    }
    RobotsDirectives header = headerRobots(outcome);
    String linkCanonical = linkHeaderCanonical(request.url(), outcome);
    if (status >= 200 && status < 300 && outcome.isHtml() && outcome.body() != null) {
      int length = outcome.body().length();
      // The copy is made where the parse runs: a large page queued for a parsing slot holds only
      // the body, which the node's body memory counts, not a second copy beside it.
      Callable<LinkExtractor.Links> extract =
          () ->
              LinkExtractor.extract(
                  outcome.body().getBytes(),
                  outcome.charset(),
                  request.url(),
                  config.honourNofollow(),
                  config.traps().maxLinksPerPage(),
                  config.robotsAgentName());
      // A typical page parses in about a tenth of a millisecond: cheaper on the loop than the hop
      // to a worker thread and back. Large documents go to a worker thread, off the event loop.
      // Pages past the streaming size take a slot of a pool sized from the heap: reading one
      // costs up to about 16 times its size in transient heap, so a few of them at once could
      // exhaust a small heap however the rest of the node is sized.
      Future<LinkExtractor.Links> parsed =
          length <= INLINE_PARSE_BYTES
              ? inline(extract)
              : length > LinkExtractor.STREAM_BYTES
                  ? largePages.executeBlocking(extract, false)
                  : vertx.executeBlocking(extract, false);
      parsed.onComplete(ar -> guarded(run, () -> parsed(run, outcome, ar, header, linkCanonical)));
      return;
    }
    String redirect = null;
    if (status >= 300 && status < 400 && outcome.location() != null) {
      redirect = resolve(request.url(), outcome.location());
    }
    admitThenFinish(run, outcome, new Pointers(List.of(), redirect, linkCanonical, header));
  }

  private void parsed(
      Run run,
      FetchOutcome outcome,
      AsyncResult<LinkExtractor.Links> ar,
      RobotsDirectives header,
      String linkCanonical) {
    if (ar.failed()) {
      admitThenFinish(run, outcome, new Pointers(List.of(), null, linkCanonical, header));
      return;
    }
    LinkExtractor.Links found = ar.result();
    if (found.dropped() > 0) {
      stats.linksCapped.add(found.dropped());
    }
    RobotsDirectives robots = found.robots().and(header);
    List<String> links = config.honourNofollow() && robots.nofollow() ? List.of() : found.urls();
    String canonical = found.canonical() != null ? found.canonical() : linkCanonical;
    admitThenFinish(run, outcome, new Pointers(links, found.refresh(), canonical, robots));
  }

  /**
   * Reads a sitemap (off the event loop: tens of megabytes of XML), then admits what it lists: a
   * sitemap's URLs as links, an index's sitemaps as sitemaps whose own children are not followed
   * (the protocol does not nest indexes, so a loop through indexes ends there).
   */
  private void finishSitemap(Run run, FetchOutcome outcome) {
    CrawlRequest request = run.request();
    int cap = config.follow().maxSitemapBytes();
    vertx
        .executeBlocking(
            () -> SitemapReader.read(outcome.body().getBytes(), request.url(), cap), false)
        .onComplete(ar -> guarded(run, () -> sitemapRead(run, outcome, ar)));
  }

  private void sitemapRead(Run run, FetchOutcome outcome, AsyncResult<SitemapReader.Sitemap> ar) {
    CrawlRequest request = run.request();
    int cap = config.follow().maxSitemapBytes();
    RobotsDirectives none = RobotsDirectives.NONE;
    if (ar.failed()) {
      String why = "unreadable: " + ar.cause().getMessage();
      admitThenFinish(run, outcome, new Pointers(List.of(), null, null, none, List.of(), why));
      return;
    }
    SitemapReader.Sitemap map = ar.result();
    String note = map.index() ? "index" : "urlset";
    if (map.truncated()) {
      note += ", cut at --max-sitemap-bytes " + cap;
    }
    if (map.dropped() > 0) {
      note += ", " + map.dropped() + " entries beyond " + SitemapReader.MAX_ENTRIES;
    }
    Pointers to;
    if (!map.index()) {
      to = new Pointers(map.urls(), null, null, none, List.of(), note);
    } else if (request.sitemap() == CrawlRequest.SITEMAP) {
      to = new Pointers(List.of(), null, null, none, map.urls(), note);
    } else {
      to =
          new Pointers(
              List.of(),
              null,
              null,
              none,
              List.of(),
              "index inside an index: its " + map.urls().size() + " sitemaps not followed");
    }
    admitThenFinish(run, outcome, to);
  }

  private void admitThenFinish(Run run, FetchOutcome outcome, Pointers to) {
    CrawlRequest request = run.request();
    List<String> follow = to.links();
    if (config.follow().followCanonical() && to.canonical() != null) {
      follow = new ArrayList<>(follow);
      follow.add(to.canonical());
    }
    Future<Integer> admitted =
        follow.isEmpty()
            ? Future.succeededFuture(0)
            : intake.admitLinks(context, follow, request.depth() + 1);
    Future<String> redirected =
        to.redirect() == null
            ? Future.succeededFuture()
            : intake.admitRedirect(context, to.redirect(), request);
    Future<Integer> sitemaps =
        to.sitemaps().isEmpty()
            ? Future.succeededFuture(0)
            : intake.admitSitemaps(
                context, to.sitemaps(), request.depth() + 1, CrawlRequest.CHILD_SITEMAP);
    if (to.redirect() == null && to.sitemaps().isEmpty()) {
      // Most pages have links only, and their result does not depend on the admission: it is
      // written while the links are admitted, and the lease settles once both are done. Each
      // costs a few milliseconds, and the host's budget counts the lease until it settles.
      admitted.onFailure(
          e -> LOG.warn("links of {} not admitted: {}", request.url(), e.toString()));
      stats.pages.increment();
      run.end(
          Settlement.done(run.lease.id()), result(request, outcome, to, null), outcome, admitted);
      return;
    }
    // A redirect's result records whether its target was admitted: written after the admission.
    Future.join(admitted, redirected, sitemaps)
        .onComplete(
            ar -> guarded(run, () -> admittedThenFinish(run, outcome, to, admitted, redirected)));
  }

  private void admittedThenFinish(
      Run run,
      FetchOutcome outcome,
      Pointers to,
      Future<Integer> admitted,
      Future<String> redirected) {
    CrawlRequest request = run.request();
    if (admitted.failed()) {
      LOG.warn("links of {} not admitted: {}", request.url(), admitted.cause().toString());
    }
    String refused =
        redirected.failed()
            ? "not admitted: " + redirected.cause().getMessage()
            : redirected.result();
    stats.pages.increment();
    terminal(run, result(request, outcome, to, refused), outcome, false);
  }

  private PageResult result(
      CrawlRequest request, FetchOutcome outcome, Pointers to, String redirectRefused) {
    Capture capture = outcome.capture();
    // A sitemap index lists sitemaps where a page lists links.
    List<String> links = to.sitemaps().isEmpty() ? to.links() : to.sitemaps();
    // A 3xx's target is its redirect; a page's meta refresh is recorded beside its links.
    boolean isRedirect = outcome.status() >= 300 && outcome.status() < 400;
    return new PageResult(
        request.url(),
        outcome.status(),
        null,
        outcome.protocol(),
        outcome.body() == null ? 0 : outcome.body().length(),
        outcome.fetchMs(),
        request.depth(),
        outcome.mediaType(),
        links.size(),
        isRedirect ? to.redirect() : null,
        outcome.truncated() ? Boolean.TRUE : null,
        request.attempts() + 1,
        now(),
        links.isEmpty()
            ? null
            : links.size() <= maxOutlinks
                ? List.copyOf(links)
                : List.copyOf(links.subList(0, maxOutlinks)),
        capture == null ? null : capture.ip(),
        null,
        null,
        null,
        capture == null ? null : capture.notStored(),
        redirectRefused,
        isRedirect ? null : to.redirect(),
        to.canonical(),
        to.robots().asList(),
        to.sitemap());
  }

  private RobotsDirectives headerRobots(FetchOutcome outcome) {
    Capture capture = outcome.capture();
    if (capture == null || capture.responseHeaders() == null) {
      return RobotsDirectives.NONE;
    }
    List<String> values = capture.responseHeaders().getAll("X-Robots-Tag");
    return values.isEmpty()
        ? RobotsDirectives.NONE
        : RobotsDirectives.fromHeaders(values, config.robotsAgentName());
  }

  private static String linkHeaderCanonical(String pageUrl, FetchOutcome outcome) {
    Capture capture = outcome.capture();
    if (capture == null || capture.responseHeaders() == null) {
      return null;
    }
    List<String> values = capture.responseHeaders().getAll("Link");
    if (values.isEmpty()) {
      return null;
    }
    String target = LinkExtractor.canonicalOfLinkHeaders(values);
    return target == null ? null : resolve(pageUrl, target);
  }

  /**
   * Ends a lease with its result.
   *
   * @param failed whether the URL failed (given up, refused), as opposed to fetched or excluded
   */
  private void terminal(Run run, PageResult result, FetchOutcome exchange, boolean failed) {
    if (failed) {
      stats.failed.increment();
    }
    long id = run.lease.id();
    run.end(failed ? Settlement.failed(id) : Settlement.done(id), result, exchange);
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

  private static <T> Future<T> inline(Callable<T> extract) {
    try {
      return Future.succeededFuture(extract.call());
    } catch (Exception e) {
      return Future.failedFuture(e);
    }
  }
}
