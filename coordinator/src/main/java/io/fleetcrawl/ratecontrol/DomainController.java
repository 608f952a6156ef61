package io.fleetcrawl.ratecontrol;

/**
 * Learns what one domain tolerates, from what its responses said over each control interval. Two
 * dimensions: concurrency (requests in flight) and rate (requests per second, as a minimum spacing
 * between requests). It starts low and doubles concurrency per quiet interval while latency holds,
 * as TCP's slow start does (quadruples them where the frontier's gentle start paces the host),
 * until the domain first throttles or slows down; from then on it raises concurrency by about a
 * quarter per quiet interval. On 429/503 above the threshold it paces: the rate is set just under
 * what the site accepted in the throttled interval (a multiplicative cut of what was sent), then
 * probed upward by a few percent per quiet interval, so it settles just below the site's limit
 * instead of sawing through it. A raise the frontier took back on its first 429 is adopted, and the
 * gap between the two paces halved on quiet intervals (see {@link #adoptRefusedRaise}). Pacing
 * matters most when one fast connection alone outruns the limit, and connections keep growing while
 * the pace, not the site, is what holds the rate back. When most requests are refused, or none
 * accepted, concurrency is halved, down to one. No clock is read: every call passes the time in.
 */
public final class DomainController {
  /** What one interval of responses from the domain looked like. */
  public record Sample(
      long ok, long throttled, long errors, double p50Ms, long retryAfterUntil, long spanMs) {
    /** A sample covering the whole interval. */
    public Sample(long ok, long throttled, long errors, double p50Ms, long retryAfterUntil) {
      this(ok, throttled, errors, p50Ms, retryAfterUntil, 0);
    }
  }

  /** Shortest span a rate is measured over: a few answers in a blink say little about a rate. */
  private static final long MIN_SPAN_MS = 250;

  /** What the domain may receive: requests in flight, and requests per second (0 = unpaced). */
  public record Budget(int concurrency, double ratePerSecond) {
    /**
     * Returns the minimum spacing between two requests in microseconds, 0 when unpaced: whole
     * milliseconds would only allow 200, 167 or 250 requests/s around a 200 r/s limit.
     */
    public long spacingMicros() {
      return ratePerSecond <= 0 ? 0 : Math.max(1, Math.round(1_000_000.0 / ratePerSecond));
    }
  }

  /**
   * Settings shared by every domain's controller; {@code startRate} is the first pace of a host's
   * gentle start in the frontier (requests/s, 0 for none), which the controller takes over once the
   * site throttles.
   */
  public record Settings(
      int initialConcurrency,
      int ceiling,
      double throttleThreshold,
      double increaseFactor,
      double decreaseFactor,
      double rateProbe,
      double latencyClimb,
      long intervalMs,
      double startRate) {
    /**
     * The defaults: start at 4 in flight and 20 r/s, ceiling 64, 2% of 429s tolerated, +25% / x0.5,
     * probe +3%.
     */
    public static Settings defaults() {
      double startRate = 20;
      return new Settings(
          initialConcurrency(startRate), 64, 0.02, 1.25, 0.5, 1.03, 1.5, 1_000, startRate);
    }

    /**
     * Returns the requests in flight a new host starts at: 2 with no gentle start, 4 where one
     * paces it ({@code startRate} > 0). The start's pace then bounds the rate, and the connections
     * only have to keep up with it until the first interval's decision. Two did not where each
     * request takes tens of milliseconds (frontier round trips between members, a distant site):
     * they held three nodes to 57-86 r/s in the first second of a 200 r/s host in three of eight
     * runs, the pace unfilled and so not doubled. Four are still half of Scrapy's eight.
     */
    public static int initialConcurrency(double startRate) {
      return startRate > 0 ? 4 : 2;
    }
  }

  private final Settings settings;
  private int concurrency;
  private double rate;
  private double baselineP50 = Double.NaN;
  private long pausedUntil;
  private double knownLimit;
  private boolean fastRecovery;

  /**
   * Whether the domain has neither throttled nor slowed down yet: connections then double per quiet
   * interval, as TCP's window does in its slow start, rather than grow by a quarter, and quadruple
   * where the frontier's gentle start paces a new host (see {@link #PACED_SLOW_START_GROWTH}).
   */
  private boolean slowStart;

  /**
   * How many times the connections grow per quiet interval in the slow start where the frontier's
   * gentle start paces new hosts. Its pace, doubled each tenth of a second while used, bounds the
   * rate, so connections beyond what it needs stay idle; but where each request takes a while (a
   * cluster's frontier round trips, a site tens of milliseconds away) two connections held a 200
   * r/s host on three nodes to 65-150 r/s for its first two or three seconds, the pace unfilled.
   */
  private static final int PACED_SLOW_START_GROWTH = 4;

