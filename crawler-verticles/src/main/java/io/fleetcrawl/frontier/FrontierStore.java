package io.fleetcrawl.frontier;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.IMap;
import io.fleetcrawl.model.CrawlRequest;
import io.fleetcrawl.ratecontrol.BudgetStore;
import io.fleetcrawl.ratecontrol.DomainController.Budget;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.LongAdder;

/**
 * The crawl's frontier in the cluster: one Hazelcast map from politeness key to {@link HostQueue},
 * changed only by entry processors on the key's partition owner, so a key's queue and politeness
 * state change together in one atomic step and never by read-modify-write across the network.
 *
 * <p>Every call is asynchronous and completes on the calling Vert.x context, never blocking it.
 */
public final class FrontierStore implements BudgetStore {
  /**
   * Map names start with this prefix; cluster.xml gives them their in-memory format and backups.
   */
  public static final String MAP_PREFIX = "frontier.";

  private final HazelcastInstance hazelcast;
  private final IMap<String, HostQueue> map;
  private final String owner;
  private final long maxUrlsPerKey;
  // Round trips this member started, by kind: the frontier's share of a page's cost, which the
  // scaling model (docs/SCALING.md) is built from.
  private final LongAdder offers = new LongAdder();
  private final LongAdder settleAndClaims = new LongAdder();
  private final LongAdder budgets = new LongAdder();
  private final LongAdder inspects = new LongAdder();
  private final LongAdder scans = new LongAdder();
  private volatile long startMicros;

  /** Opens the crawl's frontier with no limit on a key's URLs. */
  public FrontierStore(HazelcastInstance hazelcast, String crawl) {
    this(hazelcast, crawl, Long.MAX_VALUE);
  }

  /**
   * Opens the crawl's frontier; leases taken through it are owned by this member, and a key that
   * has admitted {@code maxUrlsPerKey} URLs admits no more.
   */
  public FrontierStore(HazelcastInstance hazelcast, String crawl, long maxUrlsPerKey) {
    this.maxUrlsPerKey = maxUrlsPerKey;
    this.hazelcast = hazelcast;
    this.map = hazelcast.getMap(MAP_PREFIX + crawl);
    this.owner = hazelcast.getCluster().getLocalMember().getUuid().toString();
  }

  /**
   * Starts every key that has no pace of the coordinator's gently: at most {@code ratePerSecond}
   * requests a second at first, doubling while the site answers well (see {@link
   * HostQueue#claim(long, int, int, long, String, long)}); 0 for no gentle start. Returns this.
   */
  public FrontierStore withGentleStart(double ratePerSecond) {
    this.startMicros = ratePerSecond > 0 ? Math.max(1, Math.round(1_000_000 / ratePerSecond)) : 0;
    return this;
  }

  /** Returns the id of this member, the owner recorded on the leases it takes. */
  @Override
  public String owner() {
    return owner;
  }

  /**
   * Returns the id of the member owning a key's partition, or null while partitions are being
   * assigned: that member reaches the key without a network hop.
   */
  public String partitionOwner(String key) {
    var member = hazelcast.getPartitionService().getPartition(key).getOwner();
    return member == null ? null : member.getUuid().toString();
  }

  /** Offers requests that all share one politeness key; completes with who was admitted. */
  public Future<OfferResult> offer(Context context, String key, List<CrawlRequest> requests) {
    offers.increment();
    return onContext(
        map.submitToKey(key, new FrontierProcessors.Offer(requests, maxUrlsPerKey)), context);
  }

  /**
   * Returns the figures of the keys whose partitions this member owns and that have URLs ready or
   * due for their retry at {@code now}. Reads only local data, but blocking: call it off the event
   * loop.
   */
  public List<KeyStats> localKeysWithWaiting(long now) {
    scans.increment();
    Set<String> keys = map.localKeySet(new FrontierProcessors.HasReady(now));
    if (keys.isEmpty()) {
      return List.of();
    }
    List<KeyStats> stats = new ArrayList<>();
    for (KeyStats k : executeByPartition(keys, new FrontierProcessors.Inspect()).values()) {
      if (k != null) {
        stats.add(k);
      }
    }
    return stats;
  }

  /** The most keys one multi-key call carries (see {@link #executeByPartition}). */
  public static final int CALL_KEYS = 1_024;

