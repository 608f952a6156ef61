package io.fleetcrawl.frontier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.config.Config;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.fleetcrawl.membership.MemberTrust;
import io.fleetcrawl.model.CrawlRequest;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two real Hazelcast members on loopback share a frontier; one holds leases and dies abruptly. Its
 * URLs are queued again as soon as the cluster notices, long before the leases would expire.
 */
@Tag("integration")
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class MemberLossIT {
  private static final long LEASE_MS = TimeUnit.MINUTES.toMillis(10);

  private final String cluster = "member-loss-" + UUID.randomUUID();
  private HazelcastInstance survivor;
  private HazelcastInstance doomed;
  private Vertx vertx;

  private Config config() {
    Config config = new Config().setClusterName(cluster);
    config.setProperty("hazelcast.logging.type", "slf4j");
    config.setProperty("hazelcast.phone.home.enabled", "false");
    config.setProperty("hazelcast.heartbeat.interval.seconds", "1");
    config.setProperty("hazelcast.max.no.heartbeat.seconds", "5");
    var join = config.getNetworkConfig().getJoin();
    join.getAutoDetectionConfig().setEnabled(false);
    join.getMulticastConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(true).addMember("127.0.0.1");
    config.getNetworkConfig().getInterfaces().setEnabled(true).addInterface("127.0.0.1");
    config.getMapConfig(FrontierStore.MAP_PREFIX + "*").setBackupCount(1);
    return FrontierSerialization.register(config);
  }

  @BeforeEach
  void start() {
    survivor = Hazelcast.newHazelcastInstance(config());
    doomed = Hazelcast.newHazelcastInstance(config());
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
    survivor.shutdown();
    if (doomed.getLifecycleService().isRunning()) {
      doomed.getLifecycleService().terminate();
    }
  }

  @Test
  void leasesOfAMemberThatDiesAreQueuedAgainAtOnce() throws Exception {
    FrontierStore onSurvivor = new FrontierStore(survivor, "c");
    FrontierStore onDoomed = new FrontierStore(doomed, "c");
    Context context = vertx.getOrCreateContext();
    List<String> keys = new ArrayList<>();
    for (int h = 0; h < 20; h++) {
      String key = "host" + h + ".test";
      keys.add(key);
      List<CrawlRequest> urls = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        urls.add(CrawlRequest.seed("http://" + key + "/" + i));
      }
      onSurvivor.offer(context, key, urls).await(10, TimeUnit.SECONDS);
    }
    assertEquals(0, vertx.executeBlocking(onSurvivor::keysLeased).await(), "nothing leased yet");
    int leasedByDoomed = 0;
    for (String key : keys) {
      leasedByDoomed +=
          onDoomed
              .claim(context, key, 0, 5, 5, LEASE_MS)
              .await(10, TimeUnit.SECONDS)
              .claim()
              .leases()
              .size();
    }
    assertEquals(100, leasedByDoomed);
    // Counted cluster-wide: the survivor sees the keys that live on the other member too.
    assertEquals(keys.size(), vertx.executeBlocking(onSurvivor::keysLeased).await());

    Set<String> announced = ConcurrentHashMap.newKeySet();
    String reaper =
        vertx
            .deployVerticle(
                new LeaseReaper(survivor, onSurvivor, 60_000, announced::addAll, () -> 1))
            .await(10, TimeUnit.SECONDS);
    try {
      long killedAt = System.nanoTime();
      doomed.getLifecycleService().terminate();
      while (announced.size() < keys.size()
          && System.nanoTime() - killedAt < TimeUnit.SECONDS.toNanos(30)) {
        Thread.sleep(50);
      }
      long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
      assertEquals(Set.copyOf(keys), announced, "keys announced after " + tookMs + " ms");
      assertTrue(tookMs < 15_000, "released after " + tookMs + " ms");
      int reclaimed = 0;
      for (String key : keys) {
        reclaimed +=
            onSurvivor
                .claim(context, key, 2, 5, 5, LEASE_MS)
                .await(10, TimeUnit.SECONDS)
                .claim()
                .leases()
                .size();
      }
      assertEquals(
          100, reclaimed, "every URL the dead member held is claimable again, nothing lost");
      assertEquals(List.of(), vertx.executeBlocking(onSurvivor::invariantViolations).await());
    } finally {
      vertx.undeploy(reaper).await(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void leasesOfAMemberThatNeverProvesTheClusterKeyAreGivenBackOnEverySweep() throws Exception {
    FrontierStore onSurvivor = new FrontierStore(survivor, "c");
    // "doomed" plays a member without the cluster key: it joined and claims, but proves nothing.
    FrontierStore onRogue = new FrontierStore(doomed, "c");
    Context context = vertx.getOrCreateContext();
    List<String> keys = new ArrayList<>();
    for (int h = 0; h < 10; h++) {
      String key = "host" + h + ".test";
      keys.add(key);
      List<CrawlRequest> urls = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        urls.add(CrawlRequest.seed("http://" + key + "/" + i));
      }
      onSurvivor.offer(context, key, urls).await(10, TimeUnit.SECONDS);
    }
    int leasedByRogue = 0;
    for (String key : keys) {
      leasedByRogue +=
          onRogue
              .claim(context, key, 0, 3, 3, LEASE_MS)
              .await(10, TimeUnit.SECONDS)
              .claim()
              .leases()
              .size();
    }
    assertEquals(30, leasedByRogue);

    byte[] secret = "a cluster key's proof secret, 32 bytes".getBytes(StandardCharsets.US_ASCII);
    MemberTrust trust = MemberTrust.keyed(survivor, secret, 0, System::currentTimeMillis);
    vertx
        .executeBlocking(
            () -> {
              trust.publish();
              return trust.refresh();
            })
        .await(10, TimeUnit.SECONDS);
    assertEquals(
        Set.of(doomed.getCluster().getLocalMember().getUuid()),
        trust.unproven().keySet(),
        "the member without a proof is unproven, the one with it is not");

    Set<String> announced = ConcurrentHashMap.newKeySet();
    String reaper =
        vertx
            .deployVerticle(
                new LeaseReaper(survivor, onSurvivor, 200, announced::addAll, () -> 1)
                    .withTrust(trust))
            .await(10, TimeUnit.SECONDS);
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
      while (announced.size() < keys.size() && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertEquals(Set.copyOf(keys), announced, "every key the rogue held is announced again");
      assertTrue(doomed.getLifecycleService().isRunning(), "while the rogue is still a member");
      int reclaimed = 0;
      for (String key : keys) {
        reclaimed +=
            onSurvivor
                .claim(context, key, 2, 3, 3, LEASE_MS)
                .await(10, TimeUnit.SECONDS)
                .claim()
                .leases()
                .size();
      }
      assertEquals(30, reclaimed, "every URL the rogue held is claimable by a trusted member");
    } finally {
      vertx.undeploy(reaper).await(10, TimeUnit.SECONDS);
    }
  }
}
