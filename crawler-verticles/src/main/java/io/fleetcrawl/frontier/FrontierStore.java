package io.fleetcrawl.frontier;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.fleetcrawl.model.CrawlRequest;
import io.vertx.core.Context;
import io.vertx.core.Future;
import java.util.List;

/**
 * The crawl's frontier in the cluster: one Hazelcast map from politeness key to {@link HostQueue},
 * changed only by entry processors on the key's partition owner, so a key's queue and politeness
 * state change together in one atomic step and never by read-modify-write across the network.
 *
 * <p>Every call is asynchronous and completes on the calling Vert.x context, never blocking it.
 */
public final class FrontierStore {
  /**
   * Map names start with this prefix; cluster.xml gives them their in-memory format and backups.
   */
  public static final String MAP_PREFIX = "frontier.";

  private final IMap<String, HostQueue> map;

  public FrontierStore(HazelcastInstance hazelcast, String crawl) {
    this.map = hazelcast.getMap(MAP_PREFIX + crawl);
  }

  /** Offers requests that all share one politeness key; completes with who was admitted. */
  public Future<boolean[]> offer(Context context, String key, List<CrawlRequest> requests) {
    return Future.fromCompletionStage(
        map.submitToKey(key, new FrontierProcessors.Offer(requests)), context);
  }

  /** Claims up to {@code max} URLs of a key, keeping at most {@code limit} of its leases out. */
  public Future<SettleResult> claim(
      Context context, String key, long now, int max, int limit, long leaseMs) {
    return settleAndClaim(context, key, List.of(), 0, -1, now, max, limit, leaseMs);
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
    var processor =
        new FrontierProcessors.SettleAndClaim(
            settlements, pauseUntil, crawlDelayMs, now, max, limit, leaseMs);
    return Future.fromCompletionStage(map.submitToKey(key, processor), context);
  }
}
