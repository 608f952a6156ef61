package io.fleetcrawl.output;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.config.Config;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.fleetcrawl.testing.Eventually;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The payload index on two real Hazelcast members in one cluster. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SharedPayloadIndexTest {
  private static final String MAP = PayloadIndex.mapName("crawl");

  private final String cluster = "payloads-" + UUID.randomUUID();
  private final List<HazelcastInstance> members = new ArrayList<>();
  private final List<SharedPayloadIndex> indexes = new ArrayList<>();
  private final AtomicLong now = new AtomicLong(1_000_000);

  @AfterEach
  void stop() {
    indexes.forEach(SharedPayloadIndex::close);
    members.forEach(HazelcastInstance::shutdown);
  }

  private HazelcastInstance member() {
    Config config = new Config().setClusterName(cluster);
    config.setProperty("hazelcast.logging.type", "slf4j");
    config.setProperty("hazelcast.phone.home.enabled", "false");
    var join = config.getNetworkConfig().getJoin();
    join.getAutoDetectionConfig().setEnabled(false);
    join.getMulticastConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(true).addMember("127.0.0.1");
    config.getNetworkConfig().getInterfaces().setEnabled(true).addInterface("127.0.0.1");
    HazelcastInstance hazelcast = Hazelcast.newHazelcastInstance(config);
    members.add(hazelcast);
    return hazelcast;
  }

  private SharedPayloadIndex index(HazelcastInstance member) {
    SharedPayloadIndex index =
        new SharedPayloadIndex(
            member.getMap(MAP), member.getTopic(SharedPayloadIndex.topicName(MAP)), now::get);
    indexes.add(index);
    return index;
  }

  private static PayloadIndex.Original original(String url) {
    return new PayloadIndex.Original(
        "urn:uuid:" + UUID.randomUUID(), url, Instant.ofEpochMilli(1_764_000_000_000L));
  }

  private static void await(String what, Eventually.Condition done) throws Exception {
    Eventually.await(what, Duration.ofSeconds(20), done);
  }

  @Test
  void aPayloadArchivedOnOneMemberIsFoundOnTheOtherOnceItsBatchIsSent() throws Exception {
    HazelcastInstance a = member();
    HazelcastInstance b = member();
    await("two members", () -> a.getCluster().getMembers().size() == 2);
    SharedPayloadIndex onA = index(a);
    SharedPayloadIndex onB = index(b);
    assertTrue(onA.filterComplete() && onB.filterComplete(), "a new crawl's map starts empty");

    PayloadIndex.Original first = original("http://a.test/1");
    onA.register(Map.of("sha1:AAAA", first));
    // A finds its own registration at once; the cluster does not have it yet.
    assertEquals(first, onA.lookup(Set.of("sha1:AAAA")).get("sha1:AAAA"));
    assertFalse(a.getMap(MAP).containsKey("sha1:AAAA"), "held back until the batch is due");
    assertTrue(onB.lookup(Set.of("sha1:AAAA")).isEmpty(), "B has not heard of it");
    // ... and its filter said so without asking the cluster.
    assertEquals(1L, onB.status().get("payloadLookupsAnsweredByFilter"));
    assertEquals(0L, onB.status().get("payloadLookupsInCluster"));

    now.addAndGet(SharedPayloadIndex.FLUSH_MS);
    onA.lookup(Set.of("sha1:OTHER"));
    await("the batch in the map", () -> b.getMap(MAP).containsKey("sha1:AAAA"));
    // B learns the digest from A's announcement, then finds the original in the map.
    await("B finds A's payload", () -> !onB.lookup(Set.of("sha1:AAAA")).isEmpty());
    assertEquals(first, onB.lookup(Set.of("sha1:AAAA")).get("sha1:AAAA"));
    assertTrue(onB.lookup(Set.of("sha1:NEVER")).isEmpty());
  }

  @Test
  void aMemberThatFindsTheMapFilledLooksEveryDigestUpInTheCluster() throws Exception {
    HazelcastInstance a = member();
    IMap<String, String> map = a.getMap(MAP);
    // As after a resume from saved state: entries this member never heard announced.
    PayloadIndex.Original restored = original("http://a.test/restored");
    map.putAll(PayloadIndex.encode(Map.of("sha1:RESTORED", restored)));
    SharedPayloadIndex index = index(a);
    assertFalse(index.filterComplete());
    assertEquals(restored, index.lookup(Set.of("sha1:RESTORED")).get("sha1:RESTORED"));
    assertTrue(index.lookup(Set.of("sha1:NEW")).isEmpty());
    assertEquals(2L, index.status().get("payloadLookupsInCluster"));
    assertEquals(0L, index.status().get("payloadLookupsAnsweredByFilter"));
  }

  @Test
  void sharingSendsWhatIsHeldBackAndReturnsOnceTheMapHoldsIt() {
    HazelcastInstance a = member();
    SharedPayloadIndex index = index(a);
    PayloadIndex.Original held = original("http://a.test/held");
    index.register(Map.of("sha1:HELD", held));
    assertFalse(a.getMap(MAP).containsKey("sha1:HELD"));
    index.share();
    assertEquals(held.encode(), a.<String, String>getMap(MAP).get("sha1:HELD"));
  }

  @Test
  void closingAfterTheClusterHasGoneKeepsQuiet() {
    HazelcastInstance a = member();
    SharedPayloadIndex index = index(a);
    index.register(Map.of("sha1:LATE", original("http://a.test/late")));
    a.shutdown();
    // A node's Hazelcast leaves with Vert.x, before the archive closes: nothing to send it to.
    assertDoesNotThrow(index::close);
  }

  @Test
  void manyRegistrationsAreSentWithoutWaitingForTheInterval() throws Exception {
    HazelcastInstance a = member();
    SharedPayloadIndex index = index(a);
    for (int i = 0; i < SharedPayloadIndex.FLUSH_ENTRIES; i++) {
      index.register(Map.of("sha1:D" + i, original("http://a.test/" + i)));
    }
    await(
        "a full batch in the map", () -> a.getMap(MAP).size() == SharedPayloadIndex.FLUSH_ENTRIES);
  }
}
