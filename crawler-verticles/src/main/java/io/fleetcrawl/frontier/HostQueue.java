package io.fleetcrawl.frontier;

import io.fleetcrawl.model.CrawlRequest;
import java.io.ByteArrayInputStream;
import java.io.DataInput;
import java.io.DataInputStream;
import java.io.DataOutput;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.TreeMap;

/**
 * The frontier state of one politeness key: its queue, its seen set, its leases and its politeness
 * timing, changed together in one step so that no two nodes ever disagree about them. It lives as
 * the value of the frontier map and is only ever touched by an entry processor on the key's
 * partition thread, so it needs no locking. Time is always passed in.
 *
 * <p>Invariants (see {@link #checkInvariants()}): every fingerprint of a queued or leased URL is in
 * the seen set; a URL is in at most one of ready, delayed and leased; at most {@code limit} leases
 * are outstanding after any claim; lease ids only grow.
 *
 * <p>Order: breadth-first. Ready URLs wait in one queue per depth and the shallowest goes first,
 * except that seeds (depth 0) arriving while deeper links are queued take turns with them, so a
 * seed list fed late is neither starved by the links already found nor allowed to starve them.
 *
 * <p>Sharing: every member that claimed the key within {@link #SHARE_WINDOW_MS} gets an equal share
 * of its concurrency limit, so a key with a million URLs is worked by every node at once and the
 * node that settles first cannot keep every slot to itself.
 */
public final class HostQueue {
  /** How long a member counts as working a key after its last claim. */
  public static final long SHARE_WINDOW_MS = 3_000;

  private final TreeMap<Integer, ArrayDeque<byte[]>> ready = new TreeMap<>();
  private int readyCount;
  private boolean seedTurn;
  private final LinkedHashMap<String, Long> claimers = new LinkedHashMap<>();
  private final PriorityQueue<Delayed> delayed = new PriorityQueue<>();
  private final FingerprintSet seen = new FingerprintSet();
  private final LinkedHashMap<Long, Lease> leases = new LinkedHashMap<>();
  private long nextLeaseId = 1;
  // The last lease ids settled (a ring, by settled count; 0 is no lease): enough to recognise the
  // settlements of the operations in flight when a member left, without growing with the key.
  private static final int RECENTLY_SETTLED = 16;
  private long[] recentlySettled;
  private long nextAllowedAt;
  private long crawlDelayMs;
  private long delayedSeq;
  private long done;
  private long failed;
  private long throttled;
  private long settled;
  private int budget;
  private int budgetLimit;
  private long spacingMicros;

  /** When the next paced request falls due, epoch microseconds. */
  private long nextSlotMicros;

  /**
   * The gentle start's pace, microseconds between two requests, while it runs; 0 before it starts
   * and after it ends. See {@link #pace}.
   */
  private long startMicros;

  /** When the gentle start may next double its rate, epoch ms. */
  private long startStepAt;

  /** Requests sent at the gentle start's current pace and answered without a 429/503. */
  private int startAnswered;

  /**
   * The first lease granted at the gentle start's current pace: only answers to these count for the
   * next doubling. Answers reach the frontier after the result is written, a while after the
   * response, and counting earlier ones would let the rate run ahead of what the site has answered.
   */
  private long startStepLease;

  /** The first lease sent after the held pace was last cut (see {@link #settle}). */
  private long startCutLease;

  /** When the held pace was last cut, epoch ms; -1 until the next claim stamps it. */
  private long startCutAt;

  /** Whether a request sent after the last cut was refused (see {@link #settle}). */
  private boolean startRefusedAgain;

  /** Requests granted at the gentle start's current pace (see {@link #pace}). */
  private int startGranted;

  /** Whether the gentle start's current pace has held a request back (see {@link #claim}). */
  private boolean startHeld;

  /**
   * Requests granted in the current and the previous {@link #RATE_BUCKET_MS} from {@link
   * #rateBucketAt}: the rate the key was actually sent at, which the gentle start holds to when the
   * site first throttles a pace the crawl did not fill (see {@link #settle(Settlement, long)}). Not
   * part of the binary form: a copy that arrives by migration only falls back to halving the pace.
   * The backup computes the same figures, as it runs the same operations with the same times.
   */
  private long rateBucketAt;

  private int grantsNow;
  private int grantsBefore;

  /** The span of one bucket of {@link #grantsNow}. */
  static final long RATE_BUCKET_MS = 250;

  /**
   * The share of the rate actually sent that a gentle start holds at most when the site first
   * throttles: where the crawl did not fill the pace (the connections or the machine held the rate,
   * and it grew slowly) the site refused a rate only a little above its limit.
   */
  static final double UNFILLED_HOLD = 0.9;

  /** Whether the gentle start has run its course (reached full speed, throttled, or overruled). */
  private boolean startOver;

  /**
   * After a gentle start that ended without a 429 (full speed, or a fast pace left unfilled), until
   * the host's first 429 or the coordinator's first pace; {@link #startEndMicros} is the pace it
   * ended at. Such a start ended because pacing no longer bound the rate, not because the site's
   * limit was found, and the host runs unpaced from there, its connections doubling each quiet
   * second as the machine warms up. Its first 429 (one to the start's own last requests, still on
   * their way when it ended, or one a few seconds later when the crawl outgrew the limit) holds a
   * pace, as a 429 during the start does, at 90 % of the rate sent lately (see {@link
   * #settle(Settlement, long)}), rather than leave the host unpaced, above a limit it just met,
   * until the coordinator's next interval: three-node benchmark runs drew 100-300 429s in that
   * second. Not part of the binary form, like {@link #rateBucketAt}: a copy that arrives by
   * migration leaves that 429 to the coordinator, as before.
   */
  private boolean startUntested;

  private long startEndMicros;

  /**
   * Whether {@link #spacingMicros} is the pace the gentle start left when the site first throttled,
   * kept until the coordinator sets a pace of its own, rather than one the coordinator set.
   */
  private boolean startPaced;

  /**
   * The held pace's one step up (see {@link #pace}): {@link #STEP_NONE}, {@link #STEP_DUE} (the
   * held pace is half of one the site refused, and may rise once it has run calm) or {@link
   * #STEP_TAKEN} ({@link #startCalmMicros} is the calm pace it rose from). Not part of the binary
   * form, like {@link #startUntested}: a copy that arrives by migration holds its pace unstepped
   * until the coordinator takes it over, as before.
   */
  private int startStep;

  private long startCalmMicros;

  /** Answers without a 429/503 to requests sent since the held pace was last cut or stepped. */
  private int startCalm;