  /**
   * Runs a processor on many keys in calls of at most {@link #CALL_KEYS} keys, each call holding
   * the keys of whole partitions. Hazelcast's {@code executeOnKeys} hands every partition's
   * operation the call's whole key set: each operation looks at every key and sizes its answer for
   * all of them. Over 100,000 one-page hosts, one scan of a member's 38,000 keys held ~165 MiB of
   * such answers at once, and a 768 MiB node spent its time in full GCs. Blocking.
   */
  <R> Map<String, R> executeByPartition(
      Set<String> keys, EntryProcessor<String, HostQueue, R> processor) {
    if (keys.size() <= CALL_KEYS) {
      return map.executeOnKeys(keys, processor);
    }
    var partitions = hazelcast.getPartitionService();
    Map<Integer, List<String>> byPartition = new TreeMap<>();
    for (String key : keys) {
      byPartition
          .computeIfAbsent(partitions.getPartition(key).getPartitionId(), p -> new ArrayList<>())
          .add(key);
    }
    Map<String, R> results = new HashMap<>();
    Set<String> call = new HashSet<>();
    for (List<String> partition : byPartition.values()) {
      if (!call.isEmpty() && call.size() + partition.size() > CALL_KEYS) {
        results.putAll(map.executeOnKeys(call, processor));
        call = new HashSet<>();
      }
      call.addAll(partition);
    }
    if (!call.isEmpty()) {
      results.putAll(map.executeOnKeys(call, processor));
    }
    return results;
  }

  /**
   * Returns the keys whose invariants do not hold (see {@link HostQueue#checkInvariants}), each
   * with the violation; empty when all hold. Visits every partition, blocking.
   */
  public List<String> invariantViolations() {
    List<String> violations = new ArrayList<>();
    for (String v : map.executeOnEntries(new FrontierProcessors.Check()).values()) {
      if (v != null) {
        violations.add(v);
      }
    }
    return violations;
  }

  /**
   * Returns the keys, cluster-wide, with URLs ready to claim or due for their retry at {@code now}.
   * Visits every partition, blocking: call it off the event loop.
   */
  public Set<String> keysWithReady(long now) {
    scans.increment();
    return map.keySet(new FrontierProcessors.HasReady(now));
  }

  /**
   * Returns how many keys hold a URL leased to any member, cluster-wide. Visits every partition,
   * blocking: call it off the event loop.
   */
  public int keysLeased() {
    scans.increment();
    return map.keySet(new FrontierProcessors.HasLeases()).size();
  }

  /** Returns every key's figures. Visits every partition, blocking: call it off the event loop. */
  public List<KeyStats> stats() {
    scans.increment();
    List<KeyStats> all = new ArrayList<>();
    for (KeyStats k : map.executeOnEntries(new FrontierProcessors.Inspect()).values()) {
      if (k != null) {
        all.add(k);
      }
    }
    return all;
  }

  /** Returns a key's figures, or null when the key does not exist. */
  public Future<KeyStats> inspect(Context context, String key) {
    inspects.increment();
    return onContext(map.submitToKey(key, new FrontierProcessors.Inspect()), context);
  }

  @Override
  public Future<Budget> budgetOf(Context context, String key) {
    return inspect(context, key)
        .map(
            stats ->
                stats != null && stats.coordinated() && !stats.starting()
                    ? new Budget(
                        stats.budget(),
                        stats.spacingMicros() > 0 ? 1_000_000.0 / stats.spacingMicros() : 0)
                    : null);
  }

  @Override
  public Future<Double> startPaceOf(Context context, String key) {
    return inspect(context, key)
        .map(
            stats ->
                stats != null && stats.startPaceMicros() > 0
                    ? 1_000_000.0 / stats.startPaceMicros()
                    : 0.0);
  }

  /**
   * Applies a budget learned by the coordinator to a key (see {@link HostQueue#setBudget});
   * completes with whether the key exists.
   */
  @Override
  public Future<Boolean> setBudget(
      Context context, String key, int concurrency, long spacingMicros) {
    budgets.increment();
    return onContext(
        map.submitToKey(key, new FrontierProcessors.SetBudget(concurrency, spacingMicros)),
        context);
  }

  /** Claims up to {@code max} URLs of a key, keeping at most {@code limit} of its leases out. */
  public Future<SettleResult> claim(
      Context context, String key, long now, int max, int limit, long leaseMs) {
    return settleAndClaim(context, key, List.of(), 0, -1, now, max, limit, leaseMs);
  }

  /**
   * Queues again every URL leased to a member that left the cluster; completes with the keys that
   * got URLs back. Runs on every partition, blocking: call it off the event loop.
   */
  public Map<String, Integer> releaseOwner(String owner) {
    scans.increment();
    Map<String, Integer> released = new HashMap<>();
    map.executeOnEntries(new FrontierProcessors.ReleaseOwner(owner))
        .forEach(
            (key, n) -> {
              if (n != null && n > 0) {
                released.put(key, n);
              }
            });
    return released;
  }

  /**
   * Queues again the leases expired by {@code now}; returns the keys that got URLs back. Runs on
   * every partition, blocking: call it off the event loop.
   */
  public Set<String> sweep(long now) {
    scans.increment();
    return keysWithWork(map.executeOnEntries(new FrontierProcessors.Sweep(now)));
  }

