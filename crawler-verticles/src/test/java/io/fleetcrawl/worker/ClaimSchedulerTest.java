package io.fleetcrawl.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fleetcrawl.frontier.Claim;
import io.fleetcrawl.frontier.Lease;
import io.fleetcrawl.frontier.Settlement;
import io.fleetcrawl.model.CrawlRequest;
import io.fleetcrawl.worker.ClaimScheduler.Action;
import io.fleetcrawl.worker.ClaimScheduler.Fetch;
import io.fleetcrawl.worker.ClaimScheduler.Limits;
import io.fleetcrawl.worker.ClaimScheduler.RoundTrip;
import io.fleetcrawl.worker.ClaimScheduler.Wake;
import io.fleetcrawl.worker.ClaimScheduler.Written;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The claim scheduler on fake time: every event's actions, and the invariants after each test. */
class ClaimSchedulerTest {
  private final AtomicBoolean stopping = new AtomicBoolean();
  private final Set<String> foreignKeys = new HashSet<>();
  private final AtomicInteger leasesGauge = new AtomicInteger();
  private ClaimScheduler scheduler = scheduler(2, 4);
  private long nextLeaseId = 1;

  private ClaimScheduler scheduler(int slots, int perKey) {
    return new ClaimScheduler(
        new Limits(slots, perKey),
        stopping::get,
        key -> !foreignKeys.contains(key),
        leasesGauge::addAndGet);
  }

  @AfterEach
  void invariantsHoldAndTheGaugeFollowsTheUnsettledCount() {
    scheduler.checkInvariants();
    assertEquals(scheduler.unsettled(), leasesGauge.get());
  }

  private Lease lease(String key) {
    return new Lease(nextLeaseId++, CrawlRequest.seed("http://" + key + "/" + nextLeaseId), 0, "m");
  }

  private Claim claim(String key, int leases, long wakeAt, int queued) {
    List<Lease> granted = new ArrayList<>();
    for (int i = 0; i < leases; i++) {
      granted.add(lease(key));
    }
    return new Claim(granted, wakeAt, queued);
  }

  private static <T extends Action> List<T> only(List<Action> actions, Class<T> type) {
    return actions.stream().filter(type::isInstance).map(type::cast).toList();
  }

  private static RoundTrip single(List<Action> actions) {
    List<RoundTrip> trips = only(actions, RoundTrip.class);
    assertEquals(1, trips.size(), "one round trip in " + actions);
    return trips.get(0);
  }

  /** Claims, fetches and writes one lease of a new key, so its robots.txt becomes known. */
  private void warmUp(String key, long crawlDelay) {
    RoundTrip trip = single(scheduler.keyReady(key, 0));
    Lease lease =
        only(scheduler.claimed(trip, claim(key, 1, Claim.IDLE, 0), 0), Fetch.class).get(0).lease();
    scheduler.robotsKnown(key, crawlDelay);
    scheduler.fetchOver(0);
    RoundTrip settle =
        single(scheduler.written(List.of(new Written(key, Settlement.done(lease.id()))), 0));
    scheduler.claimed(settle, claim(key, 0, Claim.IDLE, 0), 0);
  }

  @Test
  void aNewKeyClaimsOneUrlUntilItsRobotsTxtIsKnown() {
    RoundTrip trip = single(scheduler.keyReady("a", 100));
    assertEquals(1, trip.reserve());
    assertEquals(100, trip.now());
    assertEquals(List.of(), trip.settlements());
  }

