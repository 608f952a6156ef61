package io.fleetcrawl.config;

/** How a worker picks a proxy for a request among the healthy ones. */
public enum ProxySelection {
  /** Each request the next proxy in turn. */
  ROUND_ROBIN,
  /** A host always through the same proxy while it is healthy (sessions, cookies, IP affinity). */
  STICKY,
  /** A proxy at random. */
  RANDOM
}
