package io.fleetcrawl.frontier;

import com.hazelcast.core.ReadOnly;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.query.Predicate;
import io.fleetcrawl.model.CrawlRequest;
import java.util.List;
import java.util.Map;

/**
 * The only ways the frontier map changes: each runs on the key's partition owner (and again on its
 * backup, which is why each is deterministic given its arguments, time included).
 */
final class FrontierProcessors {
  private FrontierProcessors() {}

  /**
   * Admits requests to a key, creating its queue on first use; a key holding {@code maxUrls} admits
   * no more (see {@link HostQueue#offer(List, long)}).
   */
  record Offer(List<CrawlRequest> requests, long maxUrls)
      implements EntryProcessor<String, HostQueue, OfferResult> {
    @Override
    public OfferResult process(Map.Entry<String, HostQueue> entry) {
      HostQueue queue = entry.getValue() == null ? new HostQueue() : entry.getValue();
      boolean wasIdle = queue.idle();
      boolean[] admitted = queue.offer(requests, maxUrls);
      boolean[] full = null;
      if (queue.seen() >= maxUrls) {
        // Refused and not a duplicate; looked at only when the key is full, which is rare.
        full = new boolean[admitted.length];
        for (int i = 0; i < admitted.length; i++) {
          full[i] = !admitted[i] && !queue.hasSeen(requests.get(i).url());
        }
      }
      queue.changed();
      entry.setValue(queue);
      return new OfferResult(admitted, wasIdle, full);
    }
  }

  /**
   * Settles a worker's finished leases for a key, applies politeness changes learned while
   * fetching, and claims more in the same round trip.
   *
   * @param pauseUntil no request before this time; 0 to leave the pause as it is
   * @param crawlDelayMs the robots.txt crawl-delay to apply, or -1 to leave it as it is
   * @param startMicros the gentle start's first pace for a key not yet paced, 0 for none
   */
  record SettleAndClaim(
      List<Settlement> settlements,
      long pauseUntil,
      long crawlDelayMs,
      long now,
      int max,
      int limit,
      long leaseMs,
      String owner,
      long startMicros)
      implements EntryProcessor<String, HostQueue, SettleResult> {
    @Override
    public SettleResult process(Map.Entry<String, HostQueue> entry) {
      HostQueue queue = entry.getValue();
      if (queue == null) {
        return new SettleResult(
            settlements.stream().mapToLong(Settlement::leaseId).toArray(),
            new Claim(List.of(), Claim.IDLE, 0));
      }
      long[] refused = new long[settlements.size()];
      int n = 0;
      for (Settlement settlement : settlements) {
        if (!queue.settle(settlement, now)) {
          refused[n++] = settlement.leaseId();
        }
      }
      if (pauseUntil > 0) {
        queue.pauseUntil(pauseUntil);
      }
      if (crawlDelayMs >= 0) {
        queue.setCrawlDelay(crawlDelayMs, now);
      }
      Claim claim = queue.claim(now, max, limit, leaseMs, owner, startMicros);
      queue.changed();
      entry.setValue(queue);
      return new SettleResult(java.util.Arrays.copyOf(refused, n), claim);
    }
  }

  /** Queues again the URLs leased to a member that left; answers how many. */
  record ReleaseOwner(String owner) implements EntryProcessor<String, HostQueue, Integer> {
    @Override
    public Integer process(Map.Entry<String, HostQueue> entry) {
      HostQueue queue = entry.getValue();
      if (queue == null) {
        return 0;
      }
      int released = queue.releaseOwner(owner);
      if (released > 0) {
        queue.changed();
        entry.setValue(queue);
      }
      return released;
    }
  }

  /** Queues again the leases expired by {@code now}; answers how many. */
  record Sweep(long now) implements EntryProcessor<String, HostQueue, Integer> {
    @Override
    public Integer process(Map.Entry<String, HostQueue> entry) {
      HostQueue queue = entry.getValue();
      if (queue == null) {
        return 0;
      }
      int expired = queue.expire(now);
      if (expired > 0) {
        queue.changed();
        entry.setValue(queue);
      }
      return expired;
    }
  }

  /** Reads a key's figures without changing anything (so no backup is written). */
  record Inspect() implements EntryProcessor<String, HostQueue, KeyStats>, ReadOnly {
    @Override
    public KeyStats process(Map.Entry<String, HostQueue> entry) {
      HostQueue q = entry.getValue();
      if (q == null) {
        return null;
      }
      return new KeyStats(
          entry.getKey(),
          q.queued(),
          q.leased(),
          q.done(),
          q.failed(),
          q.nextAllowedAt(),
          q.throttled(),
          q.settled(),
          q.budget(),
          q.spacingMicros(),
          q.coordinated(),
          q.starting(),
          q.startPaceMicros());
    }

    @Override
    public EntryProcessor<String, HostQueue, KeyStats> getBackupProcessor() {
      return null;
    }
  }

