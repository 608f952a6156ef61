package io.fleetcrawl.frontier;

import io.fleetcrawl.bus.Addresses;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides which node works a politeness key. A key that receives URLs while idle is announced to
 * the member owning its partition (its claims then never cross the network); every few seconds each
 * node looks through the keys it owns for ready URLs nobody took (after a member left, after
 * partitions moved to a node that just joined), keys with a long queue are announced to every node,
 * so one huge site is worked by all of them, and a node short of keys of its own takes some of the
 * others'; each works within its share of the key's limit.
 *
 * <p>Announcements end on the node-local {@link Addresses#keyReadyLocal}, where the fetch worker
 * owning the key picks them up. Losing one costs nothing but time: the next scan finds the key
 * again.
 *
 * <p>A verticle: deploying it starts the listening and the scans, undeploying it stops them. Its
 * {@link #announce} and {@link #mayClaim} may be called from any thread once it is deployed.
 */
public final class KeyDispatch extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(KeyDispatch.class);
  private static final DeliveryOptions LOCAL_ONLY = new DeliveryOptions().setLocalOnly(true);

  /** Queued URLs above which a key is announced to every node. */
  public static final int HOT_QUEUED = 500;

  private final FrontierStore frontier;
  private final String crawl;
  private List<MessageConsumer<String>> consumers = List.of();
  private long timer = -1;
  private final long scanMs;
  private final int busyKeys;
  private final Map<String, Long> hotUntil = new ConcurrentHashMap<>();
  private final LongSupplier clock;
  private boolean scanning;

  /**
   * @param scanMs how often this node looks through the keys it owns
   * @param busyKeys keys with ready URLs that keep this node's workers busy; with fewer of its own,
   *     the node also takes keys other nodes own (each within its share of the key's limit)
   * @param clock epoch milliseconds
   */
  public KeyDispatch(
      FrontierStore frontier, String crawl, long scanMs, int busyKeys, LongSupplier clock) {
    this.clock = clock;
    this.frontier = frontier;
    this.crawl = crawl;
    this.busyKeys = busyKeys;
    this.scanMs = scanMs;
  }

  @Override
  public Future<?> start() {
    var bus = vertx.eventBus();
    this.consumers =
        List.of(
            bus.<String>consumer(Addresses.keyReady(crawl, frontier.owner()), m -> local(m.body())),
            bus.<String>consumer(
                Addresses.hotKey(crawl),
                m -> {
                  hotUntil.put(m.body(), clock.getAsLong() + 3 * scanMs);
                  local(m.body());
                }));
    this.timer = vertx.setPeriodic(scanMs, id -> scan());
    return Future.all(consumers.stream().map(MessageConsumer::completion).toList());
  }

  /** Tells the node owning the key's partition that the key received URLs. */
  public void announce(String key) {
    String owner = frontier.partitionOwner(key);
    if (owner == null || owner.equals(frontier.owner())) {
      local(key);
    } else {
      vertx.eventBus().send(Addresses.keyReady(crawl, owner), key);
    }
  }

  /**
   * Returns whether this node's workers should claim URLs of a key: it owns the key's partition (or
   * partitions are being assigned), or the key is hot. A node that stops owning a key (one joined
   * and partitions moved) settles what it holds and leaves the key to its new owner.
   */
  public boolean mayClaim(String key) {
    String owner = frontier.partitionOwner(key);
    if (owner == null || owner.equals(frontier.owner())) {
      return true;
    }
    Long until = hotUntil.get(key);
    return until != null && until > clock.getAsLong();
  }

  /** Tells this node's workers about keys, such as those whose leases were just released. */
  public void announceAll(Set<String> keys) {
    keys.forEach(this::announce);
  }

  private void local(String key) {
    vertx.eventBus().publish(Addresses.keyReadyLocal(crawl), key, LOCAL_ONLY);
  }

  private void scan() {
    if (scanning) {
      return;
    }
    scanning = true;
    long now = clock.getAsLong();
    hotUntil.values().removeIf(until -> until <= now);
    vertx
        .executeBlocking(
            () -> {
              List<KeyStats> own = frontier.localKeysWithWaiting(now);
              // Idle with its own keys: help with the others' (the tail of a crawl, or keys
              // spread unevenly over the partitions), rather than wait for them to finish.
              Set<String> others = own.size() < busyKeys ? frontier.keysWithReady(now) : Set.of();
              return Map.entry(own, others);
            },
            false)
        .onComplete(
            ar -> {
              scanning = false;
              if (ar.failed()) {
                LOG.warn("frontier scan failed: {}", ar.cause().toString());
                return;
              }
              for (KeyStats key : ar.result().getKey()) {
                if (key.queued() >= HOT_QUEUED) {
                  vertx.eventBus().publish(Addresses.hotKey(crawl), key.key());
                } else {
                  local(key.key());
                }
              }
              long until = clock.getAsLong() + 2 * scanMs;
              for (String key : ar.result().getValue()) {
                if (!frontier.owner().equals(frontier.partitionOwner(key))) {
                  hotUntil.merge(key, until, Math::max);
                  local(key);
                }
              }
            });
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(timer);
    return Future.all(consumers.stream().map(MessageConsumer::unregister).toList());
  }
}
