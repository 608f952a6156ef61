package io.fleetcrawl.pool;

import io.netty.channel.socket.DatagramChannel;
import io.netty.resolver.HostsFileEntriesProvider;
import io.netty.resolver.HostsFileEntriesResolver;
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
import java.io.File;
import java.io.IOException;
import java.io.StringReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A worker's DNS resolver: Netty's, built from the node's own Vert.x resolver options (the same
 * servers, hosts file, caching and timeouts, see {@link DnsCache}), but on a socket with a receive
 * buffer of {@value #RECEIVE_BUFFER_BYTES} bytes instead of the system's default (212,992 on
 * Linux). The socket is read on the worker's busy event loop, one answer per turn of the loop; at
 * the start of a crawl of thousands of new hosts the answers came faster, the kernel dropped what
 * did not fit (1,254 answers for 5,000 hosts), and each host whose answer was lost waited out a
 * robots.txt "unreachable" verdict. With this buffer the same crawl lost none. Linux caps the size
 * at {@code net.core.rmem_max}.
 */
final class WorkerResolver {
  /** The resolver socket's receive buffer: room for thousands of answers. */
  static final int RECEIVE_BUFFER_BYTES = 4 << 20;

  private final VertxInternal vertx;
  private final DnsNameResolver resolver;

  /** Builds the resolver on the calling context's event loop. */
  WorkerResolver(VertxInternal vertx) {
    this.vertx = vertx;
    // The node's resolver settings as Vert.x holds them, so the two resolvers cannot drift apart.
    AddressResolverOptions options = vertx.nameResolver().options();
    ContextInternal context = vertx.getOrCreateContext();
    DnsNameResolverBuilder builder =
        new DnsNameResolverBuilder(context.nettyEventLoop())
            .datagramChannelFactory(
                () -> {
                  DatagramChannel channel = vertx.transport().datagramChannel();
                  channel.config().setReceiveBufferSize(RECEIVE_BUFFER_BYTES);
                  return channel;
                })
            .nameServerProvider(servers(options.getServers()))
            .hostsFileEntriesResolver(hosts(options))
            .queryTimeoutMillis(options.getQueryTimeout())
            .maxQueriesPerResolve(options.getMaxQueries())
            .recursionDesired(options.getRdFlag())
            .optResourceEnabled(options.isOptResourceEnabled())
            .resolveCache(
                new DefaultDnsCache(
                    options.getCacheMinTimeToLive(),
                    options.getCacheMaxTimeToLive(),
                    options.getCacheNegativeTimeToLive()));
    if (options.getSearchDomains() != null) {
      builder.searchDomains(options.getSearchDomains());
    }
    if (options.getNdots() >= 0) {
      builder.ndots(options.getNdots());
    }
    resolver = builder.build();
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
      // HOST, HOST:PORT, [IPv6] or [IPv6]:PORT, as Vert.x takes them.
      int colon = server.lastIndexOf(':');
      boolean hasPort =
          server.startsWith("[")
              ? server.contains("]:")
              : colon > 0 && server.indexOf(':') == colon;
      String host =
          (hasPort ? server.substring(0, colon) : server).replace("[", "").replace("]", "");
      int port = hasPort ? Integer.parseInt(server.substring(colon + 1)) : 53;
      addresses.add(new InetSocketAddress(host, port));
    }
    return new SequentialDnsServerAddressStreamProvider(addresses);
  }

  /**
   * The hosts file Vert.x was given (a value or a path), or the system's. Names in it are answered
   * without a question to DNS, as by Vert.x's own resolver.
   */
  private static HostsFileEntriesResolver hosts(AddressResolverOptions options) {
    HostsFileEntriesProvider entries;
    try {
      if (options.getHostsValue() != null) {
        entries =
            HostsFileEntriesProvider.parser()
                .parse(new StringReader(options.getHostsValue().toString(StandardCharsets.UTF_8)));
      } else if (options.getHostsPath() != null) {
        entries = HostsFileEntriesProvider.parser().parse(new File(options.getHostsPath()));
      } else {
        return HostsFileEntriesResolver.DEFAULT;
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read the resolver's hosts file: " + e, e);
    }
    return (name, types) -> {
      String key = name.toLowerCase(Locale.ROOT);
      InetAddress v4 = first(entries.ipv4Entries().get(key));
      InetAddress v6 = first(entries.ipv6Entries().get(key));
      return switch (types) {
        case IPV4_ONLY -> v4;
        case IPV6_ONLY -> v6;
        case IPV6_PREFERRED -> v6 != null ? v6 : v4;
        case IPV4_PREFERRED -> v4 != null ? v4 : v6;
      };
    };
  }

  private static InetAddress first(List<InetAddress> addresses) {
    return addresses == null || addresses.isEmpty() ? null : addresses.get(0);
  }
}