  private static Set<String> keysWithWork(Map<String, Integer> counts) {
    Set<String> keys = new HashSet<>();
    counts.forEach(
        (key, n) -> {
          if (n != null && n > 0) {
            keys.add(key);
          }
        });
    return keys;
  }

  /**
   * Settles leases of a key, applies a pause and a crawl-delay (0 and -1 leave them unchanged), and
   * claims up to {@code max} more, in one round trip.
   */
  public Future<SettleResult> settleAndClaim(
      Context context,
      String key,
      List<Settlement> settlements,
      long pauseUntil,
      long crawlDelayMs,
      long now,
      int max,
      int limit,
      long leaseMs) {
    settleAndClaims.increment();
    var processor =
        new FrontierProcessors.SettleAndClaim(
            settlements, pauseUntil, crawlDelayMs, now, max, limit, leaseMs, owner, startMicros);
    return onContext(map.submitToKey(key, processor), context);
  }

  /**
   * Returns the binary form of every key this member owns that is due to be saved at {@code now}
   * (changed since its last save, which is at least {@code intervalMs} ago, longer for large keys:
   * see {@link HostQueue#dueForSave}; 0 for every changed key), and marks them saved. Reads only
   * local data, but blocking: call it off the event loop.
   */
  public Map<String, byte[]> saveLocalChanges(long now, long intervalMs) {
    Set<String> keys = map.localKeySet(new FrontierProcessors.Unsaved(now, intervalMs));
    if (keys.isEmpty()) {
      return Map.of();
    }
    Map<String, byte[]> changed = new HashMap<>();
    executeByPartition(keys, new FrontierProcessors.Save(now, intervalMs))
        .forEach(
            (key, bytes) -> {
              if (bytes != null) {
                changed.put(key, bytes);
              }
            });
    return changed;
  }

  /** Returns the version held by a binary form from {@link #saveLocalChanges}. */
  public static long versionOf(byte[] saved) {
    return HostQueue.versionOf(saved);
  }

  /**
   * Puts a key's saved state back unless the map holds the same or a newer version; completes with
   * whether it did. The state's leases are queued again (see {@link HostQueue#releaseAll}).
   */
  public CompletionStage<Boolean> restore(String key, byte[] saved) {
    return map.submitToKey(key, new FrontierProcessors.Restore(saved));
  }

  /**
   * Whether bytes from {@link #saveLocalChanges} are a large key's journal (the changes since its
   * last whole copy) rather than a whole copy.
   */
  public static boolean isJournal(byte[] saved) {
    return HostQueue.isJournal(saved);
  }

  /**
   * Whether a key saved whole as {@code whole} may have journals saved before (see {@link
   * HostQueue#mayHaveJournals}), which the whole copy makes obsolete.
   */
  public static boolean mayHaveJournals(byte[] whole) {
    return HostQueue.mayHaveJournals(whole);
  }

  /**
   * Replays a large key's saved journals on its state just restored; completes with how many were
   * newer than the whole copy restored and were replayed.
   */
  public CompletionStage<Integer> replay(String key, List<byte[]> journals) {
    return map.submitToKey(key, new FrontierProcessors.Replay(journals));
  }

  /** Drops every key of the crawl, cluster-wide (a cancelled crawl). Blocking. */
  public void clear() {
    map.clear();
  }

  /** Returns whether the frontier holds no key at all, cluster-wide. Blocking. */
  public boolean isEmpty() {
    return map.isEmpty();
  }

  /**
   * Returns the frontier round trips this member started, by kind: {@code offer} (a batch of one
   * key's URLs), {@code settleAndClaim} (a claim, with or without settlements), {@code setBudget},
   * {@code inspect}, and {@code scan} (a call that visits every partition: sweeps, scans for keys
   * with work, member-loss releases, status totals).
   */
  public Map<String, Long> operations() {
    Map<String, Long> m = new LinkedHashMap<>();
    m.put("offer", offers.sum());
    m.put("settleAndClaim", settleAndClaims.sum());
    m.put("setBudget", budgets.sum());
    m.put("inspect", inspects.sum());
    m.put("scan", scans.sum());
    return m;
  }

  /**
   * Completes a future on {@code context} when an entry processor answers. Hazelcast runs a plain
   * {@code whenComplete} callback on its default async executor, which with fewer than three cores
   * (a common pool of parallelism 1) starts a new thread per callback: tens of thousands of threads
   * per crawl. The answer is instead handed over on the thread that received it (a cheap hop to the
   * context), and the future completes on the context as before.
   */
  private static <T> Future<T> onContext(CompletionStage<T> answer, Context context) {
    Promise<T> promise = Promise.promise();
    answer.whenCompleteAsync(
        (value, failure) ->
            context.runOnContext(
                v -> {
                  if (failure != null) {
                    promise.fail(failure);
                  } else {
                    promise.complete(value);
                  }
                }),
        Runnable::run);
    return promise.future();
  }
}
