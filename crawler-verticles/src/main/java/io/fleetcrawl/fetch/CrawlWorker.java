package io.fleetcrawl.fetch;

import io.fleetcrawl.crawl.RunningCrawl;
import io.fleetcrawl.frontier.Claim;
import io.fleetcrawl.frontier.Lease;
import io.fleetcrawl.frontier.SettleResult;
import io.fleetcrawl.frontier.Settlement;
import io.fleetcrawl.model.CrawlRequest;
import io.fleetcrawl.model.PageResult;
import io.fleetcrawl.model.Retraction;
import io.fleetcrawl.output.SinkItem;
import io.fleetcrawl.parse.LinkExtractor;
import io.fleetcrawl.pool.Capture;
import io.fleetcrawl.pool.Exchange;
import io.fleetcrawl.pool.FetchOutcome;
import io.fleetcrawl.robots.RobotsCache;
import io.fleetcrawl.robots.RobotsRules;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.net.URI;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fetch loop of one worker, confined to its event loop: claims leases per politeness key,
 * checks robots.txt, fetches, extracts links off the loop, writes results in group commits and
 * settles the leases (claiming more in the same round trip).
 *
 * <p>Per key, at most one frontier round trip is outstanding; settlements and readiness signals
 * arriving meanwhile are gathered and sent with the next one. The worker fetches at most {@code
 * workerMaxInFlight} leases at once (and holds at most four times as many waiting for their results
 * to be written and acknowledged); keys that could not claim for lack of room wait in {@code
 * starved} and are served first when room frees up.
 */
final class CrawlWorker {
  private static final Logger LOG = LoggerFactory.getLogger(CrawlWorker.class);
  private static final long FRONTIER_RETRY_MS = 1_000;

  /** Pages up to this size are parsed on the event loop; larger ones on a worker thread. */
  static final int INLINE_PARSE_BYTES = 64 * 1024;

  private final Vertx vertx;
  private final Context context;
  private final RunningCrawl crawl;
  private final PageFetcher fetcher;
  private final RobotsCache robots;
  private final Map<String, KeyState> keys = new HashMap<>();
  private final ArrayDeque<String> starved = new ArrayDeque<>();
  private final List<Finished> unwritten = new ArrayList<>();
  private int held;
  private int active;
  private int fetching;
  private final ArrayDeque<Runnable> waiting = new ArrayDeque<>();

  /** Leases held waiting for their result to be written and acknowledged, per fetch slot. */
  private static final int SETTLING_PER_SLOT = 4;

  private boolean writing;

  /** What the worker knows of one key; see the class comment. */
  private static final class KeyState {
    final List<Settlement> settlements = new ArrayList<>();

    /** Results written whose leases are not yet acknowledged, by lease id. */
    final Map<Long, PageResult> unacknowledged = new HashMap<>();

    boolean roundTrip;
    boolean again;
    boolean starved;
    boolean robotsKnown;
    RobotsRules rules;
    long crawlDelay;
    long crawlDelayToSend = -1;
    long pauseUntil;
    long timer = -1;
  }

  /** A lease whose work is over: a result to write (or null for a retry) and its settlement. */
  private record Finished(
      String key, PageResult result, FetchOutcome exchange, Settlement settlement) {}

  CrawlWorker(Vertx vertx, Context context, RunningCrawl crawl, PageFetcher fetcher) {
    this.vertx = vertx;
    this.context = context;
    this.crawl = crawl;
    this.fetcher = fetcher;
    this.robots =
        new RobotsCache(
            vertx,
            fetcher,
            crawl.config().robotsAgentName(),
            System::currentTimeMillis,
            this::archiveRobots);
  }

  /**
   * Archives a robots.txt exchange. It is no URL of the frontier, so nothing waits for the write; a
   * failure stops the crawl like any failed write.
   */
  private void archiveRobots(String url, FetchOutcome outcome) {
    List<SinkItem> item = List.of(new SinkItem.Auxiliary(url, outcome));
    vertx
        .executeBlocking(() -> crawl.sink().write(item), false)
        .onFailure(e -> stopOnWriteFailure(e, 0));
  }

