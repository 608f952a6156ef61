package io.fleetcrawl.config;

/**
 * What one politeness key stands for: the unit that shares a queue, a budget, a pace, a Retry-After
 * pause and the coordinator's decisions.
 */
public enum PolitenessMode {
  /** The host name: each subdomain is treated apart. */
  HOST,
  /**
   * The registrable domain (public suffix list): {@code a.example.co.uk} and {@code
   * b.example.co.uk} are one site. IP literals and names under no known suffix keep their host.
   */
  DOMAIN,
  /**
   * The address the host resolves to: 500 virtual hosts on one shared server are one server. Each
   * host's address is decided once per crawl, cluster-wide, so a name whose answers rotate keeps
   * one key.
   */
  IP
}
