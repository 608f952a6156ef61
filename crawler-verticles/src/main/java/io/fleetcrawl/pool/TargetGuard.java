package io.fleetcrawl.pool;

import io.fleetcrawl.network.NetworkPolicy;
import io.netty.resolver.dns.DnsNameResolverTimeoutException;
import io.netty.util.NetUtil;
import io.vertx.core.Future;
import io.vertx.core.net.SocketAddress;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * Decides, before any socket is opened, whether a fetch may reach its host: the name is resolved
 * (literals are parsed, never looked up), the address checked against the crawl's network policy,
 * and an allowed fetch connects to exactly that address, so a second look-up answering something
 * else (DNS rebinding) is never used. A decision is kept for up to {@link #MAX_HOLD_NANOS}, which
 * spares the resolver a question per request without ever connecting to an address that was not
 * checked.
 *
 * <p>A look-up whose answer never came (the resolver's query timed out) is asked again, up to
 * {@link #TIMEOUT_RETRIES} times, before the fetch fails: a lost answer says nothing of the host,
 * while a failed fetch of robots.txt holds the host back for its unreachable verdict (30 s), and
 * three such failures end its URLs. A crawl seeded with thousands of new hosts lost answers this
 * way at the start (the kernel dropped them at the resolver's full socket).
 *
 * <p>Invariant: {@code recent} holds at most {@link #MAX_HELD} decisions. Confined to the worker's
 * event loop.
 */
final class TargetGuard {
  /** Longest a decision is kept; never longer than DNS answers are cached. */
  static final long MAX_HOLD_NANOS = 1_000_000_000L;

  private static final int MAX_HELD = 10_000;

  /** How many times a look-up that timed out is asked again. */
  static final int TIMEOUT_RETRIES = 2;

  /** Where a fetch goes: the checked address, and whether the crawl may connect to it. */
  record Target(InetAddress address, SocketAddress server, boolean allowed, long heldUntil) {}

  private final NetworkPolicy network;
  private final Function<String, Future<InetAddress>> resolver;
  private final LongSupplier nanos;
  private final long holdNanos;
  private final Map<String, Target> recent = new HashMap<>();

  /**
   * @param dnsTtlSeconds the longest the node caches DNS answers; 0 (never) also disables the hold,
   *     so every fetch asks again
   */
  TargetGuard(
      NetworkPolicy network,
      Function<String, Future<InetAddress>> resolver,
      LongSupplier nanos,
      int dnsTtlSeconds) {
    this.network = network;
    this.holdNanos = Math.min(MAX_HOLD_NANOS, dnsTtlSeconds * 1_000_000_000L);
    this.resolver = resolver;
    this.nanos = nanos;
  }

  /**
   * Returns where a fetch of {@code host} (a name or a literal, IPv6 without brackets) on {@code
   * port} goes; fails when the name does not resolve.
   */
  Future<Target> target(String host, int port) {
    String key = host + ":" + port;
    long now = nanos.getAsLong();
    Target held = recent.get(key);
    if (held != null && now - held.heldUntil < 0) {
      return Future.succeededFuture(held);
    }
    byte[] literal = NetUtil.createByteArrayFromIpAddressString(host);
    Future<InetAddress> address;
    if (literal != null) {
      try {
        address = Future.succeededFuture(InetAddress.getByAddress(literal));
      } catch (UnknownHostException e) {
        return Future.failedFuture(e);
      }
    } else {
      address = lookUp(host, TIMEOUT_RETRIES);
    }
    return address.map(
        a -> {
          Target t = new Target(a, server(host, a, port), network.allows(a), now + holdNanos);
          if (recent.size() >= MAX_HELD) {
            recent.clear();
          }
          recent.put(key, t);
          return t;
        });
  }

  private Future<InetAddress> lookUp(String host, int retries) {
    return resolver
        .apply(host)
        .recover(
            e -> retries > 0 && timedOut(e) ? lookUp(host, retries - 1) : Future.failedFuture(e));
  }

  /** Returns whether a look-up failed for want of an answer rather than on one (NXDOMAIN). */
  static boolean timedOut(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof DnsNameResolverTimeoutException) {
        return true;
      }
    }
    return false;
  }

  /** The address to connect to, carrying the name for the Host header, SNI and the certificate. */
  private static SocketAddress server(String host, InetAddress address, int port) {
    try {
      return SocketAddress.inetSocketAddress(
          new InetSocketAddress(InetAddress.getByAddress(host, address.getAddress()), port));
    } catch (UnknownHostException e) {
      throw new IllegalStateException("resolved address of unknown length: " + address, e);
    }
  }
}