  /**
   * A result that cannot be written must not be acknowledged, and the node must not fetch pages it
   * cannot record: it claims nothing more and says why (status, summary, log).
   */
  private void stopOnWriteFailure(Throwable cause, int results) {
    LOG.error(
        "{}; {} results not acknowledged, claiming no more work", cause.getMessage(), results);
    crawl.stats().fatal(cause.getMessage());
    crawl.stopping().set(true);
  }

  /** Reacts to new URLs on a key this worker owns. */
  void keyReady(String key) {
    KeyState state = keys.computeIfAbsent(key, k -> new KeyState());
    if (state.timer >= 0 && state.pauseUntil <= System.currentTimeMillis()) {
      vertx.cancelTimer(state.timer);
      state.timer = -1;
    }
    if (state.timer < 0) {
      roundTrip(key, state);
    }
  }

  private void roundTrip(String key, KeyState state) {
    if (state.roundTrip) {
      state.again = true;
      return;
    }
    int max = Math.min(crawl.fetch().perHostConcurrency(), room());
    if (crawl.stopping().get() || !crawl.mayClaim().test(key)) {
      // Leaving the cluster, or the key belongs to another node now: settle what is held, claim
      // nothing more.
      if (state.settlements.isEmpty() && state.crawlDelayToSend < 0) {
        return;
      }
      max = 0;
    }
    if (!state.robotsKnown) {
      // Claim one URL until robots.txt is known, so a crawl-delay is honoured from the first
      // request.
      max = Math.min(max, 1);
    }
    if (max <= 0 && state.settlements.isEmpty()) {
      markStarved(key, state);
      return;
    }
    List<Settlement> settlements = List.copyOf(state.settlements);
    state.settlements.clear();
    long crawlDelay = state.crawlDelayToSend;
    state.crawlDelayToSend = -1;
    state.roundTrip = true;
    state.again = false;
    int reserved = Math.max(0, max);
    hold(reserved);
    active += reserved;
    crawl
        .frontier()
        .settleAndClaim(
            context,
            key,
            settlements,
            state.pauseUntil,
            crawlDelay,
            System.currentTimeMillis(),
            reserved,
            crawl.keyLimit(),
            crawl.leaseMs())
        .onComplete(
            ar -> {
              state.roundTrip = false;
              if (ar.succeeded()) {
                retractRefused(state, settlements, ar.result().refused());
                onClaimed(key, state, ar.result(), reserved);
              } else {
                hold(-reserved);
                active -= reserved;
                LOG.warn(
                    "frontier round trip for {} failed, retrying: {}", key, ar.cause().toString());
                state.settlements.addAll(settlements);
                if (crawlDelay >= 0) {
                  state.crawlDelayToSend = crawlDelay;
                }
                schedule(key, state, System.currentTimeMillis() + FRONTIER_RETRY_MS);
              }
            });
  }

  private void onClaimed(String key, KeyState state, SettleResult result, int reserved) {
    if (result.refusedSettlements() > 0) {
      crawl.stats().refusedAcks.add(result.refusedSettlements());
      LOG.warn(
          "{} late settlements for {} refused: their leases had expired",
          result.refusedSettlements(),
          key);
    }
    Claim claim = result.claim();
    hold(-(reserved - claim.leases().size()));
    active -= reserved - claim.leases().size();
    for (Lease lease : claim.leases()) {
      process(key, state, lease);
    }
    if (state.again || !state.settlements.isEmpty() || state.crawlDelayToSend >= 0) {
      roundTrip(key, state);
    } else if (crawl.stopping().get() || !crawl.mayClaim().test(key)) {
      // This node is not claiming the key now; whoever is will carry on.
    } else if (claim.wakeAt() != Claim.IDLE && claim.wakeAt() != Claim.ON_SETTLE) {
      schedule(key, state, claim.wakeAt());
    } else if (claim.wakeAt() == Claim.ON_SETTLE && claim.queued() > 0) {
      if (reserved < crawl.fetch().perHostConcurrency() && state.robotsKnown) {
        // The worker's room, not the key's limit, held this claim back.
        markStarved(key, state);
      } else if (claim.leases().isEmpty()) {
        // Slots are held elsewhere (another worker's or node's leases): look again shortly.
        schedule(key, state, System.currentTimeMillis() + FRONTIER_RETRY_MS);
      }
    }
    serveStarved();
  }

