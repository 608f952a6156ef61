package io.fleetcrawl.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.core.HazelcastInstance;
import io.fleetcrawl.bus.Addresses;
import io.fleetcrawl.bus.ModelCodec;
import io.fleetcrawl.membership.MemberTrust;
import io.fleetcrawl.model.SubmitBatch;
import io.fleetcrawl.node.ClusterSettings;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A hostile process with the crawler's own jar but not the cluster key, and none of its checks: it
 * joins Hazelcast as a full member with the cluster's name (which the open-source edition cannot
 * prevent), submits URLs over the event bus as {@code fleetcrawl submit} would, and reads a cluster
 * map. It prints one line per attempt, {@code joined members=N}, {@code submit: ...} and {@code
 * read proofs=N}, then stays a member until it is killed.
 *
 * <p>Arguments: cluster name, member list, crawl name, then the URLs to submit.
 */
public final class RogueMember {
  private RogueMember() {}

  public static void main(String[] args) throws Exception {
    // The crawler's own Hazelcast configuration (its serializers included): the rogue holds
    // partitions like any member, and reads and writes the frontier's entries.
    Config config =
        new ClusterSettings(null, args[0], List.of(args[1]), "127.0.0.1").toHazelcastConfig();
    HazelcastClusterManager manager = new HazelcastClusterManager(config);
    Vertx vertx =
        Vertx.builder()
            .with(
                new VertxOptions()
                    .setEventBusOptions(new EventBusOptions().setHost("127.0.0.1").setPort(0)))
            .withClusterManager(manager)
            .buildClustered()
            .toCompletionStage()
            .toCompletableFuture()
            .get(120, TimeUnit.SECONDS);
    ModelCodec.registerAll(vertx);
    HazelcastInstance hazelcast = manager.getHazelcastInstance();
    System.out.println("joined members=" + hazelcast.getCluster().getMembers().size());
    String crawl = args[2];
    List<String> urls = List.of(args).subList(3, args.length);
    try {
      Object reply =
          vertx
              .eventBus()
              .request(
                  Addresses.intake(crawl),
                  new SubmitBatch(crawl, urls),
                  new DeliveryOptions().setSendTimeout(15_000))
              .toCompletionStage()
              .toCompletableFuture()
              .get(30, TimeUnit.SECONDS)
              .body();
      System.out.println("submit: answered " + reply);
    } catch (Exception e) {
      System.out.println("submit: failed " + e.getCause());
    }
    System.out.println("read proofs=" + hazelcast.getMap(MemberTrust.MAP).size());
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE);
  }
}