  private int quiet;

  /**
   * Whether the pace was last raised by a quarter and no interval has run wholly at it yet. A
   * decision lands half an interval after the interval it judges, so the next interval runs only
   * its second half at the new pace, and a limiter's burst allowance (a tenth of a second of its
   * rate) can hide that half's overshoot. Raising again on it took three nodes from 250 r/s to 312
   * against a 200 r/s limit, 160 more 429s in one benchmark run: the next quarter waits for a whole
   * interval at the pace.
   */
  private boolean stepUnseen;

  /**
   * Whether the pace was just cut for 429s and no interval has run wholly at it yet: the next
   * interval runs its first half at the pace cut from, so its 429s are mostly that pace's. Cut
   * again on them, the pace went from 249 to 195 to 192 r/s against a 200 r/s limit in most
   * three-node benchmark runs, and sat there for the five quiet intervals before a probe: 2-4 % of
   * the rate. It is cut again only when the site accepted less than the new pace.
   */
  private boolean cutUnseen;

  /**
   * How far under the limit the pace is held: 1.5%, so the site's burst allowance absorbs the
   * jitter of requests leaving on schedule. 3% (tried) left 5% of the permitted rate unused at 50
   * r/s, and cutting to 3% under what a throttled interval accepted (as before) held 200 r/s runs
   * at 188-192 r/s between probes.
   */
  private static final double UNDER_LIMIT = 0.985;

  /**
   * The lowest raised pace the site refused since the last cut (the frontier took it back on the
   * first 429, see {@link #adoptRefusedRaise}), requests/s; 0 for none. The limit lies between the
   * pace in force and this one, and each quiet interval raises the pace to the middle of the two
   * (their geometric mean): a refused middle costs a few 429s, the frontier taking it back at once.
   * Holding the pace from before the raise as the limit instead, three nodes that had risen from
   * 177 to 221 r/s against a 200 r/s limit crawled at 177-193 r/s for ten seconds, probing 3 % at a
   * time.
   */
  private double refusedAt;

  /** Quiet intervals at the pace just under the known limit before probing above it. */
  private static final int PROBE_ABOVE_AFTER = 5;

  /**
   * Latency must climb by this much, as well as by the settings' factor, to hold the ramp: on a
   * fast site a busy crawler machine moves the median by a few milliseconds without the site
   * saturating.
   */
  private static final double LATENCY_SLACK_MS = 25;

  /** A controller starting from the settings' initial budget. */
  public DomainController(Settings settings) {
    this(settings, new Budget(settings.initialConcurrency(), 0));
    slowStart = true;
  }

  /** A controller resuming from a budget already in force (a coordinator taking over). */
  public DomainController(Settings settings, Budget resume) {
    this.settings = settings;
    this.concurrency = clamp(resume.concurrency());
    this.rate = resume.ratePerSecond();
    // The pace in force sits just under the limit the last coordinator learned (or below it):
    // take it as that limit rather than start probing from scratch, 25% above it.
    this.knownLimit = rate > 0 ? rate / UNDER_LIMIT : 0;
  }

  /**
   * Takes over the pace a host's gentle start left when the site first throttled it (the frontier
   * holds that pace until now), and returns the budget. The limit lies at or a little above it, so
   * the pace climbs from there as it does after a disturbed interval, and the limit is learned from
   * the first interval throttled at a steady pace: the interval of the start itself, whose rate was
   * rising, says little about it.
   */
  public Budget adoptStartPace(double ratePerSecond) {
    rate = ratePerSecond;
    knownLimit = 0;
    refusedAt = 0;
    fastRecovery = true;
    quiet = 0;
    slowStart = false;
    stepUnseen = false;
    cutUnseen = false;
    return budget();
  }

  /**
   * Takes over the pace the frontier went back to when the site refused a request sent at this
   * controller's last raise (see the frontier's host queue): the pace before the raise, which the
   * site had accepted for a whole interval. The limit lies between the two, so the pace stays below
   * the refused one and raised by halves of the gap between them (see {@link #refusedAt}); once the
   * gap is no more than a probe, the pace is held as just under a known limit, probed upward from
   * only after quiet intervals, as after a cut. The interval being decided ran partly at the raise,
   * so its 429s are the raise's, not this pace's. Returns the budget.
   */
  public Budget adoptRefusedRaise(double ratePerSecond) {
    if (rate <= 0 || ratePerSecond <= 0 || ratePerSecond >= rate) {
      return budget();
    }
    double refused = refusedAt > 0 ? Math.min(refusedAt, rate) : rate;
    rate = ratePerSecond;
    if (refused <= rate * settings.rateProbe()) {
      // Refused a probe's step above: the limit is found.
      knownLimit = rate / UNDER_LIMIT;
      refusedAt = 0;
    } else {
      knownLimit = 0;
      refusedAt = refused;
    }
    fastRecovery = false;
    quiet = 0;
    stepUnseen = false;
    cutUnseen = true;
    return budget();
  }

