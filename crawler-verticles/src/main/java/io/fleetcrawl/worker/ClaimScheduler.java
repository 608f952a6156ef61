package io.fleetcrawl.worker;

import io.fleetcrawl.frontier.Claim;
import io.fleetcrawl.frontier.Lease;
import io.fleetcrawl.frontier.Settlement;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.IntConsumer;
import java.util.function.Predicate;

/**
 * Decides when one worker claims URLs, for which politeness key and how many: a plain state machine
 * with no clock, no timers and no I/O. Each event takes {@code now} and returns the actions the
 * worker's event loop carries out ({@link RoundTrip}, {@link Fetch}, {@link Wake}); {@link
 * CrawlWorker} is the adapter that does so.
 *
 * <p>Per key, at most one frontier round trip is outstanding; settlements and a changed crawl-delay
 * arriving meanwhile are gathered and sent with the next one. The worker fetches at most {@code
 * slots} leases at once and claims a few more ({@link #prefetch}) so the next fetch starts the
 * moment a slot frees; it holds at most {@link #SETTLING_PER_SLOT} leases per slot waiting for
 * their results to be written and acknowledged. Keys that could not claim for lack of room wait in
 * a starved queue and are served first, in order, when room frees up. States are bounded whatever
 * the number of hosts: at most {@link #MAX_STARVED_KEYS} keys wait (a key announced beyond that is
 * dropped and comes back with the node's next announcement), and idle keys are forgotten after a
 * minute or beyond {@link #MAX_IDLE_KEYS}.
 *
 * <p>Counts, and the invariants that hold after every event ({@link #checkInvariants}, run after
 * every unit test):
 *
 * <ol>
 *   <li>{@code fetching} leases are being fetched: {@code 0 <= fetching <= slots}.
 *   <li>{@code waiting} leases are claimed but wait for a slot; there are some only while every
 *       slot is fetching.
 *   <li>{@code reserved} is the room asked for by round trips still outstanding.
 *   <li>{@code active = reserved + fetching + waiting <= slots + prefetch(slots)}: a slot is taken
 *       from the claim until the fetch phase ends.
 *   <li>{@code active <= held <= SETTLING_PER_SLOT * slots}: a lease stays held after its fetch
 *       until its result is written and its settlement queued for the frontier.
 *   <li>{@code settling >= 0} leases have their settlement queued or on its way to the frontier,
 *       not yet answered. The node is told {@code held + settling}: a node that leaves waits for it
 *       to reach zero before it gives back its leases, or a lease whose result is written could go
 *       back to the queue ahead of its settlement and be fetched again.
 *   <li>A key is in the starved queue at most once, exactly when its state says so, and the queue
 *       is not empty unless there is no room ({@link #room} {@code <= 0}) or the node is stopping.
 * </ol>
 */
final class ClaimScheduler {
  /** Delay before a failed round trip, or a key whose slots are held elsewhere, is tried again. */
  static final long FRONTIER_RETRY_MS = 1_000;

  /** Leases held waiting for their result to be written and acknowledged, per fetch slot. */
  static final int SETTLING_PER_SLOT = 4;

  /** How long a key stays idle before the worker forgets it. */
  static final long FORGET_IDLE_MS = 60_000;

  /**
   * Idle keys kept at most; beyond it the least recently idle is forgotten before its minute is up.
   * A fast crawl of one-page hosts goes through more hosts than this in a minute.
   */
  static final int MAX_IDLE_KEYS = 8_192;

  /**
   * Keys waiting for room at most. A key announced beyond it is not kept: the node announces every
   * key with URLs ready again every few seconds (KeyDispatch), so it is served then. A crawl seeded
   * with 100,000 hosts would otherwise hold a state for each of them from the start.
   */
  static final int MAX_STARVED_KEYS = 8_192;

  /** What the worker does next. */
  sealed interface Action {}

  /**
   * Send the key's settlements (and changed crawl-delay) to the frontier and claim up to {@code
   * reserve} URLs in the same round trip; answer with {@link #claimed} or {@link #roundTripFailed}.
   *
   * @param crawlDelay the key's new crawl-delay, or -1 when it did not change
   */
  record RoundTrip(
      String key,
      List<Settlement> settlements,
      long pauseUntil,
      long crawlDelay,
      int reserve,
      long now)
      implements Action {}

  /** Fetch a claimed lease now; answer with {@link #fetchOver} when its fetch phase ends. */
  record Fetch(String key, Lease lease) implements Action {}

  /**
   * Call {@link #wake} for the key at {@code at}, replacing any earlier wake-up; {@code at < 0}
   * cancels it.
   */
  record Wake(String key, long at) implements Action {}

