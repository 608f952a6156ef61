package io.fleetcrawl.node;

import com.hazelcast.core.HazelcastInstance;
import io.fleetcrawl.bus.ModelCodec;
import io.fleetcrawl.membership.MemberTrust;
import io.fleetcrawl.membership.TrustedRegistrations;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.spi.cluster.ClusterManager;
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
    TrustedRegistrations registrations = new TrustedRegistrations(manager);
    return Vertx.builder()
        .with(
            new VertxOptions()
                .setEventLoopPoolSize(1)
                .setEventBusOptions(cluster.eventBusOptions()))
        .withClusterManager(registrations)
        .buildClustered()
        .compose(
            vertx ->
                // A client the running members did not list, or without their key, sends nothing.
                vertx
                    .executeBlocking(
                        () -> {
                          var hazelcast = manager.getHazelcastInstance();
                          MemberAdmission.check(hazelcast);
                          MemberTrust trust = MemberAdmission.trust(hazelcast, cluster.key());
                          trust.publish();
                          MemberAdmission.checkKey(hazelcast, cluster.key());
                          // Sends go to the members proven now: a member without the key that
                          // registered handlers gets none of them.
                          trust.refresh();
                          registrations.trust(trust::trustedNode);
                          return vertx;
                        },
                        false)
                    .recover(e -> CrawlNode.failAndClose(vertx, e)))
        .onSuccess(ModelCodec::registerAll);
  }

  /** Returns the Hazelcast member under a Vert.x this class or {@link CrawlNode} clustered. */
  public static HazelcastInstance hazelcast(Vertx vertx) {
    ClusterManager manager = ((VertxInternal) vertx).clusterManager();
    if (manager instanceof TrustedRegistrations trusted) {
      manager = trusted.wrapped();
    }
    return ((HazelcastClusterManager) manager).getHazelcastInstance();
  }
}