  /**
   * Takes an interval the coordinator does not yet judge, because the site throttled the frontier's
   * gentle start in it and the pace the start holds since then has not yet run a calm interval (see
   * the coordinator), and returns the budget. That pace, not the connections, is what stops the
   * 429s, so the connections go on growing as in the slow start, unless most requests were refused.
   * Held at the two they then started at until the pace was taken over, three nodes crawled a 200
   * r/s host at 120-170 r/s for three seconds.
   */
  public Budget whileStartHoldsPace(Sample sample) {
    long answered = sample.ok() + sample.throttled();
    if (slowStart && rate <= 0 && answered > 0 && sample.throttled() * 2 <= answered) {
      growSlowStart();
    }
    return budget();
  }

  /** One quiet interval of the slow start: four times the connections under a gentle start. */
  private void growSlowStart() {
    concurrency = clamp(concurrency * (settings.startRate() > 0 ? PACED_SLOW_START_GROWTH : 2));
  }

  /** Returns the budget in force. */
  public Budget budget() {
    return new Budget(concurrency, rate);
  }

  /** Returns the time before which the domain asked for no request (Retry-After), or 0. */
  public long pausedUntil() {
    return pausedUntil;
  }

  /**
   * Takes one interval's sample and returns the budget for the next one.
   *
   * @param now epoch milliseconds at the end of the interval
   */
  public Budget onInterval(long now, Sample sample) {
    long answered = sample.ok() + sample.throttled();
    if (sample.retryAfterUntil() > now) {
      pausedUntil = Math.max(pausedUntil, sample.retryAfterUntil());
    }
    if (answered == 0) {
      return budget();
    }
    double share = (double) sample.throttled() / answered;
    // A host first seen mid-interval was only active for part of it: rates over the whole
    // interval would under-state what it accepted, and the pace would start far too low.
    long span =
        sample.spanMs() > 0
            ? Math.max(MIN_SPAN_MS, Math.min(settings.intervalMs(), sample.spanMs()))
            : settings.intervalMs();
    double goodput = sample.ok() * 1_000.0 / span;
    boolean justCut = cutUnseen;
    cutUnseen = false;
    if (share > settings.throttleThreshold()) {
      if (justCut && goodput >= rate && sample.retryAfterUntil() <= 0) {
        // Half this interval ran at the pace cut from; the site accepted the new pace's worth.
        quiet = 0;
        return budget();
      }
      double sent = answered * 1_000.0 / span;
      if (rate > 0 && sent < 0.8 * rate && share <= 0.5 && sample.retryAfterUntil() <= 0) {
        // Sent well under the pace (little was due: URLs waiting out a back-off) and most of it
        // accepted: too few requests to say where the limit is. Taking what was accepted for it
        // would collapse the pace to the demand of a quiet second; ease off a little instead.
        quiet = 0;
        stepUnseen = false;
        rate = Math.max(0.1, rate * 0.9);
        return budget();
      }
      backOff(goodput, share, sample.retryAfterUntil() > 0);
    } else if (now >= pausedUntil) {
      raise(sample, goodput);
    }
    return budget();
  }

  private void backOff(double goodput, double share, boolean retryAfter) {
    boolean ranCalmly = quiet > 0;
    quiet = 0;
    refusedAt = 0;
    stepUnseen = false;
    slowStart = false;
    if (goodput <= 0) {
      // Nothing accepted: halve the connections, then the pace.
      if (concurrency > 1) {
        concurrency = clamp((int) Math.floor(concurrency * settings.decreaseFactor()));
      } else {
        rate = rate > 0 ? Math.max(0.1, rate * settings.decreaseFactor()) : 1.0;
      }
      return;
    }
    // An interval where most requests were refused, or cut short by a Retry-After pause, is
    // too disturbed (retries pushed back, a stopped host) for what the site accepted in it to
    // be its limit: the pace then climbs back quickly until a calmer throttled interval.
    boolean disturbed = retryAfter || share > 0.5;
    if (rate > 0) {
      // Paced already: the site throttled at about this rate, which bounds its limit from above.
      if (!disturbed) {
        knownLimit = Math.min(rate, goodput);
      } else if (retryAfter && ranCalmly) {
        // Refused after a calm interval at this pace: the pace is above the site's limit. Right
        // after an earlier refusal the pace was itself guessed from a cut-short interval, and
        // taking it for the limit would pin the crawl far below what the site allows.
        knownLimit = knownLimit > 0 ? Math.min(knownLimit, rate) : rate;
      }
      rate = Math.max(0.1, retryAfter ? rate * 0.9 : Math.min(rate, goodput) * UNDER_LIMIT);
      fastRecovery = disturbed && !(retryAfter && ranCalmly);
      cutUnseen = true;
    } else {
      // First throttling: pace just under what was accepted.
      rate = Math.max(0.1, goodput * UNDER_LIMIT);
      fastRecovery = disturbed;
      cutUnseen = true;
      if (!disturbed) {
        knownLimit = goodput;
      }
    }
    if (share > 0.5) {
      concurrency = clamp((int) Math.floor(concurrency * settings.decreaseFactor()));
    }
  }

