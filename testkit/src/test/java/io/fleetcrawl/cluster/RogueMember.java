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
 * map, and registers event-bus handlers on the cluster's addresses to draw its messages. It prints
 * one line per attempt, {@code joined members=N}, {@code submit: ...}, {@code registered
 * handlers=N} and {@code read proofs=N}, then stays a member until it is killed.
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
    // Then it offers to take the cluster's messages: handlers on the addresses every submit and
    // control command goes to, and on each member's own addresses. Registered after its submit, so
    // that its own submit is not answered by itself.
    int handlers = 0;
    List<String> addresses = new java.util.ArrayList<>();
    addresses.add(Addresses.intake(crawl));
    addresses.add(Addresses.control(crawl));
    for (com.hazelcast.cluster.Member m : hazelcast.getCluster().getMembers()) {
      if (!m.localMember()) {
        String id = m.getUuid().toString();
        addresses.add(Addresses.controlApply(crawl, id));
        addresses.add(Addresses.coordinator(crawl, id));
        addresses.add(Addresses.keyReady(crawl, id));
      }
    }
    for (String address : addresses) {
      vertx
          .eventBus()
          .consumer(address, m -> System.out.println("received a message on " + address))
          .completion()
          .toCompletionStage()
          .toCompletableFuture()
          .get(30, TimeUnit.SECONDS);
      handlers++;
    }
    System.out.println("registered handlers=" + handlers);
    System.out.println("read proofs=" + hazelcast.getMap(MemberTrust.MAP).size());
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE);
  }
}