  @Test
  void onceRobotsTxtIsKnownAKeyClaimsUpToItsLimitAndSendsTheCrawlDelayOnce() {
    scheduler = scheduler(8, 4);
    RoundTrip first = single(scheduler.keyReady("a", 0));
    List<Action> fetches = scheduler.claimed(first, claim("a", 1, Claim.IDLE, 5), 0);
    Lease lease = only(fetches, Fetch.class).get(0).lease();
    scheduler.robotsKnown("a", 2_000);
    scheduler.fetchOver(0);
    RoundTrip second =
        single(scheduler.written(List.of(new Written("a", Settlement.done(lease.id()))), 0));
    assertEquals(4, second.reserve());
    assertEquals(2_000, second.crawlDelay());
    assertEquals(List.of(Settlement.done(lease.id())), second.settlements());
    scheduler.claimed(second, claim("a", 0, Claim.IDLE, 0), 0);
    scheduler.robotsKnown("a", 2_000);
    assertEquals(-1, single(scheduler.keyReady("a", 0)).crawlDelay());
  }

  @Test
  void aKeyIdleForAMinuteIsForgottenAndOneIdleForLessIsKept() {
    scheduler = scheduler(8, 4);
    warmUp("a", 0);
    warmUp("b", 0);
    // "b" gets new URLs before a minute is up, goes idle again; "a" stays idle.
    RoundTrip b = single(scheduler.keyReady("b", 30_000));
    assertEquals(4, b.reserve(), "a kept key still knows its robots.txt");
    scheduler.claimed(b, claim("b", 0, Claim.IDLE, 0), 30_000);
    // A claim a minute after "a" went idle forgets it (and only it).
    RoundTrip c = single(scheduler.keyReady("c", ClaimScheduler.FORGET_IDLE_MS));
    scheduler.claimed(c, claim("c", 0, Claim.IDLE, 0), ClaimScheduler.FORGET_IDLE_MS);

    assertEquals(
        1,
        single(scheduler.keyReady("a", ClaimScheduler.FORGET_IDLE_MS)).reserve(),
        "a forgotten key starts anew: one URL until its robots.txt is known");
    assertEquals(
        4, single(scheduler.keyReady("b", ClaimScheduler.FORGET_IDLE_MS)).reserve(), "b is kept");
  }

  /** A claim of a new key at {@code now}, answered idle: it runs the forgetting of idle keys. */
  private void tick(String key, long now) {
    scheduler.claimed(single(scheduler.keyReady(key, now)), claim(key, 0, Claim.IDLE, 0), now);
  }

  @Test
  void aKeyWhoseLastUrlsAnotherWorkerHoldsIsForgottenAMinuteLater() {
    scheduler = scheduler(8, 4);
    warmUp("a", 0);
    // New URLs, but another worker (or node) leased them first: nothing queued, slots held there.
    RoundTrip trip = single(scheduler.keyReady("a", 10));
    assertEquals(List.of(), scheduler.claimed(trip, claim("a", 0, Claim.ON_SETTLE, 0), 10));
    assertEquals(1, scheduler.keysKnown());
    tick("c", 10 + ClaimScheduler.FORGET_IDLE_MS);
    assertEquals(1, scheduler.keysKnown(), "only c is kept");
    assertEquals(
        1,
        single(scheduler.keyReady("a", 20 + ClaimScheduler.FORGET_IDLE_MS)).reserve(),
        "a starts anew");
  }

  @Test
  void aKeyThatMovedToAnotherNodeIsForgottenAMinuteLater() {
    scheduler = scheduler(8, 4);
    warmUp("a", 0);
    RoundTrip trip = single(scheduler.keyReady("a", 10));
    foreignKeys.add("a");
    // URLs are left, but the key's partition moved: its new owner claims them.
    assertEquals(List.of(), scheduler.claimed(trip, claim("a", 0, Claim.ON_SETTLE, 7), 10));
    tick("c", 10 + ClaimScheduler.FORGET_IDLE_MS);
    assertEquals(1, scheduler.keysKnown(), "only c is kept");
  }