  /** A lease whose result is written: its settlement goes to the frontier with the next trip. */
  record Written(String key, Settlement settlement) {}

  /** The limits a worker claims under. */
  record Limits(int slots, int perKey) {
    Limits {
      if (slots < 1 || perKey < 1) {
        throw new IllegalArgumentException("slots and perKey must be at least 1");
      }
    }
  }

  private static final class KeyState {
    final List<Settlement> settlements = new ArrayList<>();
    boolean roundTrip;
    boolean again;
    boolean starved;
    boolean robotsKnown;
    long crawlDelay;
    long crawlDelayToSend = -1;
    long pauseUntil;
    long wakeAt = -1;
  }

  private final Limits limits;
  private final BooleanSupplier stopping;
  private final Predicate<String> mayClaim;
  private final IntConsumer leasesChanged;
  private final Map<String, KeyState> keys = new HashMap<>();

  /** Keys whose last claim found them idle, and since when; least recently idle first. */
  private final LinkedHashMap<String, Long> idle = new LinkedHashMap<>();

  private final ArrayDeque<String> starved = new ArrayDeque<>();
  private final ArrayDeque<Fetch> waiting = new ArrayDeque<>();
  private int held;
  private int settling;
  private int active;
  private int fetching;
  private int reserved;
  private List<Action> out;

  /**
   * @param stopping whether the node is leaving: settle what is held, claim nothing more
   * @param mayClaim whether this node claims a key now (it may belong to another node)
   * @param leasesChanged told every change of {@code held + settling}: the leases this worker has
   *     not yet settled in the frontier (the node's gauge, and what a leaving node waits for)
   */
  ClaimScheduler(
      Limits limits,
      BooleanSupplier stopping,
      Predicate<String> mayClaim,
      IntConsumer leasesChanged) {
    this.limits = limits;
    this.stopping = stopping;
    this.mayClaim = mayClaim;
    this.leasesChanged = leasesChanged;
  }

  /** New URLs are queued on a key this worker owns. */
  List<Action> keyReady(String key, long now) {
    begin();
    idle.remove(key);
    KeyState state = keys.computeIfAbsent(key, k -> new KeyState());
    if (state.wakeAt >= 0 && state.pauseUntil <= now) {
      // Only a pause must be waited out; a wake-up for anything else is overtaken by new URLs.
      cancelWake(key, state);
    }
    if (state.wakeAt < 0) {
      roundTrip(key, state, now);
    }
    return end();
  }

  /** The wake-up asked for by a {@link Wake} is due. */
  List<Action> wake(String key, long now) {
    begin();
    KeyState state = keys.get(key);
    if (state != null && state.wakeAt >= 0) {
      state.wakeAt = -1;
      roundTrip(key, state, now);
    }
    return end();
  }

  /** A round trip's answer: the settlements were taken (or refused) and {@code claim} granted. */
  List<Action> claimed(RoundTrip trip, Claim claim, long now) {
    begin();
    KeyState state = keys.get(trip.key());
    state.roundTrip = false;
    settled(trip.settlements().size());
    reserved -= trip.reserve();
    int unused = trip.reserve() - claim.leases().size();
    hold(-unused);
    active -= unused;
    for (Lease lease : claim.leases()) {
      Fetch fetch = new Fetch(trip.key(), lease);
      if (fetching < limits.slots()) {
        fetching++;
        out.add(fetch);
      } else {
        // A prefetched lease: it starts when a fetch slot frees.
        waiting.addLast(fetch);
      }
    }
    String key = trip.key();
    if (state.again || !state.settlements.isEmpty() || state.crawlDelayToSend >= 0) {
      roundTrip(key, state, now);
    } else if (!claiming(key)) {
      // This node is not claiming the key now; whoever is will carry on.
    } else if (claim.wakeAt() != Claim.IDLE && claim.wakeAt() != Claim.ON_SETTLE) {
      wakeAt(key, state, claim.wakeAt());
    } else if (claim.wakeAt() == Claim.ON_SETTLE && claim.queued() > 0) {
      if (trip.reserve() < limits.perKey() && state.robotsKnown) {
        // The worker's room, not the key's limit, held this claim back.
        markStarved(key, state, now);
      } else if (claim.leases().isEmpty()) {
        // Slots are held elsewhere (another worker's or node's leases): look again shortly.
        wakeAt(key, state, now + FRONTIER_RETRY_MS);
      }
    }
    idle.remove(key);
    if (claim.leases().isEmpty() && nothingPending(state) && keys.get(key) == state) {
      // Idle for this worker, whatever the frontier's answer: the key's last URLs may be leased to
      // another worker or node (ON_SETTLE with none queued), it may belong to another node now, or
      // the host may have asked for a pause. New URLs or a late settlement bring it back; a key
      // left here without a listing would be kept for the rest of the crawl.
      idle.put(key, now);
    }
    forgetIdle(now);
    serveStarved(now);
    return end();
  }