  private void raise(Sample sample, double goodput) {
    if (rate > 0 && sample.throttled() > 0) {
      // Paced, and a few 429s came (under the threshold): the pace is at the site's limit, or
      // just past it with the limiter's burst allowance hiding how far; rising further would only
      // show it a second later, and twice as hard. Hold until an interval without any.
      return;
    }
    if (!Double.isNaN(baselineP50)
        && sample.p50Ms() > baselineP50 * settings.latencyClimb()
        && sample.p50Ms() > baselineP50 + LATENCY_SLACK_MS) {
      // Latency is climbing: the site is saturating before it says so. Hold.
      slowStart = false;
      return;
    }
    if (sample.p50Ms() > 0) {
      baselineP50 =
          Double.isNaN(baselineP50) ? sample.p50Ms() : Math.min(baselineP50, sample.p50Ms());
    }
    if (rate <= 0) {
      if (slowStart) {
        growSlowStart();
      } else {
        growConnections();
      }
      return;
    }
    if (goodput < rate * 0.8) {
      // The connections or the demand, not the pace, hold the rate back: raising the pace now
      // would only let it run away from what is sent, to be cut back slowly once 429s come.
      fillPace(goodput);
      return;
    }
    quiet++;
    if (stepUnseen) {
      stepUnseen = false;
      if (goodput < rate * 0.9) {
        // The pace waits for a whole interval at it, the connections need not: the pace bounds
        // the rate whatever their number. Three nodes held to 4 in flight sent 167 r/s at a 200
        // r/s pace for this interval, and grew only with the next quarter step, a second later.
        fillPace(goodput);
      }
      return;
    }
    if (refusedAt > 0) {
      if (refusedAt > rate * settings.rateProbe()) {
        rate = Math.sqrt(rate * refusedAt);
        stepUnseen = true;
        if (goodput < rate * 0.9) {
          fillPace(goodput);
        }
        return;
      }
      knownLimit = rate / UNDER_LIMIT;
      refusedAt = 0;
    }
    if (knownLimit > 0 && quiet > PROBE_ABOVE_AFTER) {
      // Quiet for a while just under the limit last seen: that estimate may be low (learned in a
      // noisy interval) or the site may allow more now; raise it a little each quiet interval
      // until the site says otherwise.
      knownLimit *= settings.rateProbe();
    }
    double cap = knownLimit > 0 ? knownLimit * UNDER_LIMIT : Double.MAX_VALUE;
    double factor =
        fastRecovery || rate < 0.9 * cap ? settings.increaseFactor() : settings.rateProbe();
    double raised = Math.max(rate, Math.min(rate * factor, cap));
    stepUnseen = factor == settings.increaseFactor() && raised > rate;
    rate = raised;
    if (goodput < rate * 0.9) {
      // Paced, but the connections, not the pace, hold the rate back (a slow site).
      fillPace(goodput);
    }
  }

  /**
   * Grows the connections when they, not the pace, held the interval's rate (paced, so more of them
   * cannot send faster than the pace): to what the pace needs at the time each request took in the
   * interval, a quarter over. By Little's law the requests in flight are the rate times the time
   * per request, and the interval spent concurrency / goodput seconds on each. At least the quarter
   * {@link #growConnections} adds, at most double: the demand (few URLs ready) may have held the
   * rate as well. A quarter per interval left three nodes at 4 and 5 in flight, sending 136-180 r/s
   * for three seconds under a 186-200 r/s pace: the time per request, claims and settlements
   * between members included, was 25-30 ms, not the site's half a millisecond.
   */
  private void fillPace(double goodput) {
    int before = concurrency;
    growConnections();
    if (goodput > 0) {
      double needed = before * (rate / goodput) * settings.increaseFactor();
      concurrency = clamp(Math.max(concurrency, (int) Math.ceil(Math.min(needed, before * 2.0))));
    }
  }

  private void growConnections() {
    concurrency =
        clamp(Math.max(concurrency + 1, (int) Math.ceil(concurrency * settings.increaseFactor())));
  }

  private int clamp(int c) {
    return Math.max(1, Math.min(settings.ceiling(), c));
  }
}
