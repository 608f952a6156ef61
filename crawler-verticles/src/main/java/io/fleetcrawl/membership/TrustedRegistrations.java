package io.fleetcrawl.membership;

import io.vertx.core.Completable;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxBootstrap;
import io.vertx.core.shareddata.AsyncMap;
import io.vertx.core.shareddata.Counter;
import io.vertx.core.shareddata.Lock;
import io.vertx.core.spi.cluster.ClusterManager;
import io.vertx.core.spi.cluster.NodeInfo;
import io.vertx.core.spi.cluster.NodeListener;
import io.vertx.core.spi.cluster.RegistrationInfo;
import io.vertx.core.spi.cluster.RegistrationListener;
import io.vertx.core.spi.cluster.RegistrationUpdateEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * A cluster manager that shows the event bus only the handlers of trusted nodes.
 *
 * <p>Vert.x learns where an address's handlers live from a map in Hazelcast that every member can
 * write. A member without the cluster key cannot take part in the event bus (TLS with client
 * certificates), but it could still register handlers there, on the intake or control address or on
 * a node's own coordinator address: the event bus would then route a share of the sends to it, and
 * each of them would fail. Filtering the registrations here routes every send to trusted nodes
 * only. A node is shown once it has proven itself ({@link MemberTrust}); the caller calls {@link
 * #refilter} when the trusted set changes, so that a node proven later is routed to at once.
 * Everything else is the wrapped manager's.
 */
public final class TrustedRegistrations implements ClusterManager {
  private final ClusterManager delegate;
  private volatile Predicate<String> trusted = node -> true;
  private volatile RegistrationListener listener;

  /** The addresses asked about, so that their handlers can be shown again when trust changes. */
  private final Set<String> addresses = ConcurrentHashMap.newKeySet();

  public TrustedRegistrations(ClusterManager delegate) {
    this.delegate = delegate;
  }

  /** Returns the cluster manager this one wraps. */
  public ClusterManager wrapped() {
    return delegate;
  }

  /**
   * From now on shows only the handlers of the nodes (by Vert.x node id) this predicate trusts, and
   * shows the addresses already asked about again. Never blocks.
   */
  public void trust(Predicate<String> nodeTrusted) {
    this.trusted = nodeTrusted;
    refilter();
  }

  /** Shows the addresses the event bus still follows again, with today's trust. Never blocks. */
  public void refilter() {
    RegistrationListener l = listener;
    if (l == null) {
      return;
    }
    for (String address : addresses) {
      if (!l.wantsUpdatesFor(address)) {
        addresses.remove(address);
        continue;
      }
      delegate.getRegistrations(
          address,
          (found, failure) -> {
            if (failure == null) {
              l.registrationsUpdated(new RegistrationUpdateEvent(address, filter(found)));
            }
          });
    }
  }

  /** Returns the registrations of trusted nodes. */
  List<RegistrationInfo> filter(List<RegistrationInfo> registrations) {
    Predicate<String> t = trusted;
    List<RegistrationInfo> kept = new ArrayList<>(registrations.size());
    for (RegistrationInfo r : registrations) {
      if (t.test(r.nodeId())) {
        kept.add(r);
      }
    }
    return kept;
  }

  @Override
  public void getRegistrations(String address, Completable<List<RegistrationInfo>> promise) {
    delegate.getRegistrations(
        address,
        (found, failure) -> {
          if (failure != null) {
            promise.fail(failure);
          } else {
            addresses.add(address);
            promise.succeed(filter(found));
          }
        });
  }

  @Override
  public void registrationListener(RegistrationListener wrapped) {
    this.listener = wrapped;
    delegate.registrationListener(
        new RegistrationListener() {
          @Override
          public void registrationsUpdated(RegistrationUpdateEvent event) {
            addresses.add(event.address());
            wrapped.registrationsUpdated(
                new RegistrationUpdateEvent(event.address(), filter(event.registrations())));
          }

          @Override
          public void registrationsLost() {
            wrapped.registrationsLost();
          }

          @Override
          public boolean wantsUpdatesFor(String address) {
            return wrapped.wantsUpdatesFor(address);
          }
        });
  }

  @Override
  public void init(VertxBootstrap bootstrap) {
    delegate.init(bootstrap);
  }

  @Override
  public void init(Vertx vertx) {
    delegate.init(vertx);
  }

  @Override
  public <K, V> void getAsyncMap(String name, Completable<AsyncMap<K, V>> promise) {
    delegate.getAsyncMap(name, promise);
  }

  @Override
  public <K, V> Map<K, V> getSyncMap(String name) {
    return delegate.getSyncMap(name);
  }

  @Override
  public void getLockWithTimeout(String name, long timeout, Completable<Lock> promise) {
    delegate.getLockWithTimeout(name, timeout, promise);
  }

  @Override
  public void getCounter(String name, Completable<Counter> promise) {
    delegate.getCounter(name, promise);
  }

  @Override
  public void nodeListener(NodeListener nodeListener) {
    delegate.nodeListener(nodeListener);
  }

  @Override
  public void setNodeInfo(NodeInfo nodeInfo, Completable<Void> promise) {
    delegate.setNodeInfo(nodeInfo, promise);
  }

  @Override
  public void join(Completable<Void> promise) {
    delegate.join(promise);
  }

  @Override
  public void leave(Completable<Void> promise) {
    delegate.leave(promise);
  }

  @Override
  public boolean isActive() {
    return delegate.isActive();
  }

  @Override
  public void addRegistration(
      String address, RegistrationInfo registrationInfo, Completable<Void> promise) {
    delegate.addRegistration(address, registrationInfo, promise);
  }

  @Override
  public void removeRegistration(
      String address, RegistrationInfo registrationInfo, Completable<Void> promise) {
    delegate.removeRegistration(address, registrationInfo, promise);
  }

  @Override
  public String clusterHost() {
    return delegate.clusterHost();
  }

  @Override
  public String clusterPublicHost() {
    return delegate.clusterPublicHost();
  }

  @Override
  public String getNodeId() {
    return delegate.getNodeId();
  }

  @Override
  public NodeInfo getNodeInfo() {
    return delegate.getNodeInfo();
  }

  @Override
  public void getNodeInfo(String nodeId, Completable<NodeInfo> promise) {
    delegate.getNodeInfo(nodeId, promise);
  }

  @Override
  public List<String> getNodes() {
    return delegate.getNodes();
  }
}