  /**
   * The coordinator's pace before its last raise, microseconds between requests; 0 when its last
   * budget did not raise the pace, or a refusal has taken the pace back already. A raise is judged
   * by the coordinator a whole interval after the one it lands in, one and a half to two seconds in
   * all, and three nodes stepping from 200 to 250 r/s against a 200 r/s limit drew 40-70 429s in
   * that time, more than the rest of a 5,000-page crawl. The first 429 to a request sent at the
   * raised pace takes it back here at once, to the pace the site had just accepted for a whole
   * interval; the coordinator reads the pace in force at its next throttled interval and adopts it.
   * Not part of the binary form, like the start's short-lived state: a copy that arrives by
   * migration leaves the raise to the coordinator, as before.
   */
  private long raisedFromMicros;

  /** The first lease granted at the raised pace: a 429 to an earlier one says nothing of it. */
  private long raisedLease;

  /**
   * The raised pace a refusal took back, microseconds; 0 for none. The coordinator may set it again
   * (with more connections) before it has read the pace in force: the pace that ran calm stays.
   */
  private long refusedRaiseMicros;

  static final int STEP_NONE = 0;
  static final int STEP_DUE = 1;
  static final int STEP_TAKEN = 2;

  /**
   * How long the held pace must run calm before its step up: long enough for the limiter's burst
   * allowance (a tenth of a second of its rate) to run out had the held pace been a fifth or more
   * above the limit.
   */
  static final long START_CALM_MS = 500;

  /** The held pace's step up: the coordinator's own first step from it (a quarter). */
  static final double START_CALM_STEP = 1.25;

  /**
   * The gentle start doubles its rate at most this often, and only after two answers at the pace in
   * force: fast enough to reach full speed within a second on a host that never throttles, slow
   * enough that a rate limiter's burst allowance (a tenth of a second of its rate) is not emptied
   * twice over before its first 429 comes back.
   */
  static final long START_STEP_MS = 100;

  /**
   * The gentle start ends once its rate reaches this (2,560/s): pacing no longer holds a host back.
   */
  static final long START_END_MICROS = 1_000_000 / 2_560;

  /**
   * The gentle start also ends when its pace, at 640/s or more, has gone this long unfilled while
   * the host answered well (see {@link #pace}).
   */
  static final long START_IDLE_MS = 500;

  /** The pace (640/s) from which an unfilled gentle start ends (see {@link #START_IDLE_MS}). */
  static final long START_IDLE_END_MICROS = 1_000_000 / 640;

  /**
   * Counts the changes made to this key, so the state store keeps the newest of two copies. It
   * travels with the entry (backups, migrations), so it only grows, whichever member owns the key.
   */
  private long version;

  /**
   * The version this member last handed to the state store. Not part of the binary form: a copy
   * that arrives by migration or failover is saved once more by its new owner, never missed.
   */
  private long savedVersion = -1;

  /** When this member last handed the key to the state store, epoch ms. */
  private long savedAt = Long.MIN_VALUE / 2;

  /**
   * For a key too large to save whole every interval: the URLs admitted and finished since this
   * member last handed the state store a whole copy or a journal (null: not kept). Saved every
   * interval as a small journal row, it keeps what a crash costs on a host of a million URLs to one
   * interval's pages, and keeps links queued there by pages of other keys (saved every interval)
   * from being lost with the whole copy's longer interval. Not part of the binary form: a copy that
   * arrives by migration or failover is saved whole by its new owner first. A member that keeps the
   * key as a backup after it moved away goes on writing the journal (the same operations run on
   * backups) but never takes it: past {@link #journalCap} it is dropped, and the key saved whole if
   * the member owns it again.
   */
  private Wire.Sink journal;

  /** The size of the last whole copy this member handed over, and of the journals since. */
  private long wholeBytes;

  private long journalBytes;

  /** Journal entry tags: a URL admitted (fingerprint, packed form), a URL finished. */
  private static final byte JOURNAL_ADMITTED = 'A';

  private static final byte JOURNAL_DONE = 'D';

  private static final byte JOURNAL_FAILED = 'F';

  /** How far back missed paced slots are made up for, when longer than one spacing. */
  static final long BUNCH_MICROS = 10_000;

  /**
   * A key's saved form this large or smaller is saved whole every interval; larger ones less often,
   * with a journal in between. 64 KiB, so that a host of a couple of thousand queued URLs keeps a
   * journal: at 1 MiB the crawl benchmark's eight hosts of 5,000 URLs were copied whole ten times a
   * second (152 MB written for a 40,000-page crawl, 27 MB at 64 KiB), and their claims waited on
   * the partition threads meanwhile. A system property lowers it so that tests can crawl a "large"
   * key of a few hundred URLs.
   */
  static final long SAVE_UNIT_BYTES =
      Math.max(1_024, Long.getLong("fleetcrawl.state.saveUnitBytes", 64 << 10));

  private record Delayed(long notBefore, long seq, CrawlRequest request)
      implements Comparable<Delayed> {
    @Override
    public int compareTo(Delayed other) {
      int byTime = Long.compare(notBefore, other.notBefore);
      return byTime != 0 ? byTime : Long.compare(seq, other.seq);
    }
  }

  /**
   * Queues the requests not seen before and returns, per request, whether it was admitted; a
   * request already seen (queued, leased or done) is refused as a duplicate.
   */
  public boolean[] offer(List<CrawlRequest> requests) {
    return offer(requests, Long.MAX_VALUE);
  }

  /**
   * Like {@link #offer(List)}, but a key that has admitted {@code maxUrls} URLs admits no more: its
   * entry (queue and seen set) must stay small enough to move between members, which ship it whole.
   * {@link #seen()} minus {@code maxUrls}, when positive, is never reached.
   */
  public boolean[] offer(List<CrawlRequest> requests, long maxUrls) {
    boolean[] admitted = new boolean[requests.size()];
    for (int i = 0; i < admitted.length; i++) {
      CrawlRequest request = requests.get(i);
      if (seen.size() >= maxUrls) {
        continue;
      }
      long fingerprint = Fingerprint.of(request.url());
      if (seen.add(fingerprint)) {
        byte[] packed = PackedRequest.pack(request);
        addReady(packed, false);
        admitted[i] = true;
        if (journal != null) {
          journal.writeByte(JOURNAL_ADMITTED);
          journal.writeLong(fingerprint);
          journal.writeInt(packed.length);
          journal.write(packed);
          boundJournal();
        }
      }
    }
    return admitted;
  }

  /**
   * Leases up to {@code max} URLs, keeping at most {@code limit} leases outstanding and honouring
   * the crawl-delay and any pause. Expired leases are queued again first.
   */
  public Claim claim(long now, int max, int limit, long leaseMs) {
    return claim(now, max, limit, leaseMs, "");
  }