  /**
   * Forgets the written results of settled leases; for the ones whose acknowledgement was refused
   * (the lease had expired and the URL was handed to another worker, whose result counts), writes a
   * retraction so the URL is not counted twice.
   */
  private void retractRefused(KeyState state, List<Settlement> sent, long[] refused) {
    List<SinkItem> retractions = new ArrayList<>();
    for (Settlement settlement : sent) {
      PageResult written = state.unacknowledged.remove(settlement.leaseId());
      if (written != null && contains(refused, settlement.leaseId())) {
        retractions.add(
            new SinkItem.Retracted(
                new Retraction(
                    written.url(),
                    settlement.leaseId(),
                    "lease expired before its acknowledgement; the URL was handed to another worker",
                    now())));
        crawl.stats().terminal.decrement();
        if (written.status() != null) {
          crawl.stats().pages.decrement();
        }
      }
    }
    if (retractions.isEmpty()) {
      return;
    }
    crawl.stats().retracted.add(retractions.size());
    vertx
        .executeBlocking(
            () -> {
              crawl.sink().write(retractions);
              return null;
            },
            false)
        .onFailure(e -> stopOnWriteFailure(e, retractions.size()));
  }

  private static boolean contains(long[] ids, long id) {
    for (long candidate : ids) {
      if (candidate == id) {
        return true;
      }
    }
    return false;
  }

  /**
   * Returns how many more URLs the worker may claim: fetch slots ({@code workerMaxInFlight}) not
   * taken by a lease being fetched, as long as the leases waiting for their result to be written
   * and acknowledged stay bounded. A slot frees when its fetch ends, not when the frontier
   * acknowledges the result, so the round trips after a fetch do not idle the connection.
   */
  private int room() {
    int max = crawl.fetch().workerMaxInFlight();
    return Math.min(max + prefetch(max) - active, SETTLING_PER_SLOT * max - held);
  }

  /**
   * Returns how many leases the worker claims beyond its fetch slots, to start the next fetch the
   * moment a slot frees instead of after a frontier round trip (which, with a synchronous backup on
   * another node, costs milliseconds on every cycle).
   */
  private static int prefetch(int slots) {
    return Math.max(1, slots / 4);
  }

  /** A lease's fetch phase is over (fetched, excluded or put back): its slot is free. */
  private void fetchOver() {
    active--;
    fetching--;
    Runnable next = waiting.pollFirst();
    if (next != null) {
      fetching++;
      next.run();
    }
    serveStarved();
  }

  private void hold(int delta) {
    held += delta;
    crawl.stats().leased.addAndGet(delta);
  }

  private void markStarved(String key, KeyState state) {
    if (!state.starved) {
      state.starved = true;
      starved.addLast(key);
    }
  }

  private void serveStarved() {
    while (room() > 0 && !starved.isEmpty()) {
      String key = starved.pollFirst();
      KeyState state = keys.get(key);
      state.starved = false;
      roundTrip(key, state);
    }
  }

  private void schedule(String key, KeyState state, long at) {
    if (state.timer >= 0) {
      vertx.cancelTimer(state.timer);
    }
    long delay = Math.max(1, at - System.currentTimeMillis());
    state.timer =
        vertx.setTimer(
            delay,
            id -> {
              state.timer = -1;
              roundTrip(key, state);
            });
  }

  private void process(String key, KeyState state, Lease lease) {
    if (fetching >= crawl.fetch().workerMaxInFlight()) {
      // A prefetched lease: it starts when a fetch slot frees.
      waiting.addLast(() -> fetch(key, state, lease));
      return;
    }
    fetching++;
    fetch(key, state, lease);
  }

