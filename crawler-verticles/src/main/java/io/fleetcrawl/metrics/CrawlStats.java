package io.fleetcrawl.metrics;

import io.fleetcrawl.model.RejectReason;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of one node's crawl, updated from every event loop without locks and read by the
 * progress line, the summary and the drain check.
 */
public final class CrawlStats {
  /** URLs admitted to the frontier through this node. */
  public final LongAdder admitted = new LongAdder();

  /** URLs that reached a terminal state on this node (written to the results). */
  public final LongAdder terminal = new LongAdder();

  /** URLs whose terminal state is a response (any status): the crawl's fetched pages. */
  public final LongAdder pages = new LongAdder();

  /** Responses received, whatever their status, retried 429/5xx answers included. */
  public final LongAdder responses = new LongAdder();

  public final LongAdder status2xx = new LongAdder();
  public final LongAdder status3xx = new LongAdder();
  public final LongAdder status4xx = new LongAdder();
  public final LongAdder status5xx = new LongAdder();

  /** 429 and 503 responses, which throttle a key rather than fail a URL. */
  public final LongAdder throttled = new LongAdder();

  /** Fetches that ended without a response. */
  public final LongAdder fetchErrors = new LongAdder();

  /** URLs given up after their attempts, with an error in their result line. */
  public final LongAdder failed = new LongAdder();

  /** URLs robots.txt excluded. */
  public final LongAdder robotsExcluded = new LongAdder();

  /** Acknowledgements the frontier refused: their leases had expired and been handed out again. */
  public final LongAdder refusedAcks = new LongAdder();

  /** Results cancelled because their acknowledgement was refused (the lease had expired). */
  public final LongAdder retracted = new LongAdder();

  /** Attempts queued again after a failure or a 429. */
  public final LongAdder retries = new LongAdder();

  /** Decoded body bytes read. */
  public final LongAdder bodyBytes = new LongAdder();

  /** URLs refused because their host holds the crawl's most URLs per host. */
  public final LongAdder hostFull = new LongAdder();

  /** URLs intake refused (seeds and links), by reason; duplicates are not counted. */
  private final LongAdder[] refused = new LongAdder[RejectReason.values().length];

  {
    for (int i = 0; i < refused.length; i++) {
      refused[i] = new LongAdder();
    }
  }

  /** Links dropped because their page had more than the crawl's most links per page. */
  public final LongAdder linksCapped = new LongAdder();

  /** Counts a URL refused at intake. */
  public void refused(RejectReason reason) {
    refused[reason.ordinal()].increment();
  }

  /** Returns the URLs refused for a reason so far. */
  public LongAdder refusedFor(RejectReason reason) {
    return refused[reason.ordinal()];
  }

  /** Requests sent and not yet answered or failed. */
  public final AtomicLong inFlight = new AtomicLong();

  /**
   * Leases this node's workers hold and the frontier has not yet settled: claimed (or reserved in a
   * claim on its way), being fetched, being written, or with their settlement on its way. A node
   * leaving waits for zero.
   */
  public final AtomicLong leased = new AtomicLong();

  /** Intake operations (seed batches and link batches) not yet answered by the frontier. */
  public final AtomicLong pendingIntake = new AtomicLong();

  private final AtomicReference<String> fatal = new AtomicReference<>();

  /** Records a response status. */
  public void recordStatus(int status) {
    responses.increment();
    switch (status / 100) {
      case 2 -> status2xx.increment();
      case 3 -> status3xx.increment();
      case 4 -> status4xx.increment();
      case 5 -> status5xx.increment();
      default -> {}
    }
    if (status == 429 || status == 503) {
      throttled.increment();
    }
  }

  /** Returns URLs admitted and not yet terminal: queued, leased or in flight. */
  public long outstanding() {
    return admitted.sum() - terminal.sum();
  }

  /**
   * Returns whether the crawl has nothing left: every admitted URL is terminal and no intake is
   * waiting on the frontier. Links are admitted before their page is settled, so this cannot be
   * true while a page's links are still on their way.
   */
  public boolean drained() {
    return pendingIntake.get() == 0 && outstanding() <= 0;
  }

  /**
   * Records an error that stops the crawl (the results file cannot be written); the first one wins.
   */
  public void fatal(String error) {
    fatal.compareAndSet(null, error);
  }

  /** Returns the error that stopped the crawl, or null. */
  public String fatal() {
    return fatal.get();
  }

  /** Returns the counters as an ordered map, for the summary. */
  public Map<String, Object> snapshot() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("admitted", admitted.sum());
    m.put("terminal", terminal.sum());
    m.put("pages", pages.sum());
    m.put("responses", responses.sum());
    m.put("status2xx", status2xx.sum());
    m.put("status3xx", status3xx.sum());
    m.put("status4xx", status4xx.sum());
    m.put("status5xx", status5xx.sum());
    m.put("throttled429or503", throttled.sum());
    m.put("refusedHostFull", hostFull.sum());
    Map<String, Long> byReason = new LinkedHashMap<>();
    for (RejectReason reason : RejectReason.values()) {
      long n = refused[reason.ordinal()].sum();
      if (n > 0) {
        byReason.put(reason.name().toLowerCase(java.util.Locale.ROOT), n);
      }
    }
    m.put("refused", byReason);
    m.put("linksCapped", linksCapped.sum());
    m.put("fetchErrors", fetchErrors.sum());
    m.put("failed", failed.sum());
    m.put("robotsExcluded", robotsExcluded.sum());
    m.put("retries", retries.sum());
    m.put("refusedAcks", refusedAcks.sum());
    m.put("retracted", retracted.sum());
    m.put("bodyBytes", bodyBytes.sum());
    return m;
  }
}