  @Test
  void aPausedKeyIsForgottenOnlyOnceItsPauseIsOver() {
    scheduler = scheduler(8, 4);
    warmUp("a", 0);
    long pauseEnd = 3 * ClaimScheduler.FORGET_IDLE_MS / 2;
    scheduler.pause("a", pauseEnd);
    tick("c", ClaimScheduler.FORGET_IDLE_MS);
    assertEquals(2, scheduler.keysKnown(), "a, paused, is kept");
    tick("d", pauseEnd + 1);
    assertEquals(3, scheduler.keysKnown(), "a minute after it was looked at again, not before");
    tick("e", 2 * ClaimScheduler.FORGET_IDLE_MS + 1);
    assertEquals(
        1,
        single(scheduler.keyReady("a", 2 * ClaimScheduler.FORGET_IDLE_MS + 2)).reserve(),
        "a, its pause over, is forgotten");
  }

  @Test
  void beyondTheIdleCapTheLeastRecentlyIdleKeysAreForgottenBeforeTheirMinute() {
    scheduler = scheduler(8, 4);
    int keys = ClaimScheduler.MAX_IDLE_KEYS + 10;
    for (int i = 0; i < keys; i++) {
      tick("k" + i, i);
    }
    assertEquals(ClaimScheduler.MAX_IDLE_KEYS, scheduler.keysKnown());
    warmUp("warm", keys);
    assertEquals(ClaimScheduler.MAX_IDLE_KEYS, scheduler.keysKnown());
    assertEquals(
        4, single(scheduler.keyReady("warm", keys + 1)).reserve(), "the most recent is kept");
  }

  @Test
  void keysAnnouncedBeyondTheStarvedCapAreNotKeptAndAreServedWhenAnnouncedAgain() {
    scheduler = scheduler(1, 1);
    // Two claims of one URL take the worker's room (one slot and one prefetched).
    RoundTrip first = single(scheduler.keyReady("first", 0));
    single(scheduler.keyReady("second", 0));
    int announced = ClaimScheduler.MAX_STARVED_KEYS + 100;
    for (int i = 0; i < announced; i++) {
      assertEquals(List.of(), scheduler.keyReady("s" + i, 1));
    }
    assertEquals(2 + ClaimScheduler.MAX_STARVED_KEYS, scheduler.keysKnown(), "kept: the cap");

    // Room frees: the queue is served in order of announcement.
    RoundTrip served = single(scheduler.claimed(first, claim("first", 0, Claim.IDLE, 0), 2));
    assertEquals("s0", served.key());
    // A key dropped at the cap is served once it is announced again and its turn comes.
    String dropped = "s" + (announced - 1);
    assertEquals(List.of(), scheduler.keyReady(dropped, 3));
    RoundTrip next = served;
    for (int i = 1; i < ClaimScheduler.MAX_STARVED_KEYS; i++) {
      next = single(scheduler.claimed(next, claim(next.key(), 0, Claim.IDLE, 0), 4));
      assertEquals("s" + i, next.key());
    }
    next = single(scheduler.claimed(next, claim(next.key(), 0, Claim.IDLE, 0), 5));
    assertEquals(dropped, next.key());
    scheduler.claimed(next, claim(dropped, 0, Claim.IDLE, 0), 5);
  }

  @Test
  void aLeaseThatComesBackAfterItsKeyWasForgottenIsStillSettled() {
    scheduler = scheduler(8, 4);
    RoundTrip first = single(scheduler.keyReady("a", 0));
    Lease lease =
        only(scheduler.claimed(first, claim("a", 1, Claim.ON_SETTLE, 0), 0), Fetch.class)
            .get(0)
            .lease();
    // The frontier saw the lease expire, handed the URL out again and went idle meanwhile.
    RoundTrip again = single(scheduler.keyReady("a", 1));
    scheduler.fetchOver(1);
    scheduler.claimed(again, claim("a", 0, Claim.IDLE, 0), 1);
    RoundTrip d = single(scheduler.keyReady("d", ClaimScheduler.FORGET_IDLE_MS + 1));
    scheduler.claimed(d, claim("d", 0, Claim.IDLE, 0), ClaimScheduler.FORGET_IDLE_MS + 1);

    RoundTrip settle =
        single(
            scheduler.written(
                List.of(new Written("a", Settlement.done(lease.id()))),
                ClaimScheduler.FORGET_IDLE_MS + 2));
    assertEquals(List.of(Settlement.done(lease.id())), settle.settlements());
    scheduler.claimed(settle, claim("a", 0, Claim.IDLE, 0), ClaimScheduler.FORGET_IDLE_MS + 2);
  }