  /**
   * Forgets keys idle here for {@link #FORGET_IDLE_MS} (their last claim got no lease, and there is
   * nothing to send or wait out), or a crawl of a million hosts would keep a state for each. New
   * URLs make a new one: robots.txt is then known again from the worker's cache, and the
   * crawl-delay is in the frontier. Keys idle for less are kept: a host whose queue runs dry
   * between two batches of links would otherwise claim one URL at a time again each time.
   */
  private void forgetIdle(long now) {
    List<String> notYet = null;
    var eldest = idle.entrySet().iterator();
    while (eldest.hasNext()) {
      var e = eldest.next();
      boolean over = idle.size() + (notYet == null ? 0 : notYet.size()) > MAX_IDLE_KEYS;
      if (e.getValue() > now - FORGET_IDLE_MS && !over) {
        break;
      }
      eldest.remove();
      KeyState state = keys.get(e.getKey());
      if (state == null) {
        continue;
      }
      if (quiet(state, now)) {
        keys.remove(e.getKey());
      } else {
        // Still paused, or something to send since: looked at again a minute from now, so the
        // state is forgotten once it is quiet instead of never.
        if (notYet == null) {
          notYet = new ArrayList<>();
        }
        notYet.add(e.getKey());
      }
    }
    if (notYet != null) {
      notYet.forEach(key -> idle.put(key, now));
    }
  }

  /** No round trip, wake-up or starved turn outstanding: only new URLs would do anything. */
  private static boolean nothingPending(KeyState state) {
    return !state.roundTrip
        && !state.again
        && !state.starved
        && state.settlements.isEmpty()
        && state.crawlDelayToSend < 0
        && state.wakeAt < 0;
  }

  private static boolean quiet(KeyState state, long now) {
    return nothingPending(state) && state.pauseUntil <= now;
  }

  /** The key's state; made anew for a key forgotten while idle whose lease came back late. */
  private KeyState state(String key) {
    return keys.computeIfAbsent(key, k -> new KeyState());
  }

  /** A round trip failed: its settlements and crawl-delay are sent again after a pause. */
  List<Action> roundTripFailed(RoundTrip trip, long now) {
    begin();
    KeyState state = keys.get(trip.key());
    state.roundTrip = false;
    reserved -= trip.reserve();
    hold(-trip.reserve());
    active -= trip.reserve();
    state.settlements.addAll(0, trip.settlements());
    if (trip.crawlDelay() >= 0 && state.crawlDelayToSend < 0) {
      state.crawlDelayToSend = trip.crawlDelay();
    }
    wakeAt(trip.key(), state, now + FRONTIER_RETRY_MS);
    serveStarved(now);
    return end();
  }

  /**
   * A key's robots.txt is known, with this crawl-delay (already capped): from now on its claims are
   * not limited to one URL, and a changed delay goes to the frontier with the next trip.
   */
  void robotsKnown(String key, long crawlDelayMs) {
    KeyState state = state(key);
    state.robotsKnown = true;
    if (crawlDelayMs != state.crawlDelay) {
      state.crawlDelay = crawlDelayMs;
      state.crawlDelayToSend = crawlDelayMs;
    }
  }

  /** The key's host asked for a pause: no request to it before {@code until}. */
  void pause(String key, long until) {
    KeyState state = state(key);
    state.pauseUntil = Math.max(state.pauseUntil, until);
  }

  /** A lease's fetch phase is over (fetched, excluded or put back): its slot is free. */
  List<Action> fetchOver(long now) {
    begin();
    active--;
    fetching--;
    Fetch next = waiting.pollFirst();
    if (next != null) {
      fetching++;
      out.add(next);
    }
    serveStarved(now);
    return end();
  }

  /** These leases' results are written: queue their settlements and send them. */
  List<Action> written(List<Written> batch, long now) {
    begin();
    Map<String, KeyState> touched = new LinkedHashMap<>();
    for (Written w : batch) {
      // An idle key is forgotten only when the frontier held no lease of it; a lease that had
      // expired there can still come back here, late.
      KeyState state = state(w.key());
      state.settlements.add(w.settlement());
      touched.put(w.key(), state);
    }
    // Room frees now; the lease stays this node's until the frontier answers its settlement.
    held -= batch.size();
    settling += batch.size();
    touched.forEach((key, state) -> roundTrip(key, state, now));
    serveStarved(now);
    return end();
  }

  /**
   * These leases' results could not be written: they are not settled (the leases expire and the
   * URLs are handed out again), only no longer held.
   */
  List<Action> writeFailed(int leases, long now) {
    begin();
    hold(-leases);
    serveStarved(now);
    return end();
  }

