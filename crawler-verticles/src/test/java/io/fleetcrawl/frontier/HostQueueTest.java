package io.fleetcrawl.frontier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fleetcrawl.model.CrawlRequest;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class HostQueueTest {
  private static final long LEASE_MS = 10_000;
  private final HostQueue queue = new HostQueue();

  @AfterEach
  void invariantsHold() {
    queue.checkInvariants();
  }

  /** Returns the queue as a backup or migrated partition would hold it: written and read back. */
  private static <T> T roundTrip(T queue) {
    var serialization =
        new com.hazelcast.internal.serialization.impl.DefaultSerializationServiceBuilder()
            .setConfig(
                FrontierSerialization.register(new com.hazelcast.config.Config())
                    .getSerializationConfig())
            .build();
    return serialization.toObject(serialization.toData(queue));
  }

  /** Claims what may go at {@code now} (plenty of slots), settles it at once; returns how many. */
  private int claimAndSettle(long now) {
    List<Lease> leases = queue.claim(now, 10, 64, LEASE_MS).leases();
    leases.forEach(l -> queue.settle(Settlement.done(l.id())));
    return leases.size();
  }

  private static List<CrawlRequest> urls(String... paths) {
    return java.util.Arrays.stream(paths).map(p -> CrawlRequest.seed("http://a.test" + p)).toList();
  }

  @Test
  void offerRefusesUrlsAlreadySeenEvenAfterTheyAreDone() {
    assertArrayEquals(new boolean[] {true, true, false}, queue.offer(urls("/1", "/2", "/1")));
    Claim claim = queue.claim(0, 10, 10, LEASE_MS);
    claim.leases().forEach(l -> queue.settle(Settlement.done(l.id())));
    assertArrayEquals(new boolean[] {false, true}, queue.offer(urls("/2", "/3")));
  }

  @Test
  void claimKeepsAtMostLimitLeasesOutstanding() {
    queue.offer(urls("/1", "/2", "/3", "/4", "/5"));
    assertEquals(2, queue.claim(0, 10, 2, LEASE_MS).leases().size());
    Claim second = queue.claim(0, 10, 2, LEASE_MS);
    assertEquals(0, second.leases().size());
    assertEquals(Claim.ON_SETTLE, second.wakeAt());
    assertEquals(3, second.queued());
  }

  @Test
  void claimHandsOutUrlsInTheOrderTheyArrived() {
    queue.offer(urls("/1", "/2", "/3"));
    List<String> order =
        queue.claim(0, 3, 3, LEASE_MS).leases().stream().map(l -> l.request().url()).toList();
    assertEquals(List.of("http://a.test/1", "http://a.test/2", "http://a.test/3"), order);
  }

  @Test
  void crawlDelaySpacesRequestsOneAtATime() {
    queue.setCrawlDelay(5_000, 0);
    queue.offer(urls("/1", "/2"));
    Claim first = queue.claim(1_000, 10, 10, LEASE_MS);
    assertEquals(1, first.leases().size());
    queue.settle(Settlement.done(first.leases().get(0).id()));
    Claim early = queue.claim(5_999, 10, 10, LEASE_MS);
    assertEquals(0, early.leases().size());
    assertEquals(6_000, early.wakeAt());
    assertEquals(1, queue.claim(6_000, 10, 10, LEASE_MS).leases().size());
  }

  @Test
  void crawlDelayLearnedAfterTheFirstRequestDelaysTheSecond() {
    queue.offer(urls("/1", "/2"));
    // The worker claims one URL at a time until it knows the host's robots.txt.
    Claim first = queue.claim(1_000, 1, 10, LEASE_MS);
    assertEquals(1, first.leases().size());
    // robots.txt arrives with the first settlement, 300 ms later, asking for 5 s.
    queue.settle(Settlement.done(first.leases().get(0).id()));
    queue.setCrawlDelay(5_000, 1_300);
    assertEquals(0, queue.claim(1_300, 10, 10, LEASE_MS).leases().size());
    assertEquals(0, queue.claim(6_299, 10, 10, LEASE_MS).leases().size());
    assertEquals(1, queue.claim(6_300, 10, 10, LEASE_MS).leases().size());
  }

  @Test
  void expiredLeaseIsQueuedAgainAndItsLateSettlementIsRefused() {
    queue.offer(urls("/1"));
    Lease first = queue.claim(0, 1, 1, LEASE_MS).leases().get(0);
    Lease second = queue.claim(LEASE_MS, 1, 1, LEASE_MS).leases().get(0);
    assertEquals(first.request(), second.request());
    assertTrue(second.id() > first.id());
    assertFalse(queue.settle(Settlement.done(first.id())), "late settlement must be fenced off");
    assertTrue(queue.settle(Settlement.done(second.id())));
    assertEquals(1, queue.done());
  }

  @Test
  void retryWaitsUntilItsTimeAndCountsTheAttempt() {
    queue.offer(urls("/1"));
    Lease lease = queue.claim(0, 1, 1, LEASE_MS).leases().get(0);
    queue.settle(Settlement.retry(lease.id(), 2_000, true));
    Claim early = queue.claim(1_999, 1, 1, LEASE_MS);
    assertEquals(0, early.leases().size());
    assertEquals(2_000, early.wakeAt());
    Lease again = queue.claim(2_000, 1, 1, LEASE_MS).leases().get(0);
    assertEquals(1, again.request().attempts());
    queue.settle(Settlement.done(again.id()));
  }

  @Test
  void aKeyWhoseOnlyUrlWaitsForItsRetryIsDueOnceTheRetryTimeHasCome() {
    queue.offer(urls("/1"));
    Lease lease = queue.claim(0, 1, 1, LEASE_MS).leases().get(0);
    assertFalse(queue.hasDue(0), "leased: nothing to claim");
    queue.settle(Settlement.retry(lease.id(), 2_000, true));
    assertEquals(0, queue.ready());
    assertFalse(queue.hasDue(1_999));
    assertTrue(queue.hasDue(2_000), "due, though not ready until a claim moves it");
    assertFalse(new FrontierProcessors.HasReady(1_999).apply(java.util.Map.entry("h", queue)));
    FrontierProcessors.HasReady scan = roundTrip(new FrontierProcessors.HasReady(2_000));
    assertTrue(scan.apply(java.util.Map.entry("h", queue)), "the frontier scan finds the key");
    queue.settle(Settlement.done(queue.claim(2_000, 1, 1, LEASE_MS).leases().get(0).id()));
  }

  @Test
  void throttledRetryDoesNotCountAnAttempt() {
    queue.offer(urls("/1"));
    Lease lease = queue.claim(0, 1, 1, LEASE_MS).leases().get(0);
    queue.settle(Settlement.retry(lease.id(), 0, false));
    assertEquals(0, queue.claim(0, 1, 1, LEASE_MS).leases().get(0).request().attempts());
  }

  @Test
  void pauseHoldsEveryClaimUntilItEnds() {
    queue.offer(urls("/1"));
    queue.pauseUntil(3_000);
    Claim paused = queue.claim(2_999, 1, 1, LEASE_MS);
    assertEquals(0, paused.leases().size());
    assertEquals(3_000, paused.wakeAt());
    assertEquals(1, queue.claim(3_000, 1, 1, LEASE_MS).leases().size());
  }

  @Test
  void aRetryAfterPauseHoldsEveryMembersClaimsEvenUnderABudget() {
    queue.offer(urls("/1", "/2", "/3"));
    queue.setBudget(4, 1_000);
    assertEquals(1, queue.claim(0, 4, 8, LEASE_MS, "a").leases().size());
    // a's request got a 429 with Retry-After: 5 s; its settlement pauses the key for everyone.
    queue.pauseUntil(5_000);
    for (String member : List.of("a", "b", "c")) {
      Claim held = queue.claim(4_999, 4, 8, LEASE_MS, member);
      assertTrue(held.leases().isEmpty(), member + " must not send before the Retry-After");
      assertEquals(5_000, held.wakeAt());
    }
    assertEquals(1, queue.claim(5_000, 4, 8, LEASE_MS, "b").leases().size());
  }

  @Test
  void aKeyHoldingItsMostUrlsRefusesNewOnesButStillTellsDuplicatesApart() throws Exception {
    var entry = new java.util.AbstractMap.SimpleEntry<String, HostQueue>("a.test", queue);
    var offer = new FrontierProcessors.Offer(urls("/1", "/2", "/3"), 3);
    assertArrayEquals(new boolean[] {true, true, true}, offer.process(entry).admitted());
    OfferResult result =
        roundTrip(new FrontierProcessors.Offer(urls("/1", "/4", "/4", "/5"), 3)).process(entry);
    assertArrayEquals(new boolean[] {false, false, false, false}, result.admitted());
    // As the node that offered them receives the answer: written and read back.
    OfferResult received = roundTrip(result);
    assertFalse(received.full(0), "/1 is a duplicate, not refused for the limit");
    assertTrue(received.full(1) && received.full(2) && received.full(3), "/4 and /5 are new");
    assertEquals(3, queue.seen());
    assertEquals(3, queue.queued());
    assertEquals(
        3, claimAndSettle(0) + claimAndSettle(1) + claimAndSettle(2), "the admitted ones are kept");
    OfferResult below = new FrontierProcessors.Offer(urls("/6"), 4).process(entry);
    assertArrayEquals(new boolean[] {true}, below.admitted(), "a higher limit admits again");
    assertFalse(below.full(0));
  }

  @Test
  void theSameSettlementAgainIsAcceptedOnceCountedButAnExpiredLeaseStaysRefused() throws Exception {
    // Hazelcast sends an operation again when its member leaves before answering, though the
    // backup, now the owner, may have applied it: the retry must not look like a late ack.
    queue.offer(urls("/1", "/2"));
    List<Lease> leases = queue.claim(0, 2, 2, LEASE_MS).leases();
    assertTrue(queue.settle(Settlement.done(leases.get(0).id())));
    HostQueue promoted = roundTrip(queue);
    assertTrue(promoted.settle(Settlement.done(leases.get(0).id())), "the retry is accepted");
    assertEquals(1, promoted.done(), "and counted once");
    assertFalse(promoted.settle(Settlement.done(leases.get(1).id() + 5)), "never issued");
    promoted.claim(LEASE_MS + 1, 0, 2, LEASE_MS); // expires the second lease
    assertFalse(promoted.settle(Settlement.done(leases.get(1).id())), "expired stays refused");
    promoted.checkInvariants();
  }

  @Test
  void emptyQueueReportsIdle() {
    assertEquals(Claim.IDLE, queue.claim(0, 1, 1, LEASE_MS).wakeAt());
  }

  @Test
  void binaryFormKeepsQueueLeasesRetriesSeenSetAndTiming() throws Exception {
    queue.offer(urls("/1", "/2", "/3", "/4"));
    queue.setCrawlDelay(0, 0);
    Lease leased = queue.claim(0, 2, 4, LEASE_MS).leases().get(0);
    queue.settle(Settlement.retry(leased.id(), 500, true));
    queue.pauseUntil(100);
    HostQueue copy = roundTrip(queue);
    copy.checkInvariants();
    assertEquals(queue.queued(), copy.queued());
    assertEquals(queue.leased(), copy.leased());
    assertEquals(queue.seen(), copy.seen());
    assertArrayEquals(new boolean[] {false, true}, copy.offer(urls("/1", "/5")));
    Claim claim = copy.claim(500, 10, 10, LEASE_MS);
    assertEquals(
        4, claim.leases().size(), "ready, retried and new URLs are claimable once the pause ends");
    assertTrue(
        claim.leases().stream().allMatch(l -> l.id() > leased.id() + 1), "lease ids keep growing");
    copy.checkInvariants();
  }

  @Test
  void savedFormIsTheBackupFormAndReadsBackWithItsVersionAsSaved() throws Exception {
    queue.offer(urls("/1", "/2", "/3"));
    queue.changed();
    Lease leased = queue.claim(0, 1, 4, LEASE_MS).leases().get(0);
    queue.settle(Settlement.retry(leased.id(), 500, true));
    queue.changed();
    assertTrue(queue.unsaved(), "a change not handed to the store yet");
    byte[] saved = queue.save(0);
    assertFalse(queue.unsaved(), "saved at this version");
    assertEquals(2, HostQueue.versionOf(saved));
    HostQueue restored = HostQueue.fromSaved(saved);
    restored.checkInvariants();
    assertFalse(restored.unsaved(), "what was read from the store needs no saving again");
    assertEquals(queue.seen(), restored.seen());
    assertEquals(queue.queued(), restored.queued());
    assertArrayEquals(
        saved, roundTrip(queue).toBytes(), "a backup copy has the same bytes as the saved form");
    restored.changed();
    assertTrue(restored.unsaved());
    assertEquals(3, restored.version());
  }

  @Test
  void aKeyIsSavedOncePerIntervalAndALargeOneLessOften() {
    queue.offer(urls("/1"));
    queue.changed();
    assertTrue(queue.dueForSave(0, 250), "changed and never saved");
    queue.save(0);
    queue.changed();
    assertFalse(queue.dueForSave(100, 250), "saved 100 ms ago");
    assertTrue(queue.dueForSave(250, 250));
    assertTrue(queue.dueForSave(1, 0), "a final save takes every change");

    HostQueue large = new HostQueue();
    List<CrawlRequest> many = new java.util.ArrayList<>();
    for (int i = 0; i < 400_000; i++) {
      many.add(CrawlRequest.seed("http://a.test/" + i));
    }
    large.offer(many);
    large.changed();
    large.save(0);
    large.offer(urls("/one-more"));
    large.changed();
    // 400,000 URLs: a seen set of 8 MiB and 24 MiB of queue, so one interval per save unit of
    // that, ten times as many while its journal (saved every interval) keeps what changed.
    long units = large.saveIntervals();
    assertTrue(
        units >= (30L << 20) / HostQueue.SAVE_UNIT_BYTES
            && units <= (34L << 20) / HostQueue.SAVE_UNIT_BYTES,
        "about 32 MiB estimated: " + units + " units");
    assertFalse(large.dueForSave(250, 250), "a key of many MiB waits longer than the interval");
    assertTrue(large.journalPending(), "its journal is saved every interval instead");
    large.takeJournal();
    assertFalse(large.dueForSave(250L * units * 9, 250));
    assertTrue(large.dueForSave(250L * units * 10, 250));
    assertTrue(large.dueForSave(250L * 41, 0), "a final save takes every change");
  }

  @Test
  void aLargeKeyIsSavedWholeOnceItsJournalsReachAQuarterOfItsLastWholeCopy() {
    HostQueue large = largeKey();
    int wholeBytes = large.save(0).length;
    long journalBytes = 0;
    int batch = 0;
    while (journalBytes * 4 < wholeBytes) {
      // Past the interval its size asks for, but its journals keep what changed: ten times that.
      assertFalse(
          large.dueForSave(100L * 2 * large.saveIntervals(), 100),
          "journals " + journalBytes + " bytes");
      List<CrawlRequest> more = new java.util.ArrayList<>();
      for (int i = 0; i < 1_000; i++) {
        more.add(CrawlRequest.seed("http://a.test/more/" + batch + "/" + i));
      }
      large.offer(more);
      large.changed();
      journalBytes += large.takeJournal().length;
      batch++;
    }
    large.changed();
    assertTrue(large.dueForSave(100L * 2 * large.saveIntervals(), 100));
  }

  /** A key whose whole saved form is over a MiB, many save units: 40,000 queued URLs. */
  private static HostQueue largeKey() {
    HostQueue large = new HostQueue();
    List<CrawlRequest> many = new java.util.ArrayList<>();
    for (int i = 0; i < 40_000; i++) {
      many.add(CrawlRequest.seed("http://a.test/" + i));
    }
    large.offer(many);
    large.changed();
    return large;
  }

  /** Claims everything the key holds (delayed ones too) and returns their URLs, sorted. */
  private static List<String> drainUrls(HostQueue q) {
    List<String> urls = new java.util.ArrayList<>();
    for (Lease lease :
        q.claim(Long.MAX_VALUE / 4, Integer.MAX_VALUE, Integer.MAX_VALUE, 1).leases()) {
      urls.add(lease.request().url());
    }
    java.util.Collections.sort(urls);
    return urls;
  }

  @Test
  void aLargeKeysWholeCopyAndItsJournalsGiveBackWhatWasQueuedAndFinishedAfterTheCopy()
      throws Exception {
    HostQueue large = largeKey();
    byte[] whole = large.save(0);
    assertTrue(HostQueue.mayHaveJournals(whole), whole.length + " bytes");
    assertFalse(large.journalPending(), "nothing changed since the whole copy");

    List<Lease> first = large.claim(1, 100, 100, LEASE_MS).leases();
    for (int i = 0; i < first.size(); i++) {
      long id = first.get(i).id();
      large.settle(
          i < 60
              ? Settlement.done(id)
              : i < 80 ? Settlement.failed(id) : Settlement.retry(id, 500, true));
    }
    List<CrawlRequest> fresh = new java.util.ArrayList<>();
    for (int i = 39_990; i < 40_050; i++) {
      fresh.add(CrawlRequest.seed("http://a.test/" + i));
    }
    large.offer(fresh);
    large.changed();
    assertTrue(large.journalPending());
    byte[] journal1 = large.takeJournal();
    assertTrue(HostQueue.isJournal(journal1));
    assertFalse(HostQueue.isJournal(whole));
    assertFalse(large.journalPending(), "taken");

    large.claim(2, 30, 30, LEASE_MS).leases().forEach(l -> large.settle(Settlement.done(l.id())));
    large.offer(urls("/late-1", "/late-2"));
    large.changed();
    byte[] journal2 = large.takeJournal();
    assertTrue(journal1.length + journal2.length < whole.length / 100, "journals are small");

    HostQueue restored = HostQueue.fromSaved(whole);
    restored.releaseAll();
    assertEquals(
        2, restored.replay(List.of(journal2, journal1)), "in version order, whatever given");
    restored.checkInvariants();
    assertEquals(large.version(), restored.version());
    assertTrue(restored.unsaved(), "held in the store only in pieces: saved whole next");
    assertEquals(40_052, restored.seen());
    assertEquals(large.seen(), restored.seen());
    assertEquals(large.done(), restored.done());
    assertEquals(110, restored.done());
    assertEquals(large.failed(), restored.failed());
    assertEquals(20, restored.failed());
    // The 20 retried URLs are queued again (their retry was not journaled: they are fetched again,
    // as any URL not finished before a crash).
    assertEquals(large.queued() + large.leased(), restored.queued());
    assertEquals(drainUrls(large), drainUrls(restored));
  }

  /**
   * The key moves from member A to member B and back while A keeps it as a backup: B saves it whole
   * and writes journals; A's copy, changed by the same operations as a backup, still holds a
   * journal from before the move and hands it over once it owns the key again. Every journal newer
   * than the whole copy is replayed, the two members' overlapping ones included, and each URL is
   * counted once.
   */
  @Test
  void journalsOfTwoMembersThatOverlapReplayWithEachUrlCountedOnce() throws Exception {
    HostQueue a = largeKey();
    a.save(0);
    HostQueue b = roundTrip(a); // B's copy, arrived by migration
    List<String> found = List.of("/x", "/y", "/z");
    for (HostQueue q : List.of(a, b)) {
      q.offer(urls(found.toArray(String[]::new)));
      q.changed();
    }
    byte[] wholeOnB = b.save(1);
    List<Lease> leases = b.claim(2, 3, 3, LEASE_MS, "b").leases();
    for (HostQueue q : List.of(a, b)) {
      q.claim(2, 3, 3, LEASE_MS, "b"); // as the backup applies the claim
      leases.forEach(l -> q.settle(Settlement.done(l.id())));
      q.offer(urls("/w"));
      q.changed();
    }
    byte[] journalOfB = b.takeJournal();
    // More links found before B's next save, and the key moves back to A: only A's journal,
    // begun before B's whole copy, holds them.
    for (HostQueue q : List.of(a, b)) {
      q.offer(urls("/v"));
      q.changed();
    }
    byte[] journalOfA = a.takeJournal();
    assertTrue(HostQueue.versionOf(journalOfA) > HostQueue.versionOf(wholeOnB));

    HostQueue restored = HostQueue.fromSaved(wholeOnB);
    restored.releaseAll();
    assertEquals(2, restored.replay(List.of(journalOfA, journalOfB)));
    restored.checkInvariants();
    assertEquals(3, restored.done(), "each URL finished once");
    assertTrue(restored.hasSeen("http://a.test/v"), "the links only A's journal holds");
    assertEquals(b.seen(), restored.seen());
    assertEquals(drainUrls(b), drainUrls(restored));
  }

  @Test
  void aJournalNobodyTakesIsDroppedPastItsBoundAndTheKeyIsThenSavedWhole() {
    HostQueue large = largeKey();
    large.save(0);
    large.offer(urls("/first"));
    large.changed();
    assertTrue(large.journalPending());
    assertFalse(large.dueForSave(100, 100));
    // A member that keeps the key as a backup is changed by every operation but never takes the
    // journal: at most a MiB or a quarter of the whole copy, then it is dropped.
    for (int batch = 0; large.journalPending(); batch++) {
      assertTrue(batch < 100, "the journal grows without bound");
      List<CrawlRequest> more = new java.util.ArrayList<>();
      for (int i = 0; i < 1_000; i++) {
        more.add(CrawlRequest.seed("http://a.test/backup/" + batch + "/" + i));
      }
      large.offer(more);
      large.changed();
    }
    assertTrue(large.dueForSave(100, 100), "saved whole at once if this member owns it again");
  }

  @Test
  void aJournalNoNewerThanTheWholeCopyIsNotReplayed() throws Exception {
    HostQueue large = largeKey();
    large.save(0);
    large.offer(urls("/after-first-copy"));
    large.changed();
    byte[] stale = large.takeJournal();
    large.claim(1, 5, 5, LEASE_MS).leases().forEach(l -> large.settle(Settlement.done(l.id())));
    large.changed();
    byte[] newer = large.save(1);
    HostQueue restored = HostQueue.fromSaved(newer);
    assertEquals(0, restored.replay(List.of(stale)));
    assertFalse(restored.unsaved());
    assertEquals(large.seen(), restored.seen());
    assertEquals(5, restored.done());
  }

  @Test
  void aSmallKeyIsSavedWholeEveryIntervalAndKeepsNoJournal() {
    queue.offer(urls("/1", "/2"));
    queue.changed();
    assertFalse(HostQueue.mayHaveJournals(queue.save(0)));
    queue.offer(urls("/3"));
    queue.changed();
    assertFalse(queue.journalPending());
  }

  @Test
  void restoredStateQueuesEveryLeaseAgainSinceItsMembersAreGone() throws Exception {
    queue.offer(urls("/1", "/2", "/3"));
    queue.claim(0, 2, 4, LEASE_MS, "member-a");
    HostQueue restored = HostQueue.fromSaved(queue.toBytes());
    assertEquals(2, restored.releaseAll());
    assertEquals(0, restored.leased());
    assertEquals(3, restored.queued());
    assertEquals(3, restored.claim(1, 10, 10, LEASE_MS, "member-b").leases().size());
    restored.checkInvariants();
  }

  @Test
  void aSavedFormWithBytesMissingOrLeftOverIsRefused() {
    queue.offer(urls("/1", "/2"));
    byte[] saved = queue.toBytes();
    assertThrows(
        java.io.IOException.class,
        () -> HostQueue.fromSaved(java.util.Arrays.copyOf(saved, saved.length - 3)));
    assertThrows(
        java.io.IOException.class,
        () -> HostQueue.fromSaved(java.util.Arrays.copyOf(saved, saved.length + 1)));
  }

  @Test
  void aSavedFormOfAnotherFormatIsRefusedNamingItAndOneWithoutAFormatIsStillRead()
      throws Exception {
    queue.offer(urls("/1", "/2"));
    byte[] saved = queue.toBytes();
    assertEquals('1', saved[11], "the format follows the version");
    byte[] newer = saved.clone();
    newer[11] = '2';
    java.io.IOException e =
        assertThrows(java.io.IOException.class, () -> HostQueue.fromSaved(newer));
    assertTrue(e.getMessage().contains("format 2"), e.getMessage());
    assertTrue(e.getMessage().contains("reads format 1"), e.getMessage());

    // What the first builds saved: the wire form, without a format.
    java.io.ByteArrayOutputStream legacy = new java.io.ByteArrayOutputStream();
    queue.writeTo(new java.io.DataOutputStream(legacy));
    HostQueue restored = HostQueue.fromSaved(legacy.toByteArray());
    assertEquals(queue.seen(), restored.seen());
    assertEquals(queue.queued(), restored.queued());
    assertEquals(queue.version(), HostQueue.versionOf(legacy.toByteArray()));
  }

  @Test
  void releasingAGoneMembersLeasesQueuesThemFirstAndFencesItsAcks() {
    queue.offer(urls("/1", "/2", "/3", "/4"));
    List<Lease> gone = queue.claim(0, 2, 10, LEASE_MS, "member-a").leases();
    Lease kept = queue.claim(0, 1, 10, LEASE_MS, "member-b").leases().get(0);
    assertEquals(2, queue.releaseOwner("member-a"));
    assertEquals(1, queue.leased());
    List<String> next =
        queue.claim(1, 10, 10, LEASE_MS, "member-b").leases().stream()
            .map(l -> l.request().url())
            .toList();
    assertEquals(
        List.of("http://a.test/1", "http://a.test/2", "http://a.test/4"),
        next,
        "released URLs first, in order");
    assertFalse(
        queue.settle(Settlement.done(gone.get(0).id())), "the gone member's ack is refused");
    assertTrue(queue.settle(Settlement.done(kept.id())));
  }

  @Test
  void sweepQueuesExpiredLeasesAgainWithoutAClaim() {
    queue.offer(urls("/1", "/2"));
    queue.claim(0, 2, 10, LEASE_MS, "m");
    assertEquals(0, queue.expire(LEASE_MS - 1));
    assertEquals(2, queue.expire(LEASE_MS));
    assertEquals(2, queue.queued());
  }

  private static List<CrawlRequest> atDepth(int depth, String... paths) {
    return java.util.Arrays.stream(paths)
        .map(p -> new CrawlRequest("http://a.test" + p, depth, 0))
        .toList();
  }

  private List<String> claimUrls(long now, int max) {
    return queue.claim(now, max, 100, LEASE_MS).leases().stream()
        .map(l -> l.request().url())
        .toList();
  }

  @Test
  void claimIsBreadthFirstShallowestDepthFirst() {
    queue.offer(atDepth(3, "/d3"));
    queue.offer(atDepth(1, "/d1a"));
    queue.offer(atDepth(2, "/d2"));
    queue.offer(atDepth(1, "/d1b"));
    assertEquals(
        List.of("http://a.test/d1a", "http://a.test/d1b", "http://a.test/d2", "http://a.test/d3"),
        claimUrls(0, 10));
  }

  @Test
  void seedsFedLateTakeTurnsWithLinksAlreadyQueued() {
    queue.offer(atDepth(1, "/l1", "/l2", "/l3"));
    queue.offer(atDepth(2, "/deep"));
    queue.offer(atDepth(0, "/s1", "/s2"));
    assertEquals(
        List.of(
            "http://a.test/l1",
            "http://a.test/s1",
            "http://a.test/l2",
            "http://a.test/s2",
            "http://a.test/l3",
            "http://a.test/deep"),
        claimUrls(0, 10),
        "seeds and the shallowest links alternate; neither starves the other");
  }

  @Test
  void membersWorkingOneKeyShareItsLimitEqually() {
    queue.offer(urls("/1", "/2", "/3", "/4", "/5", "/6", "/7", "/8", "/9", "/10"));
    assertEquals(6, queue.claim(0, 6, 6, LEASE_MS, "a").leases().size(), "alone: the whole limit");
    assertEquals(0, queue.claim(1, 6, 6, LEASE_MS, "b").leases().size(), "every slot is held by a");
    List<Lease> held = queue.claim(0, 0, 6, LEASE_MS, "a").leases();
    assertTrue(held.isEmpty());
    // a settles three leases; with b now working the key too, a's share is 3 of 6.
    for (long id = 1; id <= 3; id++) {
      assertTrue(queue.settle(Settlement.done(id)));
    }
    assertEquals(0, queue.claim(2, 6, 6, LEASE_MS, "a").leases().size(), "a is at its share");
    assertEquals(3, queue.claim(3, 6, 6, LEASE_MS, "b").leases().size(), "b gets its share");
    // Once a member stops claiming for the share window, the others may use the whole limit.
    long later = 3 + HostQueue.SHARE_WINDOW_MS;
    for (long id = 4; id <= 9; id++) {
      queue.settle(Settlement.done(id));
    }
    assertEquals(
        1,
        queue.claim(later, 6, 6, LEASE_MS, "b").leases().size(),
        "one URL left, claimed by the member still working");
  }

  @Test
  void aMemberWithNothingMoreToDoGivesItsShareOfTheBudgetBack() {
    queue.setBudget(4, 0);
    queue.offer(urls("/1", "/2", "/3", "/4", "/5", "/6", "/7", "/8", "/9", "/10", "/11", "/12"));
    List<Lease> a = queue.claim(0, 4, 8, LEASE_MS, "a").leases();
    assertEquals(4, a.size(), "alone, a may use the whole budget (not the crawl's limit of 8)");
    assertEquals(0, queue.claim(1, 4, 8, LEASE_MS, "b").leases().size(), "the budget is used");
    a.forEach(l -> queue.settle(Settlement.done(l.id())));
    a = queue.claim(2, 4, 8, LEASE_MS, "a").leases();
    assertEquals(2, a.size(), "two members asking: half the budget each");
    assertEquals(2, queue.claim(3, 4, 8, LEASE_MS, "b").leases().size());
    // a has nothing more to do: it settles and stops asking.
    a.forEach(l -> queue.settle(Settlement.done(l.id())));
    assertEquals(
        0, queue.claim(4, 4, 8, LEASE_MS, "b").leases().size(), "within the window: b's half");
    long later = 2 + HostQueue.SHARE_WINDOW_MS + 1;
    assertEquals(
        2,
        queue.claim(later, 4, 8, LEASE_MS, "b").leases().size(),
        "a's half came back to b once a had not asked for a share window");
    assertEquals(4, queue.leased());
  }

  @Test
  void aGoneMembersShareOfTheBudgetGoesToTheOthersAtOnce() {
    queue.setBudget(6, 0);
    queue.offer(urls("/1", "/2", "/3", "/4", "/5", "/6", "/7", "/8", "/9", "/10", "/11", "/12"));
    assertEquals(3, queue.claim(0, 3, 8, LEASE_MS, "a").leases().size());
    assertEquals(3, queue.claim(1, 6, 8, LEASE_MS, "b").leases().size(), "b: its half");
    assertEquals(0, queue.claim(2, 6, 8, LEASE_MS, "b").leases().size(), "b is at its half");
    assertEquals(3, queue.releaseOwner("a"), "a left the cluster: its leases are queued again");
    assertEquals(
        3,
        queue.claim(3, 6, 8, LEASE_MS, "b").leases().size(),
        "a's half is b's at once, without waiting for the share window");
    assertEquals(6, queue.leased());
  }

  @Test
  void failuresAreCountedAmongTheDoneUrls() {
    queue.offer(urls("/1", "/2"));
    List<Lease> leases = queue.claim(0, 2, 2, LEASE_MS).leases();
    queue.settle(Settlement.failed(leases.get(0).id()));
    queue.settle(Settlement.done(leases.get(1).id()));
    assertEquals(2, queue.done());
    assertEquals(1, queue.failed());
  }

  @Test
  void keyIsIdleOnlyWithNothingReadyAndNothingLeased() {
    assertTrue(queue.idle());
    queue.offer(urls("/1"));
    assertFalse(queue.idle());
    Lease lease = queue.claim(0, 1, 1, LEASE_MS).leases().get(0);
    assertFalse(queue.idle(), "a leased URL means someone is working the key");
    queue.settle(Settlement.done(lease.id()));
    assertTrue(queue.idle());
  }

  @Test
  void binaryFormKeepsTheBudgetAndThePaceSchedule() throws Exception {
    queue.offer(urls("/1", "/2", "/3", "/4"));
    queue.setBudget(3, 2_500);
    assertEquals(1, queue.claim(0, 4, 8, LEASE_MS).leases().size());
    HostQueue copy = roundTrip(queue);
    assertTrue(copy.coordinated());
    assertEquals(2_500, copy.spacingMicros());
    Claim early = copy.claim(2, 4, 8, LEASE_MS);
    assertTrue(early.leases().isEmpty(), "the next slot (2.5 ms) survives the copy");
    assertEquals(3, early.wakeAt());
    assertEquals(1, copy.claim(3, 4, 8, LEASE_MS).leases().size());
    copy.checkInvariants();
  }

  @Test
  void aFasterPaceStartsAtOnceNotAfterTheSlowerOnesNextSlot() {
    queue.offer(urls("/1", "/2", "/3"));
    queue.setBudget(4, 10_000_000);
    assertEquals(1, queue.claim(0, 4, 8, LEASE_MS).leases().size(), "next slot in 10 s");
    queue.setBudget(4, 100_000);
    assertEquals(
        1, queue.claim(100, 4, 8, LEASE_MS).leases().size(), "100 ms later at the new pace");
  }

  @Test
  void binaryFormKeepsDepthOrderFailuresAndSharers() throws Exception {
    queue.offer(atDepth(2, "/deep"));
    queue.offer(atDepth(0, "/seed"));
    queue.offer(atDepth(1, "/link"));
    Lease lease = queue.claim(0, 1, 4, LEASE_MS, "a").leases().get(0);
    queue.settle(Settlement.failed(lease.id()));
    queue.claim(1, 0, 4, LEASE_MS, "b");
    HostQueue copy = roundTrip(queue);
    copy.checkInvariants();
    assertEquals(1, copy.failed());
    assertEquals(
        List.of("http://a.test/seed", "http://a.test/deep"),
        copy.claim(2, 4, 4, LEASE_MS, "c").leases().stream().map(l -> l.request().url()).toList(),
        "the turn taken by the link before the copy is remembered; then depth order");
  }

  @Test
  void aCoordinatorBudgetReplacesTheFixedLimitAndPacesClaims() {
    queue.offer(urls("/1", "/2", "/3", "/4", "/5", "/6"));
    queue.setBudget(2, 100_000);
    assertEquals(1, queue.claim(0, 10, 8, LEASE_MS).leases().size(), "paced: one per claim");
    Claim early = queue.claim(99, 10, 8, LEASE_MS);
    assertTrue(early.leases().isEmpty());
    assertEquals(100, early.wakeAt(), "the next request is due one spacing later");
    assertEquals(1, queue.claim(100, 10, 8, LEASE_MS).leases().size());
    assertTrue(
        queue.claim(200, 10, 8, LEASE_MS).leases().isEmpty(),
        "two in flight: the budget's concurrency, not the crawl's limit of 8, holds");
    queue.setBudget(0, 0);
    assertEquals(4, queue.claim(300, 10, 8, LEASE_MS).leases().size(), "budget lifted: 8 again");
  }

  @Test
  void claimsComingLateDoNotLowerThePacedRateNorBunchBeyondTwo() {
    for (int i = 0; i < 200; i++) {
      queue.offer(urls("/" + i));
    }
    // 10 ms apart: 100 requests/s. The claims come every 13 ms, as late timers would.
    queue.setBudget(50, 10_000);
    int granted = 0;
    for (int k = 0; k < 100; k++) {
      int leases = claimAndSettle(13L * k);
      assertTrue(leases <= 2, "at most one missed slot is made up");
      granted += leases;
    }
    // Over 1.287 s at 100/s: 129 slots. One claim per slot would give 100.
    assertTrue(granted >= 120 && granted <= 130, "granted " + granted);
  }

  @Test
  void aFastPaceMakesUpTenMillisecondsOfMissedSlotsInOneClaim() {
    offerMany(100);
    queue.setBudget(50, 1_000); // 1,000/s
    assertEquals(1, queue.claim(0, 50, 64, LEASE_MS).leases().size());
    assertEquals(
        11,
        queue.claim(30, 50, 64, LEASE_MS).leases().size(),
        "the slot due now and 10 ms of missed ones, not 30 ms");
    assertEquals(0, queue.claim(30, 50, 64, LEASE_MS).leases().size(), "and none ahead of time");
    queue.setBudget(50, 20_000); // 50/s: one spacing back, so never more than two at once
    assertEquals(2, queue.claim(200, 50, 64, LEASE_MS).leases().size());
  }

  @Test
  void aSpacingFinerThanAMillisecondIsKept() {
    for (int i = 0; i < 400; i++) {
      queue.offer(urls("/" + i));
    }
    // 5.26 ms apart (190/s): whole milliseconds could only give 200/s or 167/s.
    queue.setBudget(50, 5_263);
    int granted = 0;
    for (long t = 0; t < 1_000; t++) {
      granted += claimAndSettle(t);
    }
    assertEquals(190, granted);
  }

  /** 20 requests/s: the default first pace of a gentle start. */
  private static final long START_MICROS = 50_000;

  /** Claims every millisecond over [from, to), settling each lease at once; returns the grants. */
  private int claimStartingEachMs(long from, long to, boolean throttled) {
    int granted = 0;
    for (long t = from; t < to; t++) {
      for (Lease l : queue.claim(t, 10, 64, LEASE_MS, "", START_MICROS).leases()) {
        queue.settle(
            throttled ? Settlement.throttled(l.id(), t + 1_000, false) : Settlement.done(l.id()));
        granted++;
      }
    }
    return granted;
  }

  /** Queues 5,000 URLs and runs a gentle start, each pace filled, up to 640/s at 500 ms. */
  private void startTo640PerSecond() {
    offerMany(5_000);
    claimStartingEachMs(0, 500, false); // 20, 40, 80, 160, 320/s, each filled
    queue
        .claim(500, 10, 64, LEASE_MS, "", START_MICROS)
        .leases()
        .forEach(l -> queue.settle(Settlement.done(l.id())));
    assertEquals(START_MICROS / 32, queue.spacingMicros(), "640/s");
  }

  private void offerMany(int n) {
    for (int i = 0; i < n; i++) {
      queue.offer(urls("/" + i));
    }
  }

  @Test
  void aNewKeyStartsAtTheGentlePaceAndDoublesItEveryStepWhileAnswersAreGood() {
    offerMany(5_000);
    // 20/s for the first 100 ms: 2 requests, not the 64 in flight the limit would allow.
    assertEquals(2, claimStartingEachMs(0, 100, false));
    assertTrue(queue.starting());
    assertEquals(START_MICROS, queue.spacingMicros());
    // 40/s, 80/s, 160/s, 320/s, 640/s, 1280/s: each step sends about twice the one before.
    int[] perStep = new int[6];
    for (int step = 0; step < perStep.length; step++) {
      perStep[step] = claimStartingEachMs(100 + step * 100L, 200 + step * 100L, false);
    }
    for (int step = 0; step < perStep.length; step++) {
      int expected = 4 << step;
      assertTrue(
          Math.abs(perStep[step] - expected) <= 1 + expected / 10,
          "step " + step + ": " + perStep[step] + " requests, expected about " + expected);
    }
    // The doubling to 2,560/s ends the start: unpaced, as a host that never throttles should be.
    claimStartingEachMs(700, 800, false);
    assertFalse(queue.starting());
    assertEquals(0, queue.spacingMicros());
    assertTrue(claimStartingEachMs(800, 810, false) > 10 * 3, "full speed: more than 3 per ms");
  }

  @Test
  void theGentleStartDoublesOnlyAfterAnswersNotWhileRequestsAreOutstanding() {
    offerMany(100);
    List<Lease> out = new java.util.ArrayList<>();
    for (long t = 0; t < 500; t++) {
      out.addAll(queue.claim(t, 10, 64, LEASE_MS, "", START_MICROS).leases());
    }
    // Nothing answered for half a second (a slow robots.txt, a slow server): no doubling.
    assertEquals(START_MICROS, queue.spacingMicros());
    assertEquals(10, out.size(), "20/s for 500 ms");
  }

  @Test
  void theFirst429EndsTheStartAndHoldsHalfItsRateUntilTheCoordinatorPaces() {
    offerMany(5_000);
    claimStartingEachMs(0, 500, false); // 20, 40, 80, 160, 320/s
    Lease refused = queue.claim(500, 1, 64, LEASE_MS, "", START_MICROS).leases().get(0);
    assertEquals(START_MICROS / 32, queue.spacingMicros(), "640/s");
    queue.settle(Settlement.throttled(refused.id(), 1_500, false));
    assertFalse(queue.starting());
    assertTrue(queue.startPaced());
    assertEquals(START_MICROS / 16, queue.spacingMicros(), 4, "320/s: half of 640/s");
    assertEquals(32, claimStartingEachMs(501, 601, false), "320/s holds; no further doubling");

    queue.setBudget(4, 0);
    assertEquals(
        START_MICROS / 16, queue.spacingMicros(), 4, "a coordinator not yet pacing keeps it");
    HostQueue copy = roundTrip(queue);
    assertTrue(copy.startPaced(), "the start's pace survives a backup and the state store");
    assertEquals(START_MICROS / 16, copy.spacingMicros(), 4);
    queue.setBudget(4, 5_000);
    assertFalse(queue.startPaced());
    assertEquals(5_000, queue.spacingMicros(), "the coordinator's own pace replaces it");
  }

  @Test
  void onlyAnswersToRequestsSentAtTheCurrentPaceLetTheStartDouble() {
    offerMany(100);
    List<Lease> early = queue.claim(0, 10, 64, LEASE_MS, "", START_MICROS).leases();
    List<Lease> alsoEarly = new java.util.ArrayList<>();
    for (long t = 1; t < 100; t++) {
      alsoEarly.addAll(queue.claim(t, 10, 64, LEASE_MS, "", START_MICROS).leases());
    }
    early.forEach(l -> queue.settle(Settlement.done(l.id())));
    alsoEarly.forEach(l -> queue.settle(Settlement.done(l.id())));
    assertEquals(2, early.size() + alsoEarly.size());
    queue.claim(100, 10, 64, LEASE_MS, "", START_MICROS); // doubles: both answered, 100 ms on
    assertEquals(START_MICROS / 2, queue.spacingMicros());
    // Answered late (results being written): the 40/s requests are still out at 200 ms, so the
    // answers that arrive then are only the old ones, already counted: no doubling yet.
    List<Lease> atForty = new java.util.ArrayList<>();
    for (long t = 100; t < 200; t++) {
      atForty.addAll(queue.claim(t, 10, 64, LEASE_MS, "", START_MICROS).leases());
    }
    queue.claim(200, 10, 64, LEASE_MS, "", START_MICROS);
    assertEquals(START_MICROS / 2, queue.spacingMicros(), "no answer at 40/s yet");
    atForty.forEach(l -> queue.settle(Settlement.done(l.id())));
    queue.claim(201, 10, 64, LEASE_MS, "", START_MICROS);
    assertEquals(START_MICROS / 4, queue.spacingMicros(), "answered at 40/s: 80/s");
  }

  @Test
  void a429ForARequestClaimedBeforeTheLastDoublingHoldsHalfTheCurrentPace() {
    offerMany(200);
    claimStartingEachMs(0, 300, false); // 20, 40, 80/s
    Lease claimedAt160 = queue.claim(300, 1, 64, LEASE_MS, "", START_MICROS).leases().get(0);
    List<Lease> more = new java.util.ArrayList<>();
    for (long t = 301; t < 400; t++) {
      more.addAll(queue.claim(t, 10, 64, LEASE_MS, "", START_MICROS).leases());
    }
    more.forEach(l -> queue.settle(Settlement.done(l.id())));
    queue.claim(400, 1, 64, LEASE_MS, "", START_MICROS);
    assertEquals(START_MICROS / 16, queue.spacingMicros(), "320/s, on answers to later requests");
    // A lease claimed ahead of the fetch slots may have left at 320/s: halve that.
    queue.settle(Settlement.throttled(claimedAt160.id(), 1_400, false));
    assertEquals(START_MICROS / 8, queue.spacingMicros(), 4, "160/s: half of 320/s");
  }

  /**
   * Runs a start to 640/s that the connections hold to one request every 5 ms (200/s), then has the
   * site refuse the last one at 801 ms: it was sent 200/s, not 640/s.
   */
  private void refuseAPaceFilledTo200PerSecond() {
    startTo640PerSecond();
    Lease last = null;
    for (long t = 505; t <= 800; t += 5) {
      for (Lease l : queue.claim(t, 1, 64, LEASE_MS, "", START_MICROS).leases()) {
        if (last != null) {
          queue.settle(Settlement.done(last.id()), t);
        }
        last = l;
      }
    }
    assertTrue(queue.starting());
    queue.settle(Settlement.throttled(last.id(), 1_800, false), 801);
  }

  @Test
  void a429AfterAPaceTheCrawlDidNotFillHoldsJustUnderTheRateActuallySent() {
    refuseAPaceFilledTo200PerSecond();
    assertFalse(queue.starting());
    assertEquals(1_000_000 / (200 * 0.9), queue.spacingMicros(), 120, "180/s, not 320/s");
  }

  @Test
  void a429ToARequestSentAtTheHeldPaceHalvesItAgainAtMostEveryTenthOfASecond() {
    offerMany(500);
    claimStartingEachMs(0, 300, false); // 20, 40, 80/s
    List<Lease> at160 = queue.claim(300, 10, 64, LEASE_MS, "", START_MICROS).leases();
    queue.settle(Settlement.throttled(at160.get(0).id(), 1_300, false));
    assertEquals(START_MICROS / 4, queue.spacingMicros(), 4, "80/s");
    List<Lease> at80 = new java.util.ArrayList<>();
    for (long t = 301; t < 400; t++) {
      at80.addAll(queue.claim(t, 10, 64, LEASE_MS, "", START_MICROS).leases());
    }
    assertTrue(at80.size() >= 4, "sent at the held pace: " + at80.size());
    queue.settle(Settlement.throttled(at80.get(0).id(), 1_400, false));
    queue.claim(399, 0, 64, LEASE_MS, "", START_MICROS);
    assertEquals(START_MICROS / 4, queue.spacingMicros(), 4, "within 0.1 s of the cut: held");
    queue.claim(401, 0, 64, LEASE_MS, "", START_MICROS);
    assertEquals(START_MICROS / 2, queue.spacingMicros(), 4, "refused at 80/s: 40/s");
    queue.settle(Settlement.throttled(at80.get(1).id(), 1_400, false));
    queue.claim(600, 0, 64, LEASE_MS, "", START_MICROS);
    assertEquals(
        START_MICROS / 2, queue.spacingMicros(), 4, "sent before that cut: no second cut for it");
  }

  @Test
  void refusalsWithinATenthOfASecondOfTheCutOnlySayTheLimiterWasStillFull() {
    offerMany(500);
    claimStartingEachMs(0, 300, false); // 20, 40, 80/s
    List<Lease> at160 = queue.claim(300, 10, 64, LEASE_MS, "", START_MICROS).leases();
    queue.settle(Settlement.throttled(at160.get(0).id(), 1_300, false), 300);
    queue.claim(300, 0, 64, LEASE_MS, "", START_MICROS);
    assertEquals(START_MICROS / 4, queue.spacingMicros(), 4, "80/s");
    List<Lease> atHeld = new java.util.ArrayList<>();
    for (long t = 301; t < 500; t++) {
      atHeld.addAll(queue.claim(t, 10, 64, LEASE_MS, "", START_MICROS).leases());
    }
    // Claimed after the cut but refused 50 ms after it: the limiter had not refilled yet.
    queue.settle(Settlement.throttled(atHeld.get(0).id(), 1_350, false), 350);
    queue.claim(500, 0, 64, LEASE_MS, "", START_MICROS);
    assertEquals(START_MICROS / 4, queue.spacingMicros(), 4, "still 80/s");
    // Refused 0.2 s after the cut: the held pace is still too fast.
    queue.settle(Settlement.throttled(atHeld.get(1).id(), 1_500, false), 500);
    queue.claim(501, 0, 64, LEASE_MS, "", START_MICROS);
    assertEquals(START_MICROS / 2, queue.spacingMicros(), 4, "40/s");
  }

  /** Runs a start to 640/s, then has the site refuse one request at it: 320/s held from 503. */
  private void holdHalfOf640PerSecond() {
    startTo640PerSecond();
    Lease refused = queue.claim(502, 1, 64, LEASE_MS, "", START_MICROS).leases().get(0);
    queue.settle(Settlement.throttled(refused.id(), 1_502, false), 502);
    assertTrue(queue.startPaced());
    assertEquals(START_MICROS / 16, queue.spacingMicros(), 4, "320/s: half of 640/s");
  }

  @Test
  void theHeldPaceStepsUpAQuarterOnceItHasRunCalmForHalfASecond() {
    holdHalfOf640PerSecond();
    int calm = claimStartingEachMs(503, 1_003, false); // the first claim stamps the cut: 503
    assertEquals(160, calm, 2, "320/s for half a second");
    assertEquals(START_MICROS / 16, queue.spacingMicros(), 4, "not before half a second");
    queue.claim(1_003, 0, 64, LEASE_MS, "", START_MICROS);
    assertEquals(START_MICROS / 20, queue.spacingMicros(), 4, "400/s: a quarter up");
    assertEquals(
        START_MICROS / 16,
        queue.startPaceMicros(),
        4,
        "the coordinator takes over the calm 320/s, and its own first step lands on 400/s");
    assertEquals(200, claimStartingEachMs(1_004, 1_504, false), 2, "400/s");
    claimStartingEachMs(1_504, 3_004, false);
    assertEquals(
        START_MICROS / 20,
        queue.spacingMicros(),
        4,
        "one step only: the rest is the coordinator's");
    queue.setBudget(4, 2_000);
    assertEquals(0, queue.startPaceMicros(), "the coordinator's pace replaces it");
    assertEquals(2_000, queue.spacingMicros());
  }

  @Test
  void aRefusedStepGoesBackToTheCalmPaceNotHalfOfItAndIsNotTakenAgain() {
    holdHalfOf640PerSecond();
    claimStartingEachMs(503, 1_004, false); // stepped to 400/s at 1,003
    assertEquals(START_MICROS / 20, queue.spacingMicros(), 4, "400/s");
    List<Lease> stepped = new java.util.ArrayList<>();
    for (long t = 1_004; t < 1_200; t++) {
      stepped.addAll(queue.claim(t, 10, 64, LEASE_MS, "", START_MICROS).leases());
    }
    // The limiter's burst ran out: a request sent at the stepped pace is refused 0.2 s after it.
    queue.settle(Settlement.throttled(stepped.get(60).id(), 2_200, false), 1_200);
    queue.claim(1_201, 0, 64, LEASE_MS, "", START_MICROS);
    assertEquals(START_MICROS / 16, queue.spacingMicros(), 4, "back to 320/s, not 200/s");
    assertEquals(START_MICROS / 16, queue.startPaceMicros(), 4);
    stepped.forEach(l -> queue.settle(Settlement.done(l.id())));
    claimStartingEachMs(1_202, 3_000, false);
    assertEquals(START_MICROS / 16, queue.spacingMicros(), 4, "calm again, but no second step");
  }

  @Test
  void aHeldPaceTheCrawlHardlyUsedDoesNotStepUp() {
    holdHalfOf640PerSecond();
    // One request every 10 ms (100/s) against a held 320/s: under half its slots.
    for (long t = 503; t < 1_500; t += 10) {
      queue
          .claim(t, 1, 64, LEASE_MS, "", START_MICROS)
          .leases()
          .forEach(l -> queue.settle(Settlement.done(l.id())));
    }
    assertEquals(START_MICROS / 16, queue.spacingMicros(), 4, "still 320/s");
  }

  @Test
  void aHeldPaceJustUnderTheRateTheSiteRefusedDoesNotStepUp() {
    refuseAPaceFilledTo200PerSecond();
    long held = queue.spacingMicros();
    assertEquals(1_000_000 / (200 * 0.9), held, 120, "180/s");
    claimStartingEachMs(802, 2_000, false);
    assertEquals(held, queue.spacingMicros(), "a quarter up would be past what was refused");
  }

  /** Runs the coordinator's pace of 200/s for a second, every request answered well. */
  private void coordinatedAt200PerSecond() {
    offerMany(5_000);
    queue.setBudget(8, 5_000);
    for (long t = 0; t < 1_000; t++) {
      claimAndSettle(t);
    }
  }

  /**
   * Claims at the pace in force from {@code from} to {@code to}, answering each request well but
   * the last, which it returns unanswered.
   */
  private Lease claimKeepingTheLast(long from, long to) {
    Lease last = null;
    for (long t = from; t < to; t++) {
      for (Lease l : queue.claim(t, 10, 64, LEASE_MS).leases()) {
        if (last != null) {
          queue.settle(Settlement.done(last.id()), t);
        }
        last = l;
      }
    }
    return last;
  }

  @Test
  void aRequestRefusedAtARaisedPaceTakesThePaceBackToTheOneBeforeItAtOnce() {
    coordinatedAt200PerSecond();
    queue.setBudget(8, 4_000); // the coordinator raises a quarter, to 250/s
    Lease atTheRaise = claimKeepingTheLast(1_000, 1_400);
    assertEquals(4_000, queue.spacingMicros());
    queue.settle(Settlement.throttled(atTheRaise.id(), 2_400, false), 1_400);
    assertEquals(5_000, queue.spacingMicros(), "back to 200/s, not waiting for the coordinator");
    int granted = 0;
    for (long t = 1_401; t < 2_401; t++) {
      granted += claimAndSettle(t);
    }
    assertEquals(200, granted, 2);
  }

  @Test
  void aRefusalOfARequestSentBeforeTheRaiseLeavesTheRaisedPace() {
    coordinatedAt200PerSecond();
    Lease before = claimKeepingTheLast(1_000, 1_010);
    queue.setBudget(8, 4_000);
    claimKeepingTheLast(1_010, 1_400);
    queue.settle(Settlement.throttled(before.id(), 2_400, false), 1_400);
    assertEquals(4_000, queue.spacingMicros(), "it was sent at 200/s, which says nothing of 250/s");
  }

  @Test
  void aRefusedRaiseSetAgainBeforeTheCoordinatorReadThePaceInForceDoesNotComeBack() {
    coordinatedAt200PerSecond();
    queue.setBudget(8, 4_000);
    queue.settle(Settlement.throttled(claimKeepingTheLast(1_000, 1_400).id(), 2_400, false), 1_400);
    queue.setBudget(12, 4_000); // more connections, decided before the coordinator read the pace
    assertEquals(5_000, queue.spacingMicros(), "the pace that ran calm stays");
    queue.setBudget(12, 5_000); // taken over
    queue.setBudget(12, 4_854); // a probe, 3 % up, some quiet intervals later
    assertEquals(4_854, queue.spacingMicros(), "a raise other than the refused one is applied");
    queue.settle(Settlement.throttled(claimKeepingTheLast(1_400, 1_800).id(), 2_800, false), 1_800);
    assertEquals(5_000, queue.spacingMicros(), "and taken back when it is refused in turn");
  }

  @Test
  void aRefusalAfterTheCoordinatorCutThePaceLeavesTheCutToTheCoordinator() {
    coordinatedAt200PerSecond();
    queue.setBudget(8, 6_000); // cut to 167/s
    queue.settle(Settlement.throttled(claimKeepingTheLast(1_000, 1_400).id(), 2_400, false), 1_400);
    assertEquals(6_000, queue.spacingMicros());
  }

  @Test
  void theCoordinatorsFirstPaceOnTheHeldPacesStepGoesBackToTheCalmPaceWhenRefused() {
    holdHalfOf640PerSecond();
    claimStartingEachMs(503, 1_004, false); // stepped from 320/s to 400/s at 1,003
    queue.setBudget(4, START_MICROS / 20); // the coordinator took over 320/s and stepped a quarter
    assertEquals(START_MICROS / 20, queue.spacingMicros());
    queue.settle(Settlement.throttled(claimKeepingTheLast(1_004, 1_300).id(), 2_300, false), 1_300);
    assertEquals(START_MICROS / 16, queue.spacingMicros(), 4, "back to the calm 320/s");
  }

  @Test
  void aSlowPaceLeftUnfilledIsNeitherRaisedNorEnded() {
    offerMany(100);
    // One request in flight, answered after 80 ms: 12.5/s, under the start's 20/s.
    Lease out = null;
    long answerAt = 0;
    int answered = 0;
    for (long t = 0; t < 1_000; t++) {
      if (out != null && t >= answerAt) {
        queue.settle(Settlement.done(out.id()));
        out = null;
        answered++;
      }
      List<Lease> got = queue.claim(t, 1, 1, LEASE_MS, "", START_MICROS).leases();
      if (!got.isEmpty()) {
        out = got.get(0);
        answerAt = t + 80;
      }
    }
    assertTrue(answered >= 11, "answered " + answered);
    assertTrue(queue.starting(), "a connection more would send untested requests: the start stays");
    assertEquals(START_MICROS, queue.spacingMicros(), "an unfilled pace is not raised");
  }

  @Test
  void aFastPaceLeftUnfilledForHalfASecondWhileAnsweredWellEndsTheStart() {
    startTo640PerSecond();
    // From here the crawl takes one request every 5 ms (200/s): the machine, not the pace, holds
    // it.
    for (long t = 501; t < 1_200 && queue.starting(); t++) {
      if (t % 5 == 0) {
        queue
            .claim(t, 1, 64, LEASE_MS, "", START_MICROS)
            .leases()
            .forEach(l -> queue.settle(Settlement.done(l.id())));
      }
      queue.claim(t, 0, 64, LEASE_MS, "", START_MICROS);
      if (t == 900) {
        assertTrue(queue.starting(), "not yet half a second unfilled");
      }
    }
    assertFalse(queue.starting(), "640/s unfilled for half a second while answered well");
    assertEquals(0, queue.spacingMicros(), "unpaced: the connection budget governs");
  }

  /**
   * Runs {@link #startTo640PerSecond} and then one request every 5 ms (200/s, the machine holding
   * the rate), answered well, until the unfilled pace ends the start; one lease granted during the
   * start is kept out unanswered and returned. Claims go on at 200/s, unpaced, until {@code to}.
   */
  private Lease endStartUnfilledWithOneAnswerOutstanding(long to) {
    startTo640PerSecond();
    Lease outstanding = null;
    for (long t = 505; t < to; t += 5) {
      for (Lease l : queue.claim(t, 1, 64, LEASE_MS, "", START_MICROS).leases()) {
        if (outstanding == null) {
          outstanding = l;
        } else {
          queue.settle(Settlement.done(l.id()), t);
        }
      }
    }
    assertFalse(queue.starting(), "ended: 640/s unfilled for half a second while answered well");
    assertEquals(0, queue.spacingMicros(), "unpaced");
    return outstanding;
  }

  @Test
  void aLate429ToTheStartsOwnRequestAfterItEndedHoldsAPaceAsDuringTheStart() {
    Lease fromTheStart = endStartUnfilledWithOneAnswerOutstanding(1_300);
    // The answer to a request sent during the start comes back after it ended: a 429.
    queue.settle(Settlement.throttled(fromTheStart.id(), 2_300, false), 1_300);
    assertTrue(queue.startPaced(), "held until the coordinator takes it over");
    assertEquals(
        1_000_000 / (200 * 0.9), queue.spacingMicros(), 120, "180/s: under the 200/s sent");
    queue.setBudget(4, 0);
    assertTrue(queue.startPaced(), "a coordinator not yet pacing keeps it");
  }

  @Test
  void theFirst429SecondsAfterAStartThatEndedUntestedHoldsJustUnderTheRateSent() {
    endStartUnfilledWithOneAnswerOutstanding(1_100);
    // Unpaced since, the crawl grows to one request every 4 ms (250/s) and meets the limit.
    Lease later = null;
    for (long t = 1_100; t < 3_000; t += 4) {
      for (Lease l : queue.claim(t, 1, 64, LEASE_MS, "", START_MICROS).leases()) {
        if (later != null) {
          queue.settle(Settlement.done(later.id()), t);
        }
        later = l;
      }
    }
    queue.settle(Settlement.throttled(later.id(), 4_000, false), 3_000);
    assertTrue(queue.startPaced(), "held until the coordinator takes it over");
    assertEquals(1_000_000 / (250 * 0.9), queue.spacingMicros(), 120, "225/s: under 250/s sent");
  }

  @Test
  void theFirst429AfterAStartThatReachedFullSpeedHoldsJustUnderTheRateSentNotHalfItsLastPace() {
    offerMany(20_000);
    claimStartingEachMs(0, 800, false); // doubled up to 2,560/s: ended at full speed
    assertFalse(queue.starting());
    List<Lease> out = queue.claim(800, 10, 64, LEASE_MS, "", START_MICROS).leases();
    for (long t = 801; t < 1_300; t++) { // 3 a millisecond, unpaced
      queue
          .claim(t, 3, 64, LEASE_MS, "", START_MICROS)
          .leases()
          .forEach(l -> queue.settle(Settlement.done(l.id())));
    }
    queue.settle(Settlement.throttled(out.get(0).id(), 2_300, false), 1_300);
    assertTrue(queue.startPaced());
    assertEquals(
        1_000_000 / (3_000 * 0.9), queue.spacingMicros(), 4, "2,700/s, not 1,280/s: 3,000/s sent");
  }

  @Test
  void aLate429ToTheStartChangesNothingOnceTheCoordinatorPaces() {
    Lease fromTheStart = endStartUnfilledWithOneAnswerOutstanding(1_300);
    queue.setBudget(4, 4_000);
    queue.settle(Settlement.throttled(fromTheStart.id(), 2_300, false), 1_300);
    assertFalse(queue.startPaced());
    assertEquals(4_000, queue.spacingMicros(), "the coordinator's pace stays");
  }

  @Test
  void membersThatCannotFillThePaceDoNotDoubleItThoughTheyMeetItsSlotsNowAndThen() {
    offerMany(500);
    // Two members, one request in flight each, answered 40 ms after it was granted: 50/s at
    // most, whatever the pace. Each comes back to claim the moment its answer is settled.
    java.util.Map<String, Lease> out = new java.util.HashMap<>();
    java.util.Map<String, Long> answerAt = new java.util.HashMap<>();
    for (long t = 0; t < 2_000; t++) {
      for (String member : List.of("a", "b")) {
        if (out.containsKey(member) && t >= answerAt.get(member)) {
          queue.settle(Settlement.done(out.remove(member).id()));
        }
        if (!out.containsKey(member)) {
          List<Lease> got = queue.claim(t, 1, 2, LEASE_MS, member, START_MICROS).leases();
          if (!got.isEmpty()) {
            out.put(member, got.get(0));
            answerAt.put(member, t + 40);
          }
        }
      }
    }
    assertTrue(queue.starting(), "a slow pace left unfilled stays");
    assertTrue(
        queue.spacingMicros() >= START_MICROS / 4,
        "at most 80/s, the first pace the members could not fill: "
            + 1e6 / queue.spacingMicros()
            + "/s");
  }

  @Test
  void aKeyTheCoordinatorPacesAlreadyHasNoGentleStart() {
    offerMany(100);
    queue.setBudget(4, 2_000);
    assertEquals(50, claimStartingEachMs(0, 100, false), "500/s from the first request");
    assertFalse(queue.starting());
  }

  @Test
  void withoutAStartPaceAKeyIsUnpacedFromTheFirstClaim() {
    offerMany(100);
    assertEquals(8, queue.claim(0, 8, 8, LEASE_MS, "", 0).leases().size());
    assertFalse(queue.starting());
  }
}