  @Test
  void leasesBeyondTheFetchSlotsWaitAndStartWhenASlotFrees() {
    scheduler = scheduler(2, 8);
    warmUp("a", 0);
    RoundTrip trip = single(scheduler.keyReady("a", 0));
    assertEquals(3, trip.reserve(), "two slots and one prefetched lease");
    List<Fetch> started =
        only(scheduler.claimed(trip, claim("a", 3, Claim.ON_SETTLE, 9), 0), Fetch.class);
    assertEquals(2, started.size());
    assertEquals(1, scheduler.waiting());
    List<Fetch> next = only(scheduler.fetchOver(0), Fetch.class);
    assertEquals(1, next.size());
    assertEquals(0, scheduler.waiting());
    assertEquals(2, scheduler.fetching());
  }

  @Test
  void aKeyHasOneRoundTripOutstandingAndWhatArrivesMeanwhileGoesWithTheNext() {
    scheduler = scheduler(2, 2);
    warmUp("a", 0);
    RoundTrip trip = single(scheduler.keyReady("a", 0));
    List<Fetch> fetches =
        only(scheduler.claimed(trip, claim("a", 2, Claim.ON_SETTLE, 5), 0), Fetch.class);
    scheduler.fetchOver(0);
    RoundTrip settle =
        single(
            scheduler.written(
                List.of(new Written("a", Settlement.done(fetches.get(0).lease().id()))), 0));
    assertEquals(List.of(), only(scheduler.keyReady("a", 0), RoundTrip.class));
    scheduler.fetchOver(0);
    assertEquals(
        List.of(),
        only(
            scheduler.written(
                List.of(new Written("a", Settlement.done(fetches.get(1).lease().id()))), 0),
            RoundTrip.class));
    RoundTrip next = single(scheduler.claimed(settle, claim("a", 0, Claim.IDLE, 0), 0));
    assertEquals(List.of(Settlement.done(fetches.get(1).lease().id())), next.settlements());
    scheduler.claimed(next, claim("a", 0, Claim.IDLE, 0), 0);
  }

  @Test
  void aKeyWithoutRoomStarvesAndIsServedInOrderWhenRoomFrees() {
    scheduler = scheduler(1, 1);
    warmUp("a", 0);
    warmUp("b", 0);
    warmUp("c", 0);
    RoundTrip a = single(scheduler.keyReady("a", 0));
    Lease leaseA =
        only(scheduler.claimed(a, claim("a", 1, Claim.ON_SETTLE, 3), 0), Fetch.class)
            .get(0)
            .lease();
    RoundTrip b = single(scheduler.keyReady("b", 0));
    scheduler.claimed(b, claim("b", 1, Claim.ON_SETTLE, 3), 0);
    assertEquals(0, scheduler.room());
    assertEquals(List.of(), scheduler.keyReady("c", 0), "no room: c starves");
    List<Action> afterFetch = scheduler.fetchOver(0);
    assertTrue(only(afterFetch, Fetch.class).size() == 1, "b's prefetched lease starts");
    RoundTrip settle =
        single(scheduler.written(List.of(new Written("a", Settlement.done(leaseA.id()))), 0));
    assertEquals("a", settle.key());
    assertEquals(0, settle.reserve(), "c starved first, so a only settles");
    scheduler.claimed(settle, claim("a", 0, Claim.ON_SETTLE, 3), 0);
  }

