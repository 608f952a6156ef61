package io.fleetcrawl.pool;

import io.fleetcrawl.config.PoolConfig;
import io.vertx.core.dns.AddressResolverOptions;

/**
 * DNS caching for a node's Vert.x instance: answers are kept for at most the configured TTL (a
 * server's shorter TTL still wins), failures briefly, so a crawl does not ask for the same host on
 * every new connection nor hammer a resolver for a name that does not exist.
 */
public final class DnsCache {
  private DnsCache() {}

  /** Returns the resolver options for a node: set them on {@code VertxOptions} at start-up. */
  public static AddressResolverOptions resolverOptions(PoolConfig config) {
    AddressResolverOptions options = new AddressResolverOptions();
    if (!config.dnsServers().isEmpty()) {
      options.setServers(config.dnsServers());
    }
    return options
        .setCacheMinTimeToLive(0)
        .setCacheMaxTimeToLive(config.dnsTtlSeconds())
        .setCacheNegativeTimeToLive(config.dnsNegativeTtlSeconds());
  }
}