  /**
   * Matches keys with URLs to claim now, ready or due for their retry: the ones a node should make
   * sure are being worked. A key whose only URLs wait for a retry has nothing else to bring it back
   * if the worker that set its wake-up forgot the key (a worker keeps a bounded number of keys
   * waiting for room), so the scan must find it too.
   *
   * @param now epoch milliseconds, against which retry times are due
   */
  record HasReady(long now) implements Predicate<String, HostQueue> {
    @Override
    public boolean apply(Map.Entry<String, HostQueue> entry) {
      HostQueue q = entry.getValue();
      return q != null && q.hasDue(now);
    }
  }

  /** Matches keys with a URL leased to any member. */
  record HasLeases() implements Predicate<String, HostQueue> {
    @Override
    public boolean apply(Map.Entry<String, HostQueue> entry) {
      HostQueue q = entry.getValue();
      return q != null && q.leased() > 0;
    }
  }

  /** Checks a key's invariants; answers the violation, or null when they hold. */
  record Check() implements EntryProcessor<String, HostQueue, String>, ReadOnly {
    @Override
    public String process(Map.Entry<String, HostQueue> entry) {
      try {
        if (entry.getValue() != null) {
          entry.getValue().checkInvariants();
        }
        return null;
      } catch (IllegalStateException e) {
        return entry.getKey() + ": " + e.getMessage();
      }
    }

    @Override
    public EntryProcessor<String, HostQueue, String> getBackupProcessor() {
      return null;
    }
  }

  /** Applies the coordinator's budget to a key that exists; answers whether it did. */
  record SetBudget(int concurrency, long spacingMicros)
      implements EntryProcessor<String, HostQueue, Boolean> {
    @Override
    public Boolean process(Map.Entry<String, HostQueue> entry) {
      HostQueue queue = entry.getValue();
      if (queue == null) {
        return false;
      }
      queue.setBudget(concurrency, spacingMicros);
      queue.changed();
      entry.setValue(queue);
      return true;
    }
  }

  /**
   * Matches keys due to be saved at {@code now}: changed since this member last saved them, and not
   * saved within their interval (see {@link HostQueue#dueForSave}).
   */
  record Unsaved(long now, long intervalMs) implements Predicate<String, HostQueue> {
    @Override
    public boolean apply(Map.Entry<String, HostQueue> entry) {
      HostQueue q = entry.getValue();
      return q != null && (q.dueForSave(now, intervalMs) || q.journalPending());
    }
  }

  /**
   * Answers the binary form of a key due to be saved whole and records it as saved at {@code now};
   * else the journal of a large key that changed since (see {@link HostQueue#takeJournal}); else
   * null. Changes only this member's bookkeeping, not the entry, so nothing is backed up.
   */
  record Save(long now, long intervalMs) implements EntryProcessor<String, HostQueue, byte[]> {
    @Override
    public byte[] process(Map.Entry<String, HostQueue> entry) {
      HostQueue q = entry.getValue();
      if (q == null) {
        return null;
      }
      if (q.dueForSave(now, intervalMs)) {
        return q.save(now);
      }
      return q.journalPending() ? q.takeJournal() : null;
    }

    @Override
    public EntryProcessor<String, HostQueue, byte[]> getBackupProcessor() {
      return null;
    }
  }

  /**
   * Puts a saved state back, unless the map already holds the same or a newer version of the key;
   * answers whether it did. Its leases are queued again: a state is restored only after the whole
   * cluster stopped, so no member that held them is left.
   */
  record Restore(byte[] saved) implements EntryProcessor<String, HostQueue, Boolean> {
    @Override
    public Boolean process(Map.Entry<String, HostQueue> entry) {
      HostQueue current = entry.getValue();
      if (current != null && current.version() >= HostQueue.versionOf(saved)) {
        return false;
      }
      try {
        HostQueue restored = HostQueue.fromSaved(saved);
        restored.releaseAll();
        entry.setValue(restored);
      } catch (java.io.IOException e) {
        throw new IllegalStateException(
            "saved state of key " + entry.getKey() + " is unreadable: " + e.getMessage(), e);
      }
      return true;
    }
  }

  /**
   * Replays a large key's journals on the state just restored from its whole copy (see {@link
   * HostQueue#replay}); answers how many it replayed. Runs on the backup too, so both hold the same
   * state.
   */
  record Replay(List<byte[]> journals) implements EntryProcessor<String, HostQueue, Integer> {
    @Override
    public Integer process(Map.Entry<String, HostQueue> entry) {
      HostQueue q = entry.getValue();
      if (q == null) {
        return 0;
      }
      try {
        int replayed = q.replay(journals);
        if (replayed > 0) {
          entry.setValue(q);
        }
        return replayed;
      } catch (java.io.IOException e) {
        throw new IllegalStateException(
            "saved journal of key " + entry.getKey() + " is unreadable: " + e.getMessage(), e);
      }
    }
  }
}
