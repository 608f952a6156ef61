package io.fleetcrawl.frontier;

import io.fleetcrawl.config.PolitenessMode;
import io.vertx.core.Context;
import io.vertx.core.Future;
import java.net.InetAddress;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BinaryOperator;
import java.util.function.Function;

/**
 * Maps a host to its politeness key in the crawl's {@link PolitenessMode}. Host and domain keys are
 * computed on the spot. Address keys need a DNS answer, so they come as a future: the node's
 * caching resolver answers, and the first answer for a host is pinned in a cluster-wide map, so
 * every node, and every later look-up of a name whose answers rotate, gives the host the same key
 * (a URL's seen set lives in its key's entry: two keys for one host would fetch it twice).
 */
public final class PolitenessKeys {
  /** Node-local answers kept before the map is asked again; cleared whole when full. */
  private static final int LOCAL_CAPACITY = 100_000;

  private final PolitenessMode mode;
  private final Function<String, Future<InetAddress>> resolver;
  private final BinaryOperator<String> pin;
  private final Map<String, String> local = new ConcurrentHashMap<>();

  private PolitenessKeys(
      PolitenessMode mode,
      Function<String, Future<InetAddress>> resolver,
      BinaryOperator<String> pin) {
    this.mode = mode;
    this.resolver = resolver;
    this.pin = pin;
  }

  /** Keys by host or by registrable domain. */
  public static PolitenessKeys of(PolitenessMode mode) {
    if (mode == PolitenessMode.IP) {
      throw new IllegalArgumentException("address keys need a resolver and a shared map");
    }
    return new PolitenessKeys(mode, null, null);
  }

  /**
   * Keys by resolved address.
   *
   * @param resolver the node's caching resolver
   * @param pin given a host and the address it resolved to, records the address as the host's key
   *     unless one is recorded already, and returns the key recorded (on the crawl's shared map; it
   *     may block, and is called off the event loop)
   */
  public static PolitenessKeys byAddress(
      Function<String, Future<InetAddress>> resolver, BinaryOperator<String> pin) {
    return new PolitenessKeys(
        PolitenessMode.IP, Objects.requireNonNull(resolver), Objects.requireNonNull(pin));
  }

  /** Returns the name of the shared map pinning a crawl's address keys. */
  public static String mapName(String crawl) {
    return "politeness." + crawl;
  }

  /** Returns whether {@link #now} answers (host and domain keys), so no future is needed. */
  public boolean immediate() {
    return mode != PolitenessMode.IP;
  }

  /** Returns a host's key at once; only for {@link #immediate()} modes. */
  public String now(String host) {
    return mode == PolitenessMode.DOMAIN ? PolitenessKey.domainOf(host) : PolitenessKey.of(host);
  }

  /**
   * Returns a host's key. An address key is the first address the host resolved to anywhere in the
   * cluster; a host that does not resolve keeps its name (its fetch then fails with the reason).
   */
  public Future<String> of(Context context, String host) {
    if (immediate()) {
      return Future.succeededFuture(now(host));
    }
    String name = PolitenessKey.of(host);
    String known = local.get(name);
    if (known != null) {
      return Future.succeededFuture(known);
    }
    return resolver
        .apply(name)
        .map(InetAddress::getHostAddress)
        .otherwise(name)
        .compose(
            address ->
                // IMap has no asynchronous putIfAbsent: the blocking call runs off the event loop.
                context.<String>executeBlocking(() -> pin.apply(name, address), false))
        .onSuccess(
            key -> {
              if (local.size() >= LOCAL_CAPACITY) {
                local.clear();
              }
              local.put(name, key);
            });
  }
}
