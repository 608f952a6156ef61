package io.fleetcrawl.config;

/** Which hosts a crawl may follow links to, relative to its seeds. */
public enum ScopeMode {
  /** Only the exact hosts of the seeds. */
  HOST,
  /** Any host under a seed's registrable domain (public suffix list). */
  DOMAIN,
  /** Any host. */
  ANY
}