  @Test
  void theFrontiersWakeTimeBecomesAWakeAndNewUrlsDoNotOvertakeAPause() {
    warmUp("a", 0);
    RoundTrip trip = single(scheduler.keyReady("a", 0));
    scheduler.pause("a", 5_000);
    List<Action> actions = scheduler.claimed(trip, claim("a", 0, 5_000, 3), 10);
    assertEquals(List.of(new Wake("a", 5_000)), actions);
    assertEquals(List.of(), scheduler.keyReady("a", 1_000), "paused until 5000");
    RoundTrip woken = single(scheduler.wake("a", 5_000));
    assertEquals(5_000, woken.pauseUntil());
    assertEquals(List.of(), scheduler.wake("a", 5_001), "a wake-up fires once");
    scheduler.claimed(woken, claim("a", 0, Claim.IDLE, 0), 5_001);
  }

  @Test
  void newUrlsOvertakeAWakeUpThatIsNoPause() {
    warmUp("a", 0);
    RoundTrip trip = single(scheduler.keyReady("a", 0));
    scheduler.claimed(trip, claim("a", 0, 900, 1), 0);
    List<Action> actions = scheduler.keyReady("a", 100);
    assertEquals(new Wake("a", -1), actions.get(0));
    RoundTrip again = single(actions);
    scheduler.claimed(again, claim("a", 0, Claim.IDLE, 0), 100);
  }

  @Test
  void aFailedRoundTripSendsItsSettlementsAndCrawlDelayAgainAfterARetryDelay() {
    scheduler = scheduler(4, 4);
    RoundTrip first = single(scheduler.keyReady("a", 0));
    Lease lease =
        only(scheduler.claimed(first, claim("a", 1, Claim.IDLE, 0), 0), Fetch.class).get(0).lease();
    scheduler.robotsKnown("a", 700);
    scheduler.fetchOver(0);
    RoundTrip trip =
        single(scheduler.written(List.of(new Written("a", Settlement.done(lease.id()))), 0));
    int heldBefore = scheduler.held();
    List<Action> failed = scheduler.roundTripFailed(trip, 50);
    assertEquals(List.of(new Wake("a", 50 + ClaimScheduler.FRONTIER_RETRY_MS)), failed);
    assertEquals(heldBefore - trip.reserve(), scheduler.held());
    RoundTrip retried = single(scheduler.wake("a", 1_050));
    assertEquals(List.of(Settlement.done(lease.id())), retried.settlements());
    assertEquals(700, retried.crawlDelay());
    scheduler.claimed(retried, claim("a", 0, Claim.IDLE, 0), 1_050);
  }

  /** Claims and fetches one lease of key "a" (more queued); the node starts leaving meanwhile. */
  private Lease fetchedWhenTheNodeStops() {
    scheduler = scheduler(2, 2);
    warmUp("a", 0);
    RoundTrip trip = single(scheduler.keyReady("a", 0));
    Lease lease =
        only(scheduler.claimed(trip, claim("a", 1, Claim.ON_SETTLE, 4), 0), Fetch.class)
            .get(0)
            .lease();
    stopping.set(true);
    scheduler.fetchOver(0);
    return lease;
  }

  @Test
  void aStoppingNodeSettlesWhatItHoldsAndClaimsNothing() {
    Lease lease = fetchedWhenTheNodeStops();
    RoundTrip settle =
        single(scheduler.written(List.of(new Written("a", Settlement.done(lease.id()))), 0));
    assertEquals(0, settle.reserve());
    assertEquals(List.of(), scheduler.claimed(settle, claim("a", 0, Claim.ON_SETTLE, 4), 0));
    assertEquals(List.of(), scheduler.keyReady("a", 0));
    assertEquals(0, scheduler.held());
  }