  /** Leases as {@link #claim(long, int, int, long)} does, recording {@code owner} on each lease. */
  public Claim claim(long now, int max, int limit, long leaseMs, String owner) {
    return claim(now, max, limit, leaseMs, owner, 0);
  }

  /**
   * Leases as {@link #claim(long, int, int, long, String)} does, and starts a key not yet paced
   * gently: at most one request every {@code startMicros} (0: no gentle start), doubling in rate
   * while the site answers well (see {@link #pace}).
   */
  public Claim claim(long now, int max, int limit, long leaseMs, String owner, long startMicros) {
    expireLeases(now);
    promoteDelayed(now);
    List<Lease> granted = new ArrayList<>();
    if (budgetLimit > 0) {
      // The coordinator's budget for the key replaces the crawl's fixed per-host limit.
      limit = budgetLimit;
    }
    budget = limit;
    if (max > 0) {
      claimers.put(owner, now);
    }
    claimers.values().removeIf(at -> at <= now - SHARE_WINDOW_MS);
    // Paced: slots fall due one spacing apart on a schedule, not one spacing after each claim, so
    // claims that come a little late (timers, the network) do not lower the rate; missed slots
    // are made up for at most one spacing or BUNCH_MICROS back, whichever is longer, so requests
    // bunch beyond two only at paces over 100/s, and then within 10 ms; none is made up for time
    // the key spent paused (Retry-After, crawl-delay). A pace the crawl does not fill (a fast
    // host's gentle start while the machine, not the pace, holds the rate) thus grants what a
    // claim asks for, in one round trip, instead of two and a timer.
    long spacing = pace(now, startMicros);
    long nowMicros = now * 1_000;
    long catchUp = Math.max(spacing, BUNCH_MICROS);
    long slotBase = Math.max(Math.max(nextSlotMicros, nowMicros - catchUp), nextAllowedAt * 1_000);
    if (now >= nextAllowedAt) {
      int slots = Math.min(max, limit - leases.size());
      slots = Math.min(slots, share(limit) - leasedTo(owner));
      if (crawlDelayMs > 0) {
        slots = Math.min(slots, leases.isEmpty() ? 1 : 0);
      }
      int unpaced = Math.min(slots, readyCount);
      if (spacing > 0) {
        slots =
            nowMicros < nextSlotMicros
                ? 0
                : (int) Math.min(slots, 1 + (nowMicros - slotBase) / spacing);
      }
      if (slots < unpaced) {
        startHeld = true;
      }
      while (slots-- > 0 && readyCount > 0) {
        Lease lease =
            new Lease(nextLeaseId++, PackedRequest.unpack(pollReady()), now + leaseMs, owner);
        leases.put(lease.id(), lease);
        granted.add(lease);
      }
      if (!granted.isEmpty()) {
        if (starting()) {
          startGranted += granted.size();
        }
        countGrants(now, granted.size());
        if (crawlDelayMs > 0) {
          nextAllowedAt = now + crawlDelayMs;
        }
        if (spacing > 0) {
          nextSlotMicros = slotBase + granted.size() * spacing;
        }
      }
    }
    if (readyCount == 0 && delayed.isEmpty() && leases.isEmpty()) {
      claimers.clear();
    }
    return new Claim(granted, wakeAt(now), queued());
  }

  /**
   * Returns the least time between two requests now, microseconds (0: unpaced), and moves the
   * gentle start on. Like TCP's slow start, but in rate: a key that has no pace of the
   * coordinator's starts at {@code startMicros} between requests, and the rate doubles each {@link
   * #START_STEP_MS} in which its slots were used (see {@link #paceUsed}) and at least two requests
   * sent at it were answered without a 429/503, until it reaches {@link #START_END_MICROS} or, at
   * 640/s or more, has gone {@link #START_IDLE_MS} unfilled while answered well. A request in
   * flight, not a request per second, is what the coordinator's budgets start from, and two in
   * flight on a fast host are already a thousand requests a second: without this a rate limiter
   * sees that for the second or two before the first report is decided. The first 429/503 ends the
   * start (see {@link #settle}).
   */
  private long pace(long now, long startMicros) {
    if (startPaced) {
      if (startCutAt < 0) {
        startCutAt = now;
      } else if (startRefusedAgain && now >= startCutAt + START_STEP_MS) {
        if (startStep == STEP_TAKEN) {
          // The step went past the limit: back to the pace that ran calm, for the coordinator.
          spacingMicros = startCalmMicros;
          startStep = STEP_NONE;
        } else {
          // Down to one request every 10 s, the coordinator's own floor.
          spacingMicros = Math.min(spacingMicros * 2, 10_000_000);
          startStep = STEP_DUE;
        }
        restartHeldPace(now);
      } else if (startStep == STEP_DUE && heldPaceRanCalm(now)) {
        // Half of a refused pace is the safe guess, but the limit lies anywhere up to that pace:
        // the held pace steps up by the quarter the coordinator would take as its first step,
        // once it has shown the site accepts it. The coordinator decides only after a whole
        // interval calm at the held pace, one and a half to two seconds after the first 429, and
        // three nodes against a 200 r/s limit spent those at 160 r/s: 60-80 pages, 1-1.5 % of a
        // 5,000-page crawl's rate.
        startCalmMicros = spacingMicros;
        long stepped = Math.round(spacingMicros / START_CALM_STEP);
        nextSlotMicros -= spacingMicros - stepped;
        spacingMicros = stepped;
        startStep = STEP_TAKEN;
        restartHeldPace(now);
      }
    }
    if (startOver || startMicros <= 0) {
      return spacingMicros;
    }
    if (spacingMicros > 0) {
      // The coordinator paces the key already (it learned the host's limit before this start).
      endStart();
      return spacingMicros;
    }
    if (this.startMicros == 0) {
      this.startMicros = startMicros;
      startStepAt = now + START_STEP_MS;
      startAnswered = 0;
      startStepLease = nextLeaseId;
      startGranted = 0;
      startHeld = false;
    }
    if (now >= startStepAt && startAnswered >= 2 && !paceUsed(now)) {
      if (this.startMicros <= START_IDLE_END_MICROS
          && now >= startStepAt - START_STEP_MS + START_IDLE_MS) {
        // Answered well for a while at a fast pace the crawl does not fill: the machine, not the
        // pace, holds this host back, and a pace that binds nothing only costs claims. The
        // connection budget governs it from here, as after a full start. A slow pace left
        // unfilled (a robots.txt fetch, a worker's first claims, few connections) stays: ending
        // it there would unleash two connections' worth of requests on a host never tested.
        endStartUnthrottled();
        return spacingMicros;
      }
    } else if (now >= startStepAt && startAnswered >= 2) {
      this.startMicros /= 2;
      startStepAt = now + START_STEP_MS;
      startAnswered = 0;
      startStepLease = nextLeaseId;
      startGranted = 0;
      startHeld = false;
      if (this.startMicros <= START_END_MICROS) {
        endStartUnthrottled();
        return spacingMicros;
      }
    }
    return this.startMicros;
  }