  private void roundTrip(String key, KeyState state, long now) {
    if (state.roundTrip) {
      state.again = true;
      return;
    }
    int max = Math.min(limits.perKey(), room());
    if (!claiming(key)) {
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
      markStarved(key, state, now);
      return;
    }
    int reserve = Math.max(0, max);
    List<Settlement> settlements = List.copyOf(state.settlements);
    state.settlements.clear();
    long crawlDelay = state.crawlDelayToSend;
    state.crawlDelayToSend = -1;
    state.roundTrip = true;
    state.again = false;
    hold(reserve);
    active += reserve;
    reserved += reserve;
    out.add(new RoundTrip(key, settlements, state.pauseUntil, crawlDelay, reserve, now));
  }

  private boolean claiming(String key) {
    return !stopping.getAsBoolean() && mayClaim.test(key);
  }

  /**
   * Returns how many more URLs the worker may claim: fetch slots not taken by a lease being fetched
   * (plus the prefetch), as long as the leases waiting for their result to be written and
   * acknowledged stay bounded. A slot frees when its fetch ends, not when the frontier acknowledges
   * the result, so the round trips after a fetch do not idle the connection.
   */
  int room() {
    int slots = limits.slots();
    return Math.min(slots + prefetch(slots) - active, SETTLING_PER_SLOT * slots - held);
  }

  /**
   * Returns how many leases the worker claims beyond its fetch slots, to start the next fetch the
   * moment a slot frees instead of after a frontier round trip (which, with a synchronous backup on
   * another node, costs milliseconds on every cycle).
   */
  static int prefetch(int slots) {
    return Math.max(1, slots / 4);
  }

  private void hold(int delta) {
    if (delta != 0) {
      held += delta;
      leasesChanged.accept(delta);
    }
  }

  /** The frontier answered these settlements (took them, or refused them as late). */
  private void settled(int leases) {
    if (leases != 0) {
      settling -= leases;
      leasesChanged.accept(-leases);
    }
  }

  private void markStarved(String key, KeyState state, long now) {
    if (state.starved) {
      return;
    }
    if (starved.size() >= MAX_STARVED_KEYS && quiet(state, now)) {
      // Nothing of it would be lost but its robots.txt flag: the next announcement makes it anew.
      keys.remove(key);
      idle.remove(key);
      return;
    }
    state.starved = true;
    starved.addLast(key);
  }

  private void serveStarved(long now) {
    while (room() > 0 && !starved.isEmpty()) {
      String key = starved.pollFirst();
      KeyState state = keys.get(key);
      state.starved = false;
      roundTrip(key, state, now);
    }
  }

  private void wakeAt(String key, KeyState state, long at) {
    state.wakeAt = at;
    out.add(new Wake(key, at));
  }

  private void cancelWake(String key, KeyState state) {
    state.wakeAt = -1;
    out.add(new Wake(key, -1));
  }

  private void begin() {
    out = new ArrayList<>(4);
  }

  private List<Action> end() {
    List<Action> actions = out;
    out = null;
    return actions;
  }

  /** Keys this worker keeps a state for; for tests. */
  int keysKnown() {
    return keys.size();
  }

  int held() {
    return held;
  }

  /** Returns {@code held + settling}: what the node's gauge counts. */
  int unsettled() {
    return held + settling;
  }

  int active() {
    return active;
  }

  int fetching() {
    return fetching;
  }

  int waiting() {
    return waiting.size();
  }

  /** Throws if an invariant of the class comment does not hold; for tests. */
  void checkInvariants() {
    int slots = limits.slots();
    check(fetching >= 0 && fetching <= slots, "0 <= fetching <= slots");
    check(waiting.isEmpty() || fetching == slots, "leases wait only while every slot fetches");
    check(reserved >= 0, "reserved >= 0");
    check(active == reserved + fetching + waiting.size(), "active = reserved + fetching + waiting");
    check(active <= slots + prefetch(slots), "active <= slots + prefetch");
    check(active <= held && held <= SETTLING_PER_SLOT * slots, "active <= held <= 4 * slots");
    check(settling >= 0, "settling >= 0");
    long marked = keys.values().stream().filter(s -> s.starved).count();
    check(
        marked == starved.size() && starved.stream().distinct().count() == starved.size(),
        "starved queue and starved flags agree");
    check(
        starved.isEmpty() || room() <= 0 || stopping.getAsBoolean(),
        "a key starves only while there is no room");
  }

  private static void check(boolean holds, String invariant) {
    if (!holds) {
      throw new IllegalStateException("invariant broken: " + invariant);
    }
  }
}