  /**
   * A leaving node gives back the leases it still holds once its gauge reads zero. A lease whose
   * result is written but whose settlement the frontier has not answered must still count: given
   * back first, its URL would be queued again and fetched a second time.
   */
  @Test
  void aWrittenLeaseCountsAsUnsettledUntilTheFrontierAnswersItsSettlement() {
    Lease lease = fetchedWhenTheNodeStops();
    RoundTrip settle =
        single(scheduler.written(List.of(new Written("a", Settlement.done(lease.id()))), 0));
    assertEquals(0, scheduler.held(), "its room is free");
    assertEquals(1, leasesGauge.get(), "its settlement is on its way");
    scheduler.roundTripFailed(settle, 10);
    assertEquals(1, leasesGauge.get(), "a failed trip leaves it unsettled");
    RoundTrip again = single(scheduler.wake("a", 10 + ClaimScheduler.FRONTIER_RETRY_MS));
    assertEquals(List.of(Settlement.done(lease.id())), again.settlements());
    scheduler.claimed(again, claim("a", 0, Claim.ON_SETTLE, 4), 1_010);
    assertEquals(0, leasesGauge.get(), "answered: nothing left to wait for");
  }

  @Test
  void aKeyAnotherNodeClaimsNowGetsOnlyItsSettlementsSent() {
    warmUp("a", 0);
    foreignKeys.add("a");
    assertEquals(List.of(), scheduler.keyReady("a", 0));
  }

  @Test
  void leasesWhoseResultsCannotBeWrittenAreReleasedButNotSettled() {
    warmUp("a", 0);
    RoundTrip trip = single(scheduler.keyReady("a", 0));
    scheduler.claimed(trip, claim("a", 2, Claim.ON_SETTLE, 0), 0);
    scheduler.fetchOver(0);
    scheduler.fetchOver(0);
    stopping.set(true);
    assertEquals(List.of(), scheduler.writeFailed(2, 0));
    assertEquals(0, scheduler.held());
  }

  @Test
  void leasesWaitingForTheirWriteAreBoundedAtFourPerSlot() {
    scheduler = scheduler(1, 1);
    warmUp("a", 0);
    for (int i = 0; i < 4; i++) {
      RoundTrip trip = single(scheduler.keyReady("a", 0));
      scheduler.claimed(trip, claim("a", trip.reserve(), Claim.ON_SETTLE, 10), 0);
      scheduler.fetchOver(0);
    }
    assertEquals(4, scheduler.held());
    assertEquals(0, scheduler.room());
    assertEquals(List.of(), scheduler.keyReady("a", 0), "no claim until a write frees room");
  }

  /**
   * Drives the scheduler with a fake frontier and random event order (answers, fetch ends, writes,
   * wake-ups, new keys, failed round trips and writes): the invariants hold after every event, and
   * once the events stop every lease granted is settled or released.
   */
  @Test
  void invariantsHoldAfterEveryEventOfRandomRunsAndEveryLeaseEnds() {
    for (int seed = 0; seed < 40; seed++) {
      Random random = new Random(seed);
      scheduler = scheduler(1 + random.nextInt(6), 1 + random.nextInt(5));
      leasesGauge.set(0);
      Simulation sim = new Simulation(random);
      for (int step = 0; step < 3_000; step++) {
        sim.step(false);
        scheduler.checkInvariants();
        assertEquals(scheduler.unsettled(), leasesGauge.get(), "seed " + seed + " step " + step);
      }
      for (int step = 0; step < 100_000 && !sim.idle(); step++) {
        sim.step(true);
        scheduler.checkInvariants();
      }
      assertTrue(sim.idle(), "seed " + seed + ": the run drains");
      assertEquals(Set.of(), sim.open, "seed " + seed + ": every lease granted was settled");
      assertEquals(0, scheduler.held(), "seed " + seed);
      assertEquals(0, leasesGauge.get(), "seed " + seed + ": nothing left unsettled");
      // Drained, a minute later: every key is forgotten but the one just claimed.
      sim.now += 2 * ClaimScheduler.FORGET_IDLE_MS;
      tick("fresh", sim.now);
      tick("fresh2", sim.now + ClaimScheduler.FORGET_IDLE_MS + 1);
      assertEquals(1, scheduler.keysKnown(), "seed " + seed + ": states kept after the crawl");
    }
  }

