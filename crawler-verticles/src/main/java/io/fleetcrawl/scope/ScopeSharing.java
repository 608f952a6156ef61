package io.fleetcrawl.scope;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.util.UUID;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Shares a crawl's seed scope across the cluster: a seed submitted on any node widens the scope of
 * every node, including nodes that join later. The scope keys live in a Hazelcast map of their own;
 * a verticle, because listening to that map starts and stops with the node. Registering the
 * listener and loading the keys already there wait on the cluster, so they run on a worker thread.
 */
public final class ScopeSharing extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(ScopeSharing.class);

  private final IMap<String, Boolean> shared;
  private final Consumer<String> learn;
  private UUID listener;

  /**
   * @param shared the crawl's map of scope keys, from {@link #map}
   * @param learn told every scope key a node adds, and those already there at start
   */
  public ScopeSharing(IMap<String, Boolean> shared, Consumer<String> learn) {
    this.shared = shared;
    this.learn = learn;
  }

  /** Returns the crawl's map of scope keys. */
  public static IMap<String, Boolean> map(HazelcastInstance hazelcast, String crawl) {
    return hazelcast.getMap("scope." + crawl);
  }

  /**
   * Adds a key to the shared scope without waiting; a failure is logged, as the seed is in this
   * node's scope already and other nodes only miss its links until it is submitted again.
   */
  public static void share(IMap<String, Boolean> shared, String key) {
    shared
        .putAsync(key, Boolean.TRUE)
        .whenComplete(
            (v, e) -> {
              if (e != null) {
                LOG.warn("seed scope {} not shared: {}", key, e.toString());
              }
            });
  }

  @Override
  public Future<?> start() {
    return vertx.executeBlocking(
        () -> {
          listener =
              shared.addEntryListener(
                  (EntryAddedListener<String, Boolean>) e -> learn.accept(e.getKey()), false);
          shared.keySet().forEach(learn);
          return null;
        },
        false);
  }

  @Override
  public Future<?> stop() {
    UUID registered = listener;
    return vertx.executeBlocking(
        () -> {
          try {
            shared.removeEntryListener(registered);
          } catch (RuntimeException e) {
            // The instance is already shutting down; the listener goes with it.
          }
          return null;
        },
        false);
  }
}
