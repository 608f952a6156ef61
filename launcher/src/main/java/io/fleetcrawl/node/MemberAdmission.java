package io.fleetcrawl.node;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.config.Config;
import com.hazelcast.core.HazelcastInstance;
import io.fleetcrawl.membership.MemberTrust;
import io.fleetcrawl.model.InvalidInputException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The member list means what it says in both directions: a node (or a {@code submit} client) whose
 * address a running member did not list leaves again before it takes or sends any work, and a
 * running member logs every newcomer it did not list.
 *
 * <p>Hazelcast's open-source edition lets any process that reaches a member and knows the cluster
 * name join; it cannot make the members refuse it. So each member publishes the list it was started
 * with as a member attribute, and a newcomer checks itself against every running member's list
 * right after joining. This stops misconfigured nodes, not hostile ones: isolating the Hazelcast
 * port is the boundary against those.
 */
public final class MemberAdmission {
  private static final Logger LOG = LoggerFactory.getLogger(MemberAdmission.class);

  /** The member attribute holding the member list a node was started with. */
  static final String ATTRIBUTE = "fleetcrawl.members";

  private MemberAdmission() {}

  /** Publishes the configuration's TCP-IP member list as this member's attribute. */
  static void publish(Config config) {
    List<String> members = config.getNetworkConfig().getJoin().getTcpIpConfig().getMembers();
    if (!members.isEmpty()) {
      config.getMemberAttributeConfig().setAttribute(ATTRIBUTE, String.join(",", members));
    }
  }

  /**
   * Checks, after joining, that every running member listed this one. Blocks on the cluster: call
   * off the event loop.
   *
   * @throws IllegalArgumentException naming this node's address, the member and its list
   */
  public static void check(HazelcastInstance hazelcast) {
    Member self = hazelcast.getCluster().getLocalMember();
    InetAddress address;
    try {
      address = self.getAddress().getInetAddress();
    } catch (UnknownHostException e) {
      return;
    }
    for (Member member : hazelcast.getCluster().getMembers()) {
      String list = member.getAttribute(ATTRIBUTE);
      if (member.localMember() || list == null || listed(address, List.of(list))) {
        continue;
      }
      throw new InvalidInputException(
          "this node's address "
              + address.getHostAddress()
              + " is not on the member list of running member "
              + member.getAddress().getHost()
              + " ["
              + list
              + "]; list it in --members (FLEETCRAWL_MEMBERS) on every node");
    }
  }

  /** How long a new member may take to publish its proof of the cluster key. */
  static final long PROOF_GRACE_MS = 10_000;

  /** How often a member reads the others' proofs again. */
  static final long PROOF_CHECK_MS = 1_000;

  /** Returns who this process trusts: the holders of the cluster key, or everyone without one. */
  public static MemberTrust trust(HazelcastInstance hazelcast, ClusterKey key) {
    return key == null
        ? MemberTrust.everyone()
        : MemberTrust.keyed(
            hazelcast, key.proofSecret(), PROOF_GRACE_MS, System::currentTimeMillis);
  }

  /**
   * Checks, after joining, that this process holds the key the running members prove themselves
   * with (and, with no key, that they have none). Blocks on the cluster: call off the event loop.
   *
   * @throws InvalidInputException saying which member and what to give this process
   */
  public static void checkKey(HazelcastInstance hazelcast, ClusterKey key)
      throws InterruptedException {
    byte[] secret = key == null ? null : key.proofSecret();
    String why = MemberTrust.mismatch(hazelcast, secret);
    // Members that joined a moment ago may not have published their proofs yet.
    long deadline = System.currentTimeMillis() + PROOF_GRACE_MS;
    while (why != null
        && why.startsWith(MemberTrust.NO_KEY_IN_CLUSTER)
        && System.currentTimeMillis() < deadline) {
      Thread.sleep(500);
      why = MemberTrust.mismatch(hazelcast, secret);
    }
    if (why != null) {
      throw new InvalidInputException("this process may not join: " + why);
    }
  }

  /**
   * Publishes this member's proof (again: {@link #checkKey} was preceded by a first one), reads the
   * others' at once and then every {@link #PROOF_CHECK_MS}, and reports each member that stays
   * unproven past its grace period. The cluster calls go to worker threads. Completes once the
   * first reading is done.
   */
  public static Future<Void> watchProofs(
      Vertx vertx, HazelcastInstance hazelcast, MemberTrust trust) {
    if (!trust.keyed()) {
      return Future.succeededFuture();
    }
    hazelcast
        .getCluster()
        .addMembershipListener(
            new MembershipListener() {
              @Override
              public void memberAdded(MembershipEvent event) {}

              @Override
              public void memberRemoved(MembershipEvent event) {
                vertx.executeBlocking(
                    () -> {
                      trust.forget(event.getMember().getUuid());
                      return null;
                    },
                    false);
              }
            });
    AtomicBoolean busy = new AtomicBoolean();
    vertx.setPeriodic(
        PROOF_CHECK_MS,
        id -> {
          if (busy.compareAndSet(false, true)) {
            refresh(vertx, trust).onComplete(r -> busy.set(false));
          }
        });
    return vertx
        .executeBlocking(
            () -> {
              trust.publish();
              return null;
            },
            false)
        .compose(v -> refresh(vertx, trust));
  }

  private static Future<Void> refresh(Vertx vertx, MemberTrust trust) {
    return vertx
        .executeBlocking(trust::refresh, false)
        .onSuccess(
            newly -> {
              for (Member m : newly) {
                LOG.error(
                    "member {} ({}) has not proven that it holds the cluster key: it is not one of"
                        + " ours. It gets no event-bus message, no chore and no lease, but it can"
                        + " still read and change the cluster's maps: keep the Hazelcast port on a"
                        + " network only the members reach",
                    m.getAddress(),
                    m.getUuid());
              }
            })
        .onFailure(e -> LOG.warn("could not check the members' proofs: {}", e.toString()))
        .mapEmpty();
  }

  /** Logs every member that joins without being on this node's list. */
  public static void watch(HazelcastInstance hazelcast) {
    String own = hazelcast.getCluster().getLocalMember().getAttribute(ATTRIBUTE);
    if (own == null) {
      return;
    }
    hazelcast
        .getCluster()
        .addMembershipListener(
            new MembershipListener() {
              @Override
              public void memberAdded(MembershipEvent event) {
                Member m = event.getMember();
                try {
                  if (!listed(m.getAddress().getInetAddress(), List.of(own))) {
                    LOG.warn(
                        "member {} joined but is not on this node's member list [{}]; a node"
                            + " started by this version leaves again at once, anything else is"
                            + " not one of ours: isolate the cluster port",
                        m.getAddress(),
                        own);
                  }
                } catch (UnknownHostException e) {
                  LOG.warn("member {} joined with an unresolvable address", m.getAddress());
                }
              }

              @Override
              public void memberRemoved(MembershipEvent event) {}
            });
  }

  /**
   * Returns whether an address is on a member list: entries are host names or addresses, with an
   * optional port or port range, separated by commas, semicolons or spaces.
   */
  static boolean listed(InetAddress address, List<String> members) {
    for (String member : members) {
      for (String entry : member.split("[,;\\s]+")) {
        String host = entry.replaceAll(":[0-9-]+$", "").replaceAll("^\\[|\\]$", "");
        if (host.isEmpty()) {
          continue;
        }
        try {
          for (InetAddress a : InetAddress.getAllByName(host)) {
            if (a.equals(address)) {
              return true;
            }
          }
        } catch (UnknownHostException e) {
          // An unresolvable entry cannot be this address.
        }
      }
    }
    return false;
  }
}