  /** A fake frontier and event loop around the scheduler. */
  private final class Simulation {
    final Random random;
    final Map<String, Integer> queued = new HashMap<>();
    final List<RoundTrip> trips = new ArrayList<>();
    final List<Fetch> fetching = new ArrayList<>();
    final List<Written> finished = new ArrayList<>();
    final Map<String, Long> wakes = new HashMap<>();
    final Set<Long> open = new HashSet<>();
    long now;

    Simulation(Random random) {
      this.random = random;
    }

    boolean idle() {
      return trips.isEmpty() && fetching.isEmpty() && finished.isEmpty() && wakes.isEmpty();
    }

    /** One event; when draining, no new URLs, no failures, and claims grant all they may. */
    void step(boolean draining) {
      now += random.nextInt(50);
      int event = random.nextInt(draining ? 5 : 7);
      List<Action> actions = List.of();
      if (!draining && (event == 0 || idle())) {
        String key = "k" + random.nextInt(12);
        queued.merge(key, 1 + random.nextInt(5), Integer::sum);
        actions = scheduler.keyReady(key, now);
      } else if (event == 1 && !trips.isEmpty()) {
        RoundTrip trip = trips.remove(random.nextInt(trips.size()));
        if (!draining && random.nextInt(20) == 0) {
          actions = scheduler.roundTripFailed(trip, now);
        } else {
          trip.settlements().forEach(s -> open.remove(s.leaseId()));
          int left = queued.getOrDefault(trip.key(), 0);
          int granted =
              Math.min(left, draining ? trip.reserve() : random.nextInt(trip.reserve() + 1));
          queued.put(trip.key(), left - granted);
          Claim claim =
              claim(
                  trip.key(),
                  granted,
                  left - granted > 0 ? Claim.ON_SETTLE : Claim.IDLE,
                  left - granted);
          claim.leases().forEach(l -> open.add(l.id()));
          actions = scheduler.claimed(trip, claim, now);
        }
      } else if (event == 2 && !fetching.isEmpty()) {
        Fetch fetch = fetching.remove(random.nextInt(fetching.size()));
        scheduler.robotsKnown(fetch.key(), random.nextInt(3) * 100L);
        finished.add(new Written(fetch.key(), Settlement.done(fetch.lease().id())));
        actions = scheduler.fetchOver(now);
      } else if (event == 3 && !finished.isEmpty()) {
        int n = 1 + random.nextInt(finished.size());
        List<Written> batch = new ArrayList<>(finished.subList(0, n));
        finished.subList(0, n).clear();
        if (!draining && random.nextInt(30) == 0) {
          batch.forEach(w -> open.remove(w.settlement().leaseId()));
          actions = scheduler.writeFailed(batch.size(), now);
        } else {
          actions = scheduler.written(batch, now);
        }
      } else if (event == 4 && !wakes.isEmpty()) {
        String key = wakes.keySet().iterator().next();
        wakes.remove(key);
        actions = scheduler.wake(key, now);
      }
      for (Action action : actions) {
        if (action instanceof RoundTrip trip) {
          trips.add(trip);
        } else if (action instanceof Fetch fetch) {
          fetching.add(fetch);
        } else if (action instanceof Wake wake) {
          if (wake.at() < 0) {
            wakes.remove(wake.key());
          } else {
            wakes.put(wake.key(), wake.at());
          }
        }
      }
      assertEquals(
          scheduler.held(),
          trips.stream().mapToInt(RoundTrip::reserve).sum()
              + fetching.size()
              + scheduler.waiting()
              + finished.size(),
          "every held lease is reserved, fetching, waiting or unwritten");
      assertEquals(
          trips.stream().mapToInt(RoundTrip::reserve).sum() + open.size(),
          leasesGauge.get(),
          "the gauge counts every lease granted and not yet settled, and the room reserved");
    }
  }
}
