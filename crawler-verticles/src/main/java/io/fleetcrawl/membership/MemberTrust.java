package io.fleetcrawl.membership;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Which members of the cluster proved that they hold the cluster key.
 *
 * <p>Hazelcast's open-source edition lets any process that reaches a member and knows the cluster
 * name join, and cannot authenticate it (that is an Enterprise feature). So, when the cluster has a
 * key, each member publishes an HMAC of its own member id, keyed by a secret derived from the
 * cluster key, in a shared map; the others check it. Copying another member's proof is useless: it
 * names that member's id, which is unique while that member lives.
 *
 * <p>A member that has not proven itself within a grace period is <em>unproven</em>: it is elected
 * to nothing (lease reaper, budget coordinator, state saver), sent no control command, and the
 * leases it holds are given back. It can still read and change the cluster's maps through Hazelcast
 * itself, which no check here can stop: keeping the Hazelcast port on a network only members reach
 * is the real boundary. The event bus, where submits, controls and budget reports travel, is closed
 * to it by TLS with client certificates.
 *
 * <p>Without a cluster key every member is trusted, as before keys existed. Lookups ({@link
 * #trusted}) never block; {@link #refresh} and {@link #publish} talk to the cluster and run on
 * worker threads.
 */
public final class MemberTrust {
  /** The map of proofs: member id to its HMAC, Base64. */
  public static final String MAP = "fleetcrawl.member-proofs";

  private static final String MAC = "HmacSHA256";

  private final HazelcastInstance hazelcast;
  private final byte[] secret;
  private final long graceMs;
  private final LongSupplier clock;
  private final Map<UUID, Long> firstSeen = new ConcurrentHashMap<>();
  private volatile Set<UUID> proven = Set.of();
  private volatile Set<String> provenNodes = Set.of();
  private volatile Map<UUID, String> unproven = Map.of();
  private final List<Runnable> changeListeners = new CopyOnWriteArrayList<>();

  private MemberTrust(
      HazelcastInstance hazelcast, byte[] secret, long graceMs, LongSupplier clock) {
    this.hazelcast = hazelcast;
    this.secret = secret == null ? null : secret.clone();
    this.graceMs = graceMs;
    this.clock = clock;
  }

  /** Trusts every member: a cluster without a key. */
  public static MemberTrust everyone() {
    return new MemberTrust(null, null, 0, System::currentTimeMillis);
  }

  /**
   * Trusts the members whose proof this secret verifies.
   *
   * @param secret the HMAC key derived from the cluster key (the same on every member)
   * @param graceMs how long a new member may take to publish its proof before it is reported
   * @param clock epoch milliseconds
   */
  public static MemberTrust keyed(
      HazelcastInstance hazelcast, byte[] secret, long graceMs, LongSupplier clock) {
    if (secret == null || secret.length < 16) {
      throw new IllegalArgumentException("a member-proof secret needs at least 16 bytes");
    }
    return new MemberTrust(hazelcast, secret, graceMs, clock);
  }

  /** Returns whether the cluster has a key, so that members must prove themselves. */
  public boolean keyed() {
    return secret != null;
  }

  /** Returns whether a member may be given work and sent commands. Never blocks. */
  public boolean trusted(Member member) {
    return secret == null || member.localMember() || proven.contains(member.getUuid());
  }

  /**
   * The member attribute in which Vert.x's Hazelcast cluster manager keeps a member's event-bus
   * node id (a random id of its own, not the member's).
   */
  public static final String VERTX_NODE_ID = "__vertx.nodeId";

  /**
   * Returns whether the event-bus node with this id may be sent messages: it is this member's, or a
   * proven member's. Never blocks.
   */
  public boolean trustedNode(String nodeId) {
    return secret == null
        || provenNodes.contains(nodeId)
        || nodeId.equals(hazelcast.getCluster().getLocalMember().getAttribute(VERTX_NODE_ID));
  }

  /** Runs the action, on the refreshing thread, whenever the set of proven members changes. */
  public void onChange(Runnable action) {
    changeListeners.add(action);
  }

  /** Returns the oldest trusted member of the cluster passing the filter, or null. Never blocks. */
  public Member oldest(HazelcastInstance cluster, Predicate<Member> filter) {
    for (Member m : cluster.getCluster().getMembers()) {
      if (filter.test(m) && trusted(m)) {
        return m;
      }
    }
    return null;
  }

  /**
   * Returns whether this member is the oldest trusted one of the given cluster, the one that does
   * the cluster's chores. Never blocks.
   */
  public boolean isOldest(HazelcastInstance cluster) {
    Member oldest = oldest(cluster, m -> true);
    return oldest != null && oldest.localMember();
  }

  /** Returns the members past their grace period without a valid proof: id to address. */
  public Map<UUID, String> unproven() {
    return unproven;
  }

  /** Publishes this member's proof. Blocking; a no-op without a key. */
  public void publish() {
    if (secret == null) {
      return;
    }
    UUID self = hazelcast.getCluster().getLocalMember().getUuid();
    proofs().set(self.toString(), proof(secret, self));
  }

  /**
   * Reads every member's proof again (and puts back this member's, should it have gone). Returns
   * the members found unproven for the first time. Blocking; a no-op without a key.
   */
  public List<Member> refresh() {
    if (secret == null) {
      return List.of();
    }
    IMap<String, String> map = proofs();
    long now = clock.getAsLong();
    Set<Member> members = hazelcast.getCluster().getMembers();
    Set<String> ids = new HashSet<>();
    for (Member m : members) {
      ids.add(m.getUuid().toString());
    }
    Map<String, String> published = map.getAll(ids);
    Set<UUID> nowProven = new HashSet<>();
    Map<UUID, String> nowUnproven = new LinkedHashMap<>();
    List<Member> newlyUnproven = new ArrayList<>();
    Set<UUID> present = new HashSet<>();
    for (Member m : members) {
      UUID id = m.getUuid();
      present.add(id);
      String expected = proof(secret, id);
      if (m.localMember()) {
        if (!expected.equals(published.get(id.toString()))) {
          map.set(id.toString(), expected);
        }
        nowProven.add(id);
        continue;
      }
      if (matches(expected, published.get(id.toString()))) {
        nowProven.add(id);
        continue;
      }
      long since = firstSeen.computeIfAbsent(id, k -> now);
      if (now - since >= graceMs) {
        nowUnproven.put(id, m.getAddress().toString());
        if (!unproven.containsKey(id)) {
          newlyUnproven.add(m);
        }
      }
    }
    firstSeen.keySet().retainAll(present);
    Set<String> nowProvenNodes = new HashSet<>();
    for (Member m : members) {
      String node = m.getAttribute(VERTX_NODE_ID);
      if (node != null && nowProven.contains(m.getUuid())) {
        nowProvenNodes.add(node);
      }
    }
    boolean changed = !provenNodes.equals(nowProvenNodes);
    provenNodes = Set.copyOf(nowProvenNodes);
    proven = Set.copyOf(nowProven);
    unproven = Map.copyOf(nowUnproven);
    if (changed) {
      changeListeners.forEach(Runnable::run);
    }
    return newlyUnproven;
  }

  /** Forgets the proof of a member that left. Blocking; a no-op without a key. */
  public void forget(UUID member) {
    if (secret != null) {
      proofs().delete(member.toString());
    }
  }

  /**
   * Returns why this process may not join the running cluster, or null when it may: a running
   * member's proof that this process's secret (null for none) does not verify means the cluster has
   * a key this process lacks, or a different one. Blocking.
   */
  public static String mismatch(HazelcastInstance hazelcast, byte[] secret) {
    IMap<String, String> map = hazelcast.getMap(MAP);
    Member unkeyed = null;
    boolean anyProof = false;
    for (Member m : hazelcast.getCluster().getMembers()) {
      if (m.localMember()) {
        continue;
      }
      String published = map.get(m.getUuid().toString());
      if (published == null) {
        if (!m.isLiteMember() && unkeyed == null) {
          unkeyed = m;
        }
        continue;
      }
      anyProof = true;
      if (secret == null) {
        return "running member "
            + m.getAddress()
            + " proves itself with a cluster key, and this process has none:"
            + " give it the cluster's --cluster-cert and --cluster-key";
      }
      if (!matches(proof(secret, m.getUuid()), published)) {
        return "running member "
            + m.getAddress()
            + " proves itself with a different cluster key than this process's --cluster-key";
      }
    }
    if (secret != null && !anyProof && unkeyed != null) {
      return NO_KEY_IN_CLUSTER
          + ": running member "
          + unkeyed.getAddress()
          + " proves no cluster key; give every node and client the same --cluster-cert and"
          + " --cluster-key, or none";
    }
    return null;
  }

  /**
   * How {@link #mismatch} begins when this process has a key and the running members prove none:
   * possibly members that have just joined and not yet published, so worth asking again.
   */
  public static final String NO_KEY_IN_CLUSTER = "the running members have no cluster key";

  /** Returns a member's proof: the HMAC-SHA256 of its id under the secret, Base64. */
  public static String proof(byte[] secret, UUID member) {
    try {
      Mac mac = Mac.getInstance(MAC);
      mac.init(new SecretKeySpec(secret, MAC));
      byte[] tag = mac.doFinal(("fleetcrawl member " + member).getBytes(StandardCharsets.US_ASCII));
      return Base64.getEncoder().encodeToString(tag);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(MAC + " is missing from this JVM", e);
    }
  }

  private static boolean matches(String expected, String published) {
    return published != null
        && MessageDigest.isEqual(
            expected.getBytes(StandardCharsets.US_ASCII),
            published.getBytes(StandardCharsets.US_ASCII));
  }

  private IMap<String, String> proofs() {
    return hazelcast.getMap(MAP);
  }
}
