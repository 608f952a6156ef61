package io.fleetcrawl.frontier;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import io.fleetcrawl.model.CrawlRequest;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.PriorityQueue;

/**
 * The frontier state of one politeness key: its queue, its seen set, its leases and its politeness
 * timing, changed together in one step so that no two nodes ever disagree about them. It lives as
 * the value of the frontier map and is only ever touched by an entry processor on the key's
 * partition thread, so it needs no locking. Time is always passed in.
 *
 * <p>Invariants (see {@link #checkInvariants()}): every fingerprint of a queued or leased URL is in
 * the seen set; a URL is in at most one of ready, delayed and leased; at most {@code limit} leases
 * are outstanding after any claim; lease ids only grow.
 */
public final class HostQueue {

  private ArrayDeque<byte[]> ready = new ArrayDeque<>();
  private final PriorityQueue<Delayed> delayed = new PriorityQueue<>();
  private final FingerprintSet seen = new FingerprintSet();
  private final LinkedHashMap<Long, Lease> leases = new LinkedHashMap<>();
  private long nextLeaseId = 1;
  private long nextAllowedAt;
  private long crawlDelayMs;
  private long delayedSeq;
  private long done;

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
    boolean[] admitted = new boolean[requests.size()];
    for (int i = 0; i < admitted.length; i++) {
      CrawlRequest request = requests.get(i);
      if (seen.add(Fingerprint.of(request.url()))) {
        ready.addLast(PackedRequest.pack(request));
        admitted[i] = true;
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
    expireLeases(now);
    promoteDelayed(now);
    List<Lease> granted = new ArrayList<>();
    if (now >= nextAllowedAt) {
      int slots = Math.min(max, limit - leases.size());
      if (crawlDelayMs > 0) {
        slots = Math.min(slots, leases.isEmpty() ? 1 : 0);
      }
      while (slots-- > 0 && !ready.isEmpty()) {
        Lease lease =
            new Lease(nextLeaseId++, PackedRequest.unpack(ready.pollFirst()), now + leaseMs, owner);
        leases.put(lease.id(), lease);
        granted.add(lease);
      }
      if (!granted.isEmpty() && crawlDelayMs > 0) {
        nextAllowedAt = now + crawlDelayMs;
      }
    }
    if (ready.isEmpty() && !granted.isEmpty()) {
      // ArrayDeque never shrinks: a drained host would otherwise keep its largest array.
      ready = new ArrayDeque<>();
    }
    return new Claim(granted, wakeAt(now), queued());
  }

  /**
   * Applies a settlement; returns false when the lease is unknown (expired and handed out again, or
   * settled already), in which case nothing changes.
   */
  public boolean settle(Settlement settlement) {
    Lease lease = leases.remove(settlement.leaseId());
    if (lease == null) {
      return false;
    }
    if (settlement.isDone()) {
      done++;
    } else {
      CrawlRequest request = lease.request();
      delay(settlement.countsAsAttempt() ? request.nextAttempt() : request, settlement.retryAt());
    }
    return true;
  }

  /**
   * Queues again, at the front, every URL leased to {@code owner} (a member that left the cluster);
   * returns how many. Their late settlements are refused, as for expired leases.
   */
  public int releaseOwner(String owner) {
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
      ready.addFirst(PackedRequest.pack(back.get(i)));
    }
    return released;
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

  /** Sets the minimum spacing between requests (robots.txt crawl-delay); 0 for none. */
  public void setCrawlDelay(long millis) {
    crawlDelayMs = Math.max(0, millis);
  }

  /** Returns URLs waiting (ready or delayed), not counting leased ones. */
  public int queued() {
    return ready.size() + delayed.size();
  }

  /** Returns outstanding leases. */
  public int leased() {
    return leases.size();
  }

  /** Returns URLs that reached their terminal state. */
  public long done() {
    return done;
  }

  /** Returns distinct URLs ever admitted to this key. */
  public int seen() {
    return seen.size();
  }

  /** Throws {@link IllegalStateException} when an invariant of the class does not hold. */
  public void checkInvariants() {
    long accounted = ready.size() + delayed.size() + leases.size() + done;
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

  /** Writes the whole state, for backups and migrations. */
  void writeTo(ObjectDataOutput out) throws IOException {
    out.writeLong(nextLeaseId);
    out.writeLong(nextAllowedAt);
    out.writeLong(crawlDelayMs);
    out.writeLong(delayedSeq);
    out.writeLong(done);
    out.writeInt(ready.size());
    for (byte[] packed : ready) {
      out.writeByteArray(packed);
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
  }

  /** Reads a state written by {@link #writeTo}. */
  static HostQueue readFrom(ObjectDataInput in) throws IOException {
    HostQueue q = new HostQueue();
    q.nextLeaseId = in.readLong();
    q.nextAllowedAt = in.readLong();
    q.crawlDelayMs = in.readLong();
    q.delayedSeq = in.readLong();
    q.done = in.readLong();
    for (int i = in.readInt(); i > 0; i--) {
      q.ready.addLast(in.readByteArray());
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
    return q;
  }

  private void expireLeases(long now) {
    for (Iterator<Lease> it = leases.values().iterator(); it.hasNext(); ) {
      Lease lease = it.next();
      if (lease.expiresAt() <= now) {
        it.remove();
        ready.addFirst(PackedRequest.pack(lease.request()));
      }
    }
  }

  private void promoteDelayed(long now) {
    while (!delayed.isEmpty() && delayed.peek().notBefore() <= now) {
      ready.addLast(PackedRequest.pack(delayed.poll().request()));
    }
  }

  private void delay(CrawlRequest request, long notBefore) {
    delayed.add(new Delayed(notBefore, delayedSeq++, request));
  }

  private long wakeAt(long now) {
    if (!ready.isEmpty()) {
      return now < nextAllowedAt ? nextAllowedAt : Claim.ON_SETTLE;
    }
    if (!delayed.isEmpty()) {
      return Math.max(delayed.peek().notBefore(), nextAllowedAt);
    }
    return leases.isEmpty() ? Claim.IDLE : Claim.ON_SETTLE;
  }
}