  /**
   * Whether the gentle start's current pace is what limits the rate: it held a request back, and
   * the requests granted at it took at least three quarters of the slots it offered since it was
   * set. The start only speeds up then, as TCP's window grows only while it is full; otherwise the
   * connections, the queue or a slow fetch path hold the rate (a pace held back now and then by
   * several members claiming at once is not full), and the pace would reach full speed untested.
   */
  private boolean paceUsed(long now) {
    long since = now - (startStepAt - START_STEP_MS);
    long offered = (since * 1_000 + startMicros - 1) / startMicros;
    return startHeld && startGranted * 4L >= offered * 3;
  }

  private void countGrants(long now, int n) {
    if (now >= rateBucketAt + 2 * RATE_BUCKET_MS) {
      grantsBefore = 0;
      grantsNow = 0;
      rateBucketAt = now;
    } else if (now >= rateBucketAt + RATE_BUCKET_MS) {
      grantsBefore = grantsNow;
      grantsNow = 0;
      rateBucketAt += RATE_BUCKET_MS;
    }
    grantsNow += n;
  }

  /**
   * Returns the requests granted per second over the previous bucket and this one, or 0 without a
   * whole previous bucket of grants to go by.
   */
  private double recentRate(long now) {
    countGrants(now, 0);
    if (grantsBefore == 0 || now < rateBucketAt || now >= rateBucketAt + RATE_BUCKET_MS) {
      return 0;
    }
    return (grantsBefore + grantsNow) * 1_000.0 / (RATE_BUCKET_MS + now - rateBucketAt);
  }

  private void endStart() {
    startOver = true;
    startMicros = 0;
  }

  /** Ends the gentle start at full speed or unfilled; see {@link #startUntested}. */
  private void endStartUnthrottled() {
    startUntested = true;
    startEndMicros = startMicros;
    endStart();
  }

  /**
   * Holds {@code spacing} between requests after the site's first 429 to a gentle start; further
   * 429s to requests sent at it halve it again (see {@link #settle(Settlement, long)}) until the
   * coordinator takes it over.
   */
  private void holdStartPace(long spacing, int step) {
    spacingMicros = spacing;
    startPaced = true;
    startCutLease = nextLeaseId;
    startCutAt = -1;
    startUntested = false;
    startStep = step;
    startCalm = 0;
  }

  private void restartHeldPace(long now) {
    startCutAt = now;
    startCutLease = nextLeaseId;
    startRefusedAgain = false;
    startCalm = 0;
  }

  /**
   * Whether the held pace has run {@link #START_CALM_MS} since it was set, with no refusal and at
   * least half of its slots answered well: a pace the crawl hardly used says little about the site.
   */
  private boolean heldPaceRanCalm(long now) {
    long since = now - startCutAt;
    return since >= START_CALM_MS && startCalm * 2L * spacingMicros >= since * 1_000;
  }

  /** Returns the spacing that holds 90 % of the rate granted lately, 0 without one to go by. */
  private long underRecentRate(long now) {
    double sent = now >= 0 ? recentRate(now) : 0;
    return sent > 0 ? Math.round(1_000_000 / (sent * UNFILLED_HOLD)) : 0;
  }

  /**
   * Whether a 429 is the first since a gentle start ended without one (see {@link #startUntested})
   * while nobody paces the key yet.
   */
  private boolean untestedStartRefused() {
    return startUntested && !startPaced && spacingMicros == 0;
  }

  /** Returns whether the gentle start is pacing the key now. */
  public boolean starting() {
    return !startOver && startMicros > 0;
  }

  /**
   * Returns whether the key's pace is the one its gentle start left when the site first throttled,
   * not yet replaced by one of the coordinator's.
   */
  public boolean startPaced() {
    return startPaced;
  }

  /**
   * Returns the pace the gentle start holds and the site has accepted, for the coordinator to take
   * over, microseconds between two requests; 0 when the start holds no pace. During the held pace's
   * step up that is the calm pace it rose from: the coordinator's first step from there lands on
   * the stepped pace, and a step not yet judged over a whole interval is never stepped from again.
   */
  public long startPaceMicros() {
    if (!startPaced) {
      return 0;
    }
    return startStep == STEP_TAKEN ? startCalmMicros : spacingMicros;
  }

  /** Returns one member's share of the limit: equal among the members working the key. */
  private int share(int limit) {
    int members = Math.max(1, claimers.size());
    return Math.max(1, (limit + members - 1) / members);
  }

  private int leasedTo(String owner) {
    int n = 0;
    for (Lease lease : leases.values()) {
      if (lease.owner().equals(owner)) {
        n++;
      }
    }
    return n;
  }

  /** Returns whether no URL is ready and none is leased: nobody is working the key now. */
  public boolean idle() {
    return readyCount == 0 && leases.isEmpty();
  }

  /**
   * Applies a settlement; returns false when the lease is unknown (expired and handed out again, or
   * settled already), in which case nothing changes.
   */
  public boolean settle(Settlement settlement) {
    return settle(settlement, -1);
  }