  private void fetch(String key, KeyState state, Lease lease) {
    CrawlRequest request = lease.request();
    robots
        .rulesFor(RobotsCache.originOf(request.url()))
        .onComplete(
            ar -> {
              RobotsRules rules = ar.result();
              learnCrawlDelay(state, rules);
              if (rules.refused() != null) {
                fetchOver();
                terminal(key, lease, PageResult.failed(request, rules.refused(), now()), null);
              } else if (rules.unreachable()) {
                // Retry once the unreachable verdict has expired and robots.txt will be asked
                // again.
                long at = rules.expiresAt() + (long) (1_000 * jitter());
                fetchOver();
                apply(
                    key,
                    lease,
                    OutcomePolicy.retryAt(
                        request, crawl.config().maxAttempts(), "robots.txt unreachable", at),
                    null);
              } else if (!rules.allows(request.url())) {
                crawl.stats().robotsExcluded.increment();
                fetchOver();
                terminal(
                    key,
                    lease,
                    PageResult.failed(request, "excluded: robots.txt disallows", now()),
                    null);
              } else {
                crawl.stats().inFlight.incrementAndGet();
                fetcher
                    .fetchPage(request.url(), crawl.fetch().maxBodyBytes())
                    .onComplete(
                        f -> {
                          crawl.stats().inFlight.decrementAndGet();
                          handle(key, state, lease, f.result());
                          fetchOver();
                        });
              }
            });
  }

  /**
   * Sends a key's crawl-delay to the frontier whenever fresh rules change it, so a refreshed or
   * late-arriving robots.txt still takes effect.
   */
  private void learnCrawlDelay(KeyState state, RobotsRules rules) {
    if (rules.unreachable() || rules == state.rules) {
      return;
    }
    state.rules = rules;
    state.robotsKnown = true;
    long delay = Math.min(rules.crawlDelayMs(), crawl.fetch().maxCrawlDelayMs());
    if (delay != state.crawlDelay) {
      state.crawlDelay = delay;
      state.crawlDelayToSend = delay;
    }
  }

  private void handle(String key, KeyState state, Lease lease, FetchOutcome outcome) {
    CrawlRequest request = lease.request();
    if (outcome.responded()) {
      crawl.stats().recordStatus(outcome.status());
      crawl.stats().bodyBytes.add(outcome.body() == null ? 0 : outcome.body().length());
    } else if (!outcome.error().startsWith(Exchange.POOL_BUSY)) {
      crawl.stats().fetchErrors.increment();
    }
    long now = now();
    if (crawl.reports() != null) {
      if (outcome.responded()) {
        boolean throttled = outcome.status() == 429 || outcome.status() == 503;
        crawl
            .reports()
            .response(
                key, throttled, outcome.fetchMs(), OutcomePolicy.retryAfterUntil(outcome, now));
      } else if (!outcome.error().startsWith(Exchange.POOL_BUSY)) {
        crawl.reports().error(key);
      }
    }
    OutcomePolicy.Decision decision =
        OutcomePolicy.decide(
            outcome, request, crawl.config().maxAttempts(), now, jitter(), crawl.reports() != null);
    if (decision instanceof OutcomePolicy.Retry retry) {
      state.pauseUntil = Math.max(state.pauseUntil, retry.pauseHostUntil());
    }
    apply(key, lease, decision, outcome);
  }

  private void apply(
      String key, Lease lease, OutcomePolicy.Decision decision, FetchOutcome outcome) {
    if (decision instanceof OutcomePolicy.Retry retry) {
      requeue(key, lease, retry);
    } else if (decision instanceof OutcomePolicy.GiveUp giveUp) {
      terminal(
          key,
          lease,
          PageResult.failed(lease.request().nextAttempt(), giveUp.error(), now()),
          outcome);
    } else {
      finish(key, lease, outcome);
    }
  }

