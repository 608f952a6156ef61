package io.fleetcrawl.frontier;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import io.fleetcrawl.membership.MemberTrust;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives back the work of members that are gone: when a member leaves the cluster, every URL leased
 * to it is queued again at once (not after the lease runs out), and leases that simply expired are
 * queued again on a timer. Only the oldest member does it, so the work is done once; when the
 * oldest leaves, the next one takes over. The scans run on Vert.x worker threads, never on an event
 * loop, and the keys that got URLs back are announced to the workers. A verticle: deploying it
 * starts the watching, undeploying it stops it.
 */
public final class LeaseReaper extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(LeaseReaper.class);

  private final HazelcastInstance hazelcast;
  private final FrontierStore frontier;
  private final Consumer<Set<String>> keysReady;
  private final LongSupplier clock;
  private final long sweepMs;
  private UUID listener;
  private volatile long timer = -1;
  private final AtomicLong releasedOnMemberLoss = new AtomicLong();
  private MemberTrust trust = MemberTrust.everyone();

  /**
   * @param sweepMs how often expired leases are looked for
   * @param keysReady told the keys that got URLs back
   * @param clock epoch milliseconds, the frontier's time
   */
  public LeaseReaper(
      HazelcastInstance hazelcast,
      FrontierStore frontier,
      long sweepMs,
      Consumer<Set<String>> keysReady,
      LongSupplier clock) {
    this.hazelcast = hazelcast;
    this.frontier = frontier;
    this.sweepMs = sweepMs;
    this.keysReady = keysReady;
    this.clock = clock;
  }

  /**
   * Leaves the chores to the oldest member that proved it holds the cluster key, and gives back on
   * every sweep the leases of members that did not prove it.
   */
  public LeaseReaper withTrust(MemberTrust trust) {
    this.trust = trust;
    return this;
  }

  @Override
  public Future<?> start() {
    // Registering a membership listener is local to this member: it does not wait on the cluster.
    this.listener =
        hazelcast
            .getCluster()
            .addMembershipListener(
                new MembershipListener() {
                  @Override
                  public void memberAdded(MembershipEvent event) {}

                  @Override
                  public void memberRemoved(MembershipEvent event) {
                    release(event.getMember());
                  }
                });
    this.timer = vertx.setPeriodic(sweepMs, id -> sweep());
    return Future.succeededFuture();
  }

  /** Returns how many leased URLs this member queued again because their member left. */
  public long releasedOnMemberLoss() {
    return releasedOnMemberLoss.get();
  }

  private boolean oldest() {
    return trust.isOldest(hazelcast);
  }

  private void release(Member gone) {
    if (!oldest()) {
      return;
    }
    String owner = gone.getUuid().toString();
    vertx
        .<Map<String, Integer>>executeBlocking(() -> frontier.releaseOwner(owner), false)
        .onSuccess(
            released -> {
              int urls = released.values().stream().mapToInt(Integer::intValue).sum();
              releasedOnMemberLoss.addAndGet(urls);
              LOG.info(
                  "member {} left: its {} leased URLs on {} keys are queued again",
                  gone.getAddress(),
                  urls,
                  released.size());
              keysReady.accept(released.keySet());
            })
        .onFailure(
            e ->
                LOG.warn(
                    "could not release the leases of {}: {}", gone.getAddress(), e.toString()));
  }

  private void sweep() {
    if (!oldest()) {
      return;
    }
    vertx
        .<Set<String>>executeBlocking(
            () -> {
              Set<String> keys = new HashSet<>(frontier.sweep(clock.getAsLong()));
              for (var unproven : trust.unproven().entrySet()) {
                // Whatever an unproven member claimed goes back to the members that can be trusted.
                Map<String, Integer> released = frontier.releaseOwner(unproven.getKey().toString());
                if (!released.isEmpty()) {
                  LOG.warn(
                      "gave back the leases of unproven member {} on {} keys",
                      unproven.getValue(),
                      released.size());
                  keys.addAll(released.keySet());
                }
              }
              return keys;
            },
            false)
        .onSuccess(
            keys -> {
              if (!keys.isEmpty()) {
                LOG.info("expired leases on {} keys are queued again", keys.size());
                keysReady.accept(keys);
              }
            })
        .onFailure(e -> LOG.warn("lease sweep failed: {}", e.toString()));
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(timer);
    try {
      hazelcast.getCluster().removeMembershipListener(listener);
    } catch (RuntimeException e) {
      // The instance is already shutting down; the listener goes with it.
    }
    return Future.succeededFuture();
  }
}