  /**
   * Applies a settlement at {@code now} (epoch ms; -1 when unknown); returns false when the lease
   * is unknown, as {@link #settle(Settlement)} does.
   */
  public boolean settle(Settlement settlement, long now) {
    Lease lease = leases.remove(settlement.leaseId());
    if (lease == null) {
      // Settled already: the same settlement again. Hazelcast sends an operation again when the
      // member it went to leaves before answering, though the backup (now the owner) may have
      // applied it; refusing it would make the worker retract a line the frontier counts as
      // done (found by NodeLossIT). Lease ids are never reused, so only a retry can match.
      return recentlySettled(settlement.leaseId());
    }
    rememberSettled(settlement.leaseId());
    settled++;
    if (settlement.throttled()) {
      throttled++;
      if (starting()) {
        // The site's first 429/503 ends the gentle start: hold half the pace in force, as TCP
        // halves its window on a loss (leases claimed ahead of the fetch slots leave at the pace
        // in force when they are sent, so a lease id does not tell that a request went at an
        // earlier, slower pace). A pace the crawl has not filled lately (the connections or the
        // machine held the rate, which grew slowly) says nothing about what the site received:
        // then hold a little under the rate actually sent, when that is lower. The held pace
        // may step up later (see pace), but never above 90 % of the rate the site refused.
        boolean unfilled = now >= startStepAt + START_STEP_MS && !paceUsed(now);
        long underSent = unfilled ? underRecentRate(now) : 0;
        long held = Math.max(startMicros * 2, underSent);
        holdStartPace(held, Math.round(held / START_CALM_STEP) >= underSent ? STEP_DUE : STEP_NONE);
        endStart();
      } else if (untestedStartRefused()) {
        // The start ended untested and the host, unpaced since, has met the site's limit. No
        // pace bound what it sent since, so what it sent is the evidence: 90 % of it, not capped
        // at half the start's last pace, which says nothing about the limit (capped, three nodes
        // against a 300 r/s limit held 320 r/s, were refused again and fell to 160).
        long underSent = underRecentRate(now);
        holdStartPace(underSent > 0 ? underSent : startEndMicros * 2, STEP_NONE);
      } else if (startPaced
          && settlement.leaseId() >= startCutLease
          && (now < 0 || (startCutAt >= 0 && now >= startCutAt + START_STEP_MS))) {
        // Refused again at the held pace, by a request sent after the last cut: the limiter's
        // burst allowance may have hidden how far above its limit the start went. The next claim
        // halves the pace. Only a refusal a tenth of a second or more after the cut counts: a
        // limiter's allowance refills in about that, and requests refused before then (leases
        // claimed ahead of the fetch slots leave at once) only say it was still full.
        startRefusedAgain = true;
      } else if (raisedFromMicros > 0 && settlement.leaseId() >= raisedLease) {
        // A request sent at the coordinator's raised pace was refused: back to the pace before it.
        refusedRaiseMicros = spacingMicros;
        spacingMicros = raisedFromMicros;
        raisedFromMicros = 0;
      }
    } else if (starting() && settlement.leaseId() >= startStepLease) {
      startAnswered++;
    } else if (startPaced && settlement.leaseId() >= startCutLease) {
      startCalm++;
    }
    if (settlement.isDone()) {
      done++;
      if (settlement.failed()) {
        failed++;
      }
      if (journal != null) {
        journal.writeByte(settlement.failed() ? JOURNAL_FAILED : JOURNAL_DONE);
        journal.writeLong(Fingerprint.of(lease.request().url()));
        boundJournal();
      }
    } else {
      CrawlRequest request = lease.request();
      delay(settlement.countsAsAttempt() ? request.nextAttempt() : request, settlement.retryAt());
    }
    return true;
  }

  private boolean recentlySettled(long leaseId) {
    if (recentlySettled != null) {
      for (long id : recentlySettled) {
        if (id == leaseId) {
          return true;
        }
      }
    }
    return false;
  }

  private void rememberSettled(long leaseId) {
    if (recentlySettled == null) {
      recentlySettled = new long[RECENTLY_SETTLED];
    }
    recentlySettled[(int) (settled % RECENTLY_SETTLED)] = leaseId;
  }

  /**
   * Queues again, at the front, every URL leased to {@code owner} (a member that left the cluster);
   * returns how many. Their late settlements are refused, as for expired leases.
   */
  public int releaseOwner(String owner) {
    // A gone member no longer takes a share of the key's limit.
    claimers.remove(owner);
    int released = 0;
    List<CrawlRequest> back = new ArrayList<>();
    for (Iterator<Lease> it = leases.values().iterator(); it.hasNext(); ) {
      Lease lease = it.next();
      if (lease.owner().equals(owner)) {
        it.remove();
        back.add(lease.request());
        released++;
      }
    }
    for (int i = back.size() - 1; i >= 0; i--) {
      addReady(PackedRequest.pack(back.get(i)), true);
    }
    return released;
  }

  /**
   * Queues again every lease and forgets every claimer: what a state restored after the whole
   * cluster stopped needs, since the members that held them are gone. Returns how many.
   */
  public int releaseAll() {
    claimers.clear();
    List<CrawlRequest> back = new ArrayList<>();
    for (Lease lease : leases.values()) {
      back.add(lease.request());
    }
    leases.clear();
    for (int i = back.size() - 1; i >= 0; i--) {
      addReady(PackedRequest.pack(back.get(i)), true);
    }
    return back.size();
  }

  /** Queues again every lease expired by {@code now}; returns how many. */
  public int expire(long now) {
    int before = leases.size();
    expireLeases(now);
    return before - leases.size();
  }

  /** Sends no request for this key before {@code until} (Retry-After, back-off). */
  public void pauseUntil(long until) {
    nextAllowedAt = Math.max(nextAllowedAt, until);
  }

  /**
   * Sets the budget the coordinator learned for the key: at most {@code concurrency} leases out (0
   * leaves the crawl's per-host limit in force) and at least {@code spacingMicros} between two (0
   * for unpaced). A crawl-delay still applies when it is longer.
   */
  public void setBudget(int concurrency, long spacingMicros) {
    this.budgetLimit = Math.max(0, concurrency);
    long spacing = Math.max(0, spacingMicros);
    if (spacing == 0 && startPaced) {
      // A coordinator that has not yet paced the key says nothing about its pace: the one the
      // gentle start left stays until the coordinator adopts it (see BudgetCoordinator).
      spacing = this.spacingMicros;
    } else if (spacing > 0) {
      // What a refusal of the new pace goes back to, and the first lease sent at the new pace.
      long from = this.spacingMicros;
      long fromLease = nextLeaseId;
      if (startPaced && startStep == STEP_TAKEN) {
        // The coordinator's first pace lands on the held pace's step, not yet judged over an
        // interval: a refusal of it still goes back to the calm pace it rose from.
        from = startCalmMicros;
        fromLease = startCutLease;
      }
      startPaced = false;
      startUntested = false;
      startStep = STEP_NONE;
      if (spacing == refusedRaiseMicros) {
        // Set again before the coordinator read the pace in force: the pace that ran calm stays.
        spacing = this.spacingMicros;
      } else if (spacing != this.spacingMicros || from != this.spacingMicros) {
        raisedFromMicros = from > 0 && spacing < from ? from : 0;
        raisedLease = fromLease;
        refusedRaiseMicros = 0;
      }
    } else {
      raisedFromMicros = 0;
      refusedRaiseMicros = 0;
    }
    if (this.spacingMicros > 0 && spacing < this.spacingMicros) {
      // A faster pace starts now, not after the slot the slower one had booked.
      nextSlotMicros -= this.spacingMicros - spacing;
    }
    this.spacingMicros = spacing;
  }