  private void finish(String key, Lease lease, FetchOutcome outcome) {
    CrawlRequest request = lease.request();
    int status = outcome.status();
    String redirect = null;
    if (status >= 300 && status < 400 && outcome.location() != null) {
      redirect = resolve(request.url(), outcome.location());
    }
    if (status >= 200 && status < 300 && outcome.isHtml() && outcome.body() != null) {
      byte[] html = outcome.body().getBytes();
      Callable<List<String>> extract =
          () ->
              LinkExtractor.extract(
                  html, outcome.charset(), request.url(), crawl.config().honourNofollow());
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
    } else {
      admitThenFinish(
          key, lease, outcome, redirect == null ? List.of() : List.of(redirect), redirect);
    }
  }

  private void admitThenFinish(
      String key, Lease lease, FetchOutcome outcome, List<String> links, String redirect) {
    CrawlRequest request = lease.request();
    Future<Integer> admitted =
        links.isEmpty()
            ? Future.succeededFuture(0)
            : crawl.intake().admitLinks(context, links, request.depth() + 1);
    admitted.onComplete(
        ar -> {
          if (ar.failed()) {
            LOG.warn("links of {} not admitted: {}", request.url(), ar.cause().toString());
          }
          Capture capture = outcome.capture();
          int maxOutlinks = crawl.output().maxOutlinks();
          PageResult result =
              new PageResult(
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
          crawl.stats().pages.increment();
          terminal(key, lease, result, outcome);
        });
  }

  private void requeue(String key, Lease lease, OutcomePolicy.Retry retry) {
    crawl.stats().retries.increment();
    settle(
        new Finished(
            key,
            null,
            null,
            retry.pauseHostUntil() > 0
                ? Settlement.throttled(lease.id(), retry.at(), retry.countsAsAttempt())
                : Settlement.retry(lease.id(), retry.at(), retry.countsAsAttempt())));
  }

  private void terminal(String key, Lease lease, PageResult result, FetchOutcome exchange) {
    boolean failed = result.error() != null && !result.error().startsWith("excluded");
    if (failed) {
      crawl.stats().failed.increment();
    }
    settle(
        new Finished(
            key,
            result,
            exchange,
            failed ? Settlement.failed(lease.id()) : Settlement.done(lease.id())));
  }

  private void settle(Finished finished) {
    unwritten.add(finished);
    flush();
  }

  /**
   * Writes what finished since the last write in one blocking call (a group commit), then settles
   * those leases; while a write runs, new results gather for the next one.
   */
  private void flush() {
    if (writing || unwritten.isEmpty()) {
      return;
    }
    List<Finished> batch = List.copyOf(unwritten);
    unwritten.clear();
    List<SinkItem> lines = new ArrayList<>(batch.size());
    for (Finished f : batch) {
      if (f.result() != null) {
        lines.add(new SinkItem.Page(f.result(), f.exchange()));
      }
    }
    writing = true;
    Future<Void> written =
        lines.isEmpty()
            ? Future.succeededFuture()
            : vertx.executeBlocking(
                () -> {
                  crawl.sink().write(lines);
                  return null;
                },
                false);
    written.onComplete(
        ar -> {
          writing = false;
          if (ar.failed()) {
            // The results are not acknowledged, so their URLs stay in the frontier (their leases
            // expire and are handed out again); the node stops rather than fetch pages it cannot
            // record.
            stopOnWriteFailure(ar.cause(), lines.size());
            hold(-batch.size());
          } else {
            crawl.stats().terminal.add(lines.size());
            settleBatch(batch);
          }
          flush();
        });
  }

  private void settleBatch(List<Finished> batch) {
    Map<String, KeyState> touched = new LinkedHashMap<>();
    for (Finished f : batch) {
      KeyState state = keys.get(f.key());
      state.settlements.add(f.settlement());
      if (f.result() != null) {
        state.unacknowledged.put(f.settlement().leaseId(), f.result());
      }
      touched.put(f.key(), state);
    }
    hold(-batch.size());
    touched.forEach((key, state) -> roundTrip(key, state));
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

  private static long now() {
    return System.currentTimeMillis();
  }

  private static double jitter() {
    return ThreadLocalRandom.current().nextDouble();
  }
}
