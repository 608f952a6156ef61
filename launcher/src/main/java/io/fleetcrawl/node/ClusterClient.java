package io.fleetcrawl.node;

import io.fleetcrawl.bus.ModelCodec;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;

/**
 * A process that talks to a cluster over the event bus without working for it: a Hazelcast lite
 * member, which owns no partitions, so its arrival and departure move no frontier data.
 */
public final class ClusterClient {
  private ClusterClient() {}

  /** Joins the cluster as a lite member; the returned Vert.x reaches every node's addresses. */
  public static Future<Vertx> connect(ClusterSettings cluster) {
    var config = cluster.toHazelcastConfig().setLiteMember(true);
    HazelcastClusterManager manager = new HazelcastClusterManager(config);
    return Vertx.builder()
        .with(
            new VertxOptions()
                .setEventLoopPoolSize(1)
                .setEventBusOptions(cluster.eventBusOptions()))
        .withClusterManager(manager)
        .buildClustered()
        .compose(
            vertx ->
                // A client the running members did not list, or without their key, sends nothing.
                vertx
                    .executeBlocking(
                        () -> {
                          var hazelcast = manager.getHazelcastInstance();
                          MemberAdmission.check(hazelcast);
                          MemberAdmission.trust(hazelcast, cluster.key()).publish();
                          MemberAdmission.checkKey(hazelcast, cluster.key());
                          return vertx;
                        },
                        false)
                    .recover(e -> CrawlNode.failAndClose(vertx, e)))
        .onSuccess(ModelCodec::registerAll);
  }
}