  /** Returns whether the coordinator has set a budget for the key. */
  public boolean coordinated() {
    return budgetLimit > 0;
  }

  /**
   * Returns the minimum spacing between requests in force: the coordinator's, or the gentle start's
   * while it runs; 0 when unpaced.
   */
  public long spacingMicros() {
    return starting() ? startMicros : spacingMicros;
  }

  /**
   * Sets the minimum spacing between requests (robots.txt crawl-delay); 0 for none. A delay learned
   * or raised after requests were already granted (robots.txt is read after the first claim) makes
   * the next request wait a whole delay from {@code now}, so it applies from the first request.
   */
  public void setCrawlDelay(long millis, long now) {
    long delay = Math.max(0, millis);
    if (delay > crawlDelayMs && nextLeaseId > 1) {
      nextAllowedAt = Math.max(nextAllowedAt, now + delay);
    }
    crawlDelayMs = delay;
  }

  /** Returns URLs waiting (ready or delayed), not counting leased ones. */
  public int queued() {
    return readyCount + delayed.size();
  }

  /** Returns URLs that are queued and may be claimed as soon as a slot and the pace allow. */
  public int ready() {
    return readyCount;
  }

  /**
   * Returns whether a claim at {@code now} would find a URL to take: one ready, or one whose retry
   * time has come (it turns ready at the claim).
   */
  public boolean hasDue(long now) {
    return readyCount > 0 || (!delayed.isEmpty() && delayed.peek().notBefore() <= now);
  }

  /** Returns outstanding leases. */
  public int leased() {
    return leases.size();
  }

  /** Returns URLs that reached their terminal state. */
  public long done() {
    return done;
  }

  /** Returns URLs whose terminal state is a failure (given up after their attempts). */
  public long failed() {
    return failed;
  }

  /** Returns attempts answered with 429 or 503. */
  public long throttled() {
    return throttled;
  }

  /** Returns leases settled, finished or queued again. */
  public long settled() {
    return settled;
  }

  /** Returns the concurrency limit last applied to the key. */
  public int budget() {
    return budget;
  }

  /** Returns the time before which no request may be sent (crawl-delay, pause, Retry-After). */
  public long nextAllowedAt() {
    return nextAllowedAt;
  }

  /** Returns distinct URLs ever admitted to this key. */
  public int seen() {
    return seen.size();
  }

  /** Returns whether a URL was admitted to this key before (queued, leased or done). */
  public boolean hasSeen(String url) {
    return seen.contains(Fingerprint.of(url));
  }

  /** Throws {@link IllegalStateException} when an invariant of the class does not hold. */
  public void checkInvariants() {
    long accounted = readyCount + delayed.size() + leases.size() + done;
    int counted = 0;
    for (Map.Entry<Integer, ArrayDeque<byte[]>> e : ready.entrySet()) {
      if (e.getValue().isEmpty()) {
        throw new IllegalStateException("empty ready queue kept for depth " + e.getKey());
      }
      for (byte[] packed : e.getValue()) {
        if (PackedRequest.depth(packed) != e.getKey()) {
          throw new IllegalStateException(
              "URL of depth " + PackedRequest.depth(packed) + " queued at " + e.getKey());
        }
      }
      counted += e.getValue().size();
    }
    if (counted != readyCount) {
      throw new IllegalStateException("ready count " + readyCount + " != queued " + counted);
    }
    if (failed > done) {
      throw new IllegalStateException("failed " + failed + " > done " + done);
    }
    if (accounted != seen.size()) {
      throw new IllegalStateException(
          "seen " + seen.size() + " != ready+delayed+leased+done " + accounted);
    }
    for (Lease lease : leases.values()) {
      if (lease.id() >= nextLeaseId) {
        throw new IllegalStateException("lease id " + lease.id() + " was never issued");
      }
    }
  }

  /** Marks a change: every processor that changes the entry calls it, on primary and backup. */
  void changed() {
    version++;
  }

  /** Returns how many changes this key has seen. */
  long version() {
    return version;
  }

  /** Whether this member has not yet handed the current version to the state store. */
  boolean unsaved() {
    return savedVersion != version;
  }

  /**
   * Whether the key is due to be saved whole at {@code now}: it changed since its last save, and
   * that save is at least {@code intervalMs} old for each save unit its saved form takes. A key
   * that keeps a journal (see {@link #journalPending}), saved every interval, loses nothing by
   * waiting longer: it is saved whole once its journals since the last whole copy reach a quarter
   * of that copy, so the bytes written stay proportional to what changed and a restore replays
   * little, or after ten times the interval its size asks for, so that what the journal leaves out
   * (the pace, counts of 429s, retries) is not kept from the store for long. {@code intervalMs} 0
   * (a final save) takes every change.
   */
  boolean dueForSave(long now, long intervalMs) {
    if (!unsaved()) {
      return false;
    }
    long interval = intervalMs * saveIntervals();
    if (journal != null && journalBytes * 4 < wholeBytes) {
      interval *= 10;
    }
    return now - savedAt >= interval;
  }

  /**
   * How many intervals apart the key is saved whole: one per {@link #SAVE_UNIT_BYTES} (estimated)
   * of its saved form.
   */
  long saveIntervals() {
    long size = seen.footprintBytes() + 64L * ((long) readyCount + delayed.size() + leases.size());
    return Math.max(1, size / SAVE_UNIT_BYTES);
  }

  /**
   * Returns the binary form of the current version and records it as handed to the state store at
   * {@code now}.
   */
  byte[] save(long now) {
    savedVersion = version;
    savedAt = now;
    journal = saveIntervals() > 1 ? new Wire.Sink(1024) : null;
    byte[] whole = toBytes();
    wholeBytes = whole.length;
    journalBytes = 0;
    return whole;
  }

  /**
   * Whether a key saved whole as {@code whole} may have kept a journal before: one not saved whole
   * every interval (see {@link #dueForSave}) estimates at least two save units, and its saved form
   * then takes well over a quarter of that (a queued URL's bytes, 20 or more, against 64
   * estimated). Its journals up to the whole copy are obsolete once the copy is saved.
   */
  static boolean mayHaveJournals(byte[] whole) {
    return whole.length >= SAVE_UNIT_BYTES / 4;
  }

  /**
   * The most a journal holds before it is dropped: more than a quarter of the whole copy (or a save
   * unit) since the last take means the member no longer takes it (it keeps the key as a backup),
   * or so much changed in one interval that a whole copy is due anyway.
   */
  private long journalCap() {
    return Math.max(SAVE_UNIT_BYTES, wholeBytes / 4);
  }

