package io.fleetcrawl.pool;

import io.fleetcrawl.config.PoolConfig;
import io.netty.channel.socket.DatagramChannel;
import io.netty.resolver.dns.DefaultDnsCache;
import io.netty.resolver.dns.DnsNameResolver;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.resolver.dns.DnsServerAddressStreamProvider;
import io.netty.resolver.dns.DnsServerAddressStreamProviders;
import io.netty.resolver.dns.SequentialDnsServerAddressStreamProvider;
import io.vertx.core.Future;
import io.vertx.core.dns.AddressResolverOptions;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.PromiseInternal;
import io.vertx.core.internal.VertxInternal;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * A worker's DNS resolver: Netty's, as Vert.x builds it (the same servers, the same caching, see
 * {@link DnsCache}), but on a socket with a receive buffer of {@value #RECEIVE_BUFFER_BYTES} bytes
 * instead of the system's default (212,992 on Linux). The socket is read on the worker's busy event
 * loop, one answer per turn of the loop; at the start of a crawl of thousands of new hosts the
 * answers came faster, the kernel dropped what did not fit (1,254 answers for 5,000 hosts), and
 * each host whose answer was lost waited out a robots.txt "unreachable" verdict. With this buffer
 * the same crawl lost none. Linux caps the size at {@code net.core.rmem_max}.
 */
final class WorkerResolver {
  /** The resolver socket's receive buffer: room for thousands of answers. */
  static final int RECEIVE_BUFFER_BYTES = 4 << 20;

  private final VertxInternal vertx;
  private final DnsNameResolver resolver;

  /** Builds the resolver on the calling context's event loop. */
  WorkerResolver(VertxInternal vertx, PoolConfig config) {
    this.vertx = vertx;
    // The node's resolver settings, so the two resolvers cannot drift apart.
    AddressResolverOptions options = DnsCache.resolverOptions(config);
    ContextInternal context = vertx.getOrCreateContext();
    resolver =
        new DnsNameResolverBuilder(context.nettyEventLoop())
            .datagramChannelFactory(
                () -> {
                  DatagramChannel channel = vertx.transport().datagramChannel();
                  channel.config().setReceiveBufferSize(RECEIVE_BUFFER_BYTES);
                  return channel;
                })
            .nameServerProvider(servers(options.getServers()))
            .resolveCache(
                new DefaultDnsCache(
                    options.getCacheMinTimeToLive(),
                    options.getCacheMaxTimeToLive(),
                    options.getCacheNegativeTimeToLive()))
            .build();
  }

  /** Resolves a name; the answer comes back on the caller's context. */
  Future<InetAddress> resolve(String host) {
    PromiseInternal<InetAddress> answer = vertx.getOrCreateContext().promise();
    resolver.resolve(host).addListener(answer);
    return answer.future();
  }

  void close() {
    resolver.close();
  }

  private static DnsServerAddressStreamProvider servers(List<String> servers) {
    if (servers == null || servers.isEmpty()) {
      return DnsServerAddressStreamProviders.platformDefault();
    }
    List<InetSocketAddress> addresses = new ArrayList<>();
    for (String server : servers) {
      // IP:PORT or [IPv6]:PORT, as PoolConfig checked.
      int colon = server.lastIndexOf(':');
      String host = server.substring(0, colon).replace("[", "").replace("]", "");
      addresses.add(new InetSocketAddress(host, Integer.parseInt(server.substring(colon + 1))));
    }
    return new SequentialDnsServerAddressStreamProvider(addresses);
  }
}