  private void boundJournal() {
    if (journal.size() > journalCap()) {
      journal = null;
      savedVersion = -1;
      savedAt = Long.MIN_VALUE / 2;
    }
  }

  /**
   * Whether the journal holds changes this member has not handed to the state store yet. Read once:
   * the save predicate asks from a query thread while the partition thread may drop the journal.
   */
  boolean journalPending() {
    Wire.Sink kept = journal;
    return kept != null && kept.size() > 0;
  }

  /**
   * Returns the journal's changes since the last whole copy or journal this member handed over, and
   * empties it: the version in its first 8 bytes (as a whole copy), {@link #JOURNAL_FORMAT}, then
   * the entries.
   */
  byte[] takeJournal() {
    Wire.Sink out = new Wire.Sink(12 + journal.size());
    out.writeLong(version);
    out.writeInt(JOURNAL_FORMAT);
    journal.writeTo(out);
    journal = new Wire.Sink(1024);
    journalBytes += out.size();
    return out.toByteArray();
  }

  /** The journal's format, after its version: "FCJ" and a format number. */
  static final int JOURNAL_FORMAT = 0x46434A31;

  /** Whether bytes from {@link #save} or {@link #takeJournal} are a journal. */
  static boolean isJournal(byte[] saved) {
    return saved.length >= 12
        && ((saved[8] & 0xff) << 24
                | (saved[9] & 0xff) << 16
                | (saved[10] & 0xff) << 8
                | (saved[11] & 0xff))
            == JOURNAL_FORMAT;
  }

  /**
   * Replays, on a state just restored from a whole copy, the journals newer than that copy: URLs
   * admitted are queued unless seen, URLs finished leave the queue and count as done or failed.
   * Returns how many journals it replayed. A key's versions are one history, whichever member
   * changed it, so a copy holds every change up to its version: older journals are skipped, and a
   * newer one may repeat changes the copy holds, which replaying leaves as they are (a URL seen is
   * not queued again; one finished is counted once, when it leaves the queue). So the journals of
   * two members (the key moved between them) replay in any order. The state then exists in the
   * store only in pieces, so its owner saves it whole next.
   *
   * @throws IOException when a journal is not one this build reads
   */
  int replay(List<byte[]> journals) throws IOException {
    long copy = version;
    FingerprintSet finished = new FingerprintSet();
    FingerprintSet failedOnes = new FingerprintSet();
    int replayed = 0;
    // In version order, so that URLs are queued in the order they were found.
    List<byte[]> ordered = new ArrayList<>(journals);
    ordered.sort(java.util.Comparator.comparingLong(HostQueue::versionOf));
    for (byte[] bytes : ordered) {
      if (!isJournal(bytes)) {
        throw new IOException("not a journal of this build's format");
      }
      try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
        long journalVersion = in.readLong();
        in.readInt();
        if (journalVersion <= copy) {
          continue;
        }
        for (int tag = in.read(); tag != -1; tag = in.read()) {
          long fingerprint = in.readLong();
          if (tag == JOURNAL_ADMITTED) {
            byte[] packed = Wire.readBytes(in);
            if (seen.add(fingerprint)) {
              addReady(packed, false);
            }
          } else if (tag == JOURNAL_DONE || tag == JOURNAL_FAILED) {
            finished.add(fingerprint);
            if (tag == JOURNAL_FAILED) {
              failedOnes.add(fingerprint);
            }
          } else {
            throw new IOException("unknown journal entry " + tag);
          }
        }
        version = Math.max(version, journalVersion);
        replayed++;
      }
    }
    if (finished.size() > 0) {
      finish(finished, failedOnes);
    }
    if (replayed > 0) {
      savedVersion = -1;
    }
    return replayed;
  }

  /** Takes the URLs whose fingerprints are in {@code finished} out of the queue, counting them. */
  private void finish(FingerprintSet finished, FingerprintSet failedOnes) {
    java.util.function.Predicate<String> ends =
        url -> {
          long fingerprint = Fingerprint.of(url);
          if (!finished.contains(fingerprint)) {
            return false;
          }
          done++;
          if (failedOnes.contains(fingerprint)) {
            failed++;
          }
          return true;
        };
    for (Iterator<ArrayDeque<byte[]>> it = ready.values().iterator(); it.hasNext(); ) {
      ArrayDeque<byte[]> queue = it.next();
      int before = queue.size();
      queue.removeIf(packed -> ends.test(PackedRequest.unpack(packed).url()));
      readyCount -= before - queue.size();
      if (queue.isEmpty()) {
        it.remove();
      }
    }
    delayed.removeIf(d -> ends.test(d.request().url()));
    leases.values().removeIf(lease -> ends.test(lease.request().url()));
  }

  /**
   * The saved form's format, after the version: "FCQ" and a format number. A state store outlives
   * the build that wrote it, so a build must recognise a form it cannot read and say so, rather
   * than misread it.
   */
  static final int SAVED_FORMAT = 0x46435131;

  private static final int FORMAT_FAMILY = 0x46435100;

  /** Returns the saved form: the version in its first 8 bytes, then the format, then the state. */
  byte[] toBytes() {
    Wire.Sink out = new Wire.Sink(256 + 8 * seen.size() * 2 + 64 * readyCount);
    try {
      out.writeLong(version);
      out.writeInt(SAVED_FORMAT);
      writeState(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /**
   * Reads a saved form made by {@link #toBytes}: it needs no saving again. A form of another format
   * number is refused naming it; one without a format (written before there was one) is read as it
   * was written.
   */
  static HostQueue fromSaved(byte[] bytes) throws IOException {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
      long version = in.readLong();
      int format = in.readInt();
      HostQueue queue;
      if (format == SAVED_FORMAT) {
        queue = readState(in, version);
      } else if ((format & 0xffffff00) == FORMAT_FAMILY) {
        throw new IOException(
            "saved in format "
                + (char) (format & 0xff)
                + ", which this build of fleetcrawl cannot read (it reads format "
                + (char) (SAVED_FORMAT & 0xff)
                + "): start the node with the build that saved it");
      } else {
        return fromSavedWithoutFormat(bytes);
      }
      if (in.read() != -1) {
        throw new IOException("trailing bytes after the key's state");
      }
      queue.savedVersion = queue.version;
      return queue;
    }
  }

  /** Reads a saved form without a format number, as the first builds wrote it. */
  private static HostQueue fromSavedWithoutFormat(byte[] bytes) throws IOException {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
      HostQueue queue = readFrom(in);
      if (in.read() != -1) {
        throw new IOException("trailing bytes after the key's state");
      }
      queue.savedVersion = queue.version;
      return queue;
    }
  }

  /** Returns the version a binary form made by {@link #toBytes} holds. */
  static long versionOf(byte[] bytes) {
    long v = 0;
    for (int i = 0; i < 8; i++) {
      v = (v << 8) | (bytes[i] & 0xff);
    }
    return v;
  }

  /** Writes the whole state, for backups and migrations; the version first. */
  void writeTo(DataOutput out) throws IOException {
    out.writeLong(version);
    writeState(out);
  }

  private void writeState(DataOutput out) throws IOException {
    out.writeLong(nextLeaseId);
    out.writeLong(nextAllowedAt);
    out.writeLong(crawlDelayMs);
    out.writeLong(delayedSeq);
    out.writeLong(done);
    out.writeLong(failed);
    out.writeLong(throttled);
    out.writeLong(settled);
    out.writeInt(budget);
    out.writeInt(budgetLimit);
    out.writeLong(spacingMicros);
    out.writeLong(nextSlotMicros);
    out.writeLong(startMicros);
    out.writeLong(startStepAt);
    out.writeInt(startAnswered);
    out.writeLong(startStepLease);
    out.writeInt(startGranted);
    out.writeBoolean(startHeld);
    out.writeLong(startCutLease);
    out.writeLong(startCutAt);
    out.writeBoolean(startRefusedAgain);
    out.writeBoolean(startOver);
    out.writeBoolean(startPaced);
    out.writeBoolean(seedTurn);
    out.writeInt(readyCount);
    for (ArrayDeque<byte[]> queue : ready.values()) {
      for (byte[] packed : queue) {
        Wire.writeBytes(out, packed);
      }
    }
    out.writeInt(delayed.size());
    for (Delayed d : delayed) {
      out.writeLong(d.notBefore());
      out.writeLong(d.seq());
      FrontierSerialization.writeRequest(out, d.request());
    }
    out.writeInt(leases.size());
    for (Lease lease : leases.values()) {
      FrontierSerialization.writeLease(out, lease);
    }
    seen.writeTo(out);
    out.writeInt(claimers.size());
    for (Map.Entry<String, Long> e : claimers.entrySet()) {
      Wire.writeString(out, e.getKey());
      out.writeLong(e.getValue());
    }
    Wire.writeLongs(out, recentlySettled);
  }

  /** Reads a state written by {@link #writeTo}. */
  static HostQueue readFrom(DataInput in) throws IOException {
    return readState(in, in.readLong());
  }

  private static HostQueue readState(DataInput in, long version) throws IOException {
    HostQueue q = new HostQueue();
    q.version = version;
    q.nextLeaseId = in.readLong();
    q.nextAllowedAt = in.readLong();
    q.crawlDelayMs = in.readLong();
    q.delayedSeq = in.readLong();
    q.done = in.readLong();
    q.failed = in.readLong();
    q.throttled = in.readLong();
    q.settled = in.readLong();
    q.budget = in.readInt();
    q.budgetLimit = in.readInt();
    q.spacingMicros = in.readLong();
    q.nextSlotMicros = in.readLong();
    q.startMicros = in.readLong();
    q.startStepAt = in.readLong();
    q.startAnswered = in.readInt();
    q.startStepLease = in.readLong();
    q.startGranted = in.readInt();
    q.startHeld = in.readBoolean();
    q.startCutLease = in.readLong();
    q.startCutAt = in.readLong();
    q.startRefusedAgain = in.readBoolean();
    q.startOver = in.readBoolean();
    q.startPaced = in.readBoolean();
    q.seedTurn = in.readBoolean();
    for (int i = in.readInt(); i > 0; i--) {
      q.addReady(Wire.readBytes(in), false);
    }
    for (int i = in.readInt(); i > 0; i--) {
      q.delayed.add(
          new Delayed(in.readLong(), in.readLong(), FrontierSerialization.readRequest(in)));
    }
    for (int i = in.readInt(); i > 0; i--) {
      Lease lease = FrontierSerialization.readLease(in);
      q.leases.put(lease.id(), lease);
    }
    q.seen.readFrom(in);
    for (int i = in.readInt(); i > 0; i--) {
      q.claimers.put(Wire.readString(in), in.readLong());
    }
    q.recentlySettled = Wire.readLongs(in);
    return q;
  }

  private void expireLeases(long now) {
    for (Iterator<Lease> it = leases.values().iterator(); it.hasNext(); ) {
      Lease lease = it.next();
      if (lease.expiresAt() <= now) {
        it.remove();
        addReady(PackedRequest.pack(lease.request()), true);
      }
    }
  }

  private void promoteDelayed(long now) {
    while (!delayed.isEmpty() && delayed.peek().notBefore() <= now) {
      addReady(PackedRequest.pack(delayed.poll().request()), false);
    }
  }

  private void addReady(byte[] packed, boolean front) {
    ArrayDeque<byte[]> queue =
        ready.computeIfAbsent(PackedRequest.depth(packed), d -> new ArrayDeque<>());
    if (front) {
      queue.addFirst(packed);
    } else {
      queue.addLast(packed);
    }
    readyCount++;
  }

  /**
   * Takes the next ready URL: the shallowest, except that depth 0 and the shallowest deeper depth
   * alternate while both wait. Emptied queues are dropped (an ArrayDeque never shrinks).
   */
  private byte[] pollReady() {
    Map.Entry<Integer, ArrayDeque<byte[]>> first = ready.firstEntry();
    Map.Entry<Integer, ArrayDeque<byte[]>> chosen = first;
    if (first.getKey() == 0 && ready.size() > 1) {
      chosen = seedTurn ? first : ready.higherEntry(0);
      seedTurn = !seedTurn;
    }
    byte[] packed = chosen.getValue().pollFirst();
    if (chosen.getValue().isEmpty()) {
      ready.remove(chosen.getKey());
    }
    readyCount--;
    return packed;
  }

  private void delay(CrawlRequest request, long notBefore) {
    delayed.add(new Delayed(notBefore, delayedSeq++, request));
  }

  private long wakeAt(long now) {
    long next = nextAllowedAt;
    if (spacingMicros() > 0) {
      next = Math.max(next, Math.floorDiv(nextSlotMicros + 999, 1_000));
    }
    if (readyCount > 0) {
      return now < next ? next : Claim.ON_SETTLE;
    }
    if (!delayed.isEmpty()) {
      return Math.max(delayed.peek().notBefore(), next);
    }
    return leases.isEmpty() ? Claim.IDLE : Claim.ON_SETTLE;
  }
}
