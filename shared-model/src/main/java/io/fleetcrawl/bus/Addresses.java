package io.fleetcrawl.bus;

/** Every event-bus address Fleetcrawl uses, in one place. */
public final class Addresses {
  private Addresses() {}

  /** Request/reply: a {@code SubmitBatch} in, a {@code SubmitReply} back. One per crawl name. */
  public static String intake(String crawl) {
    return "fleetcrawl.intake." + crawl;
  }

  /**
   * Node-local publish: a politeness key (a {@code String}) of the crawl with URLs to claim, so the
   * fetch worker owning it claims them without waiting for a scan.
   */
  public static String keyReadyLocal(String crawl) {
    return "fleetcrawl.frontier.local-key-ready." + crawl;
  }

  /**
   * Point-to-point to one member: a politeness key whose partition that member owns received URLs
   * while nobody was working it. The member re-publishes it on {@link #keyReadyLocal}.
   */
  public static String keyReady(String crawl, String member) {
    return "fleetcrawl.frontier.key-ready." + crawl + "." + member;
  }

  /**
   * Request/reply to one member: an empty request, its /status document as a JSON string back. What
   * {@code fleetcrawl status} asks every node.
   */
  public static String nodeStatus(String member) {
    return "fleetcrawl.status." + member;
  }

  /**
   * Point-to-point to the member running a crawl's coordinator (the oldest data member): every
   * node's per-domain reports for the last interval, as JSON text.
   */
  public static String coordinator(String crawl, String member) {
    return "fleetcrawl.coordinator." + crawl + "." + member;
  }

  /**
   * Cluster-wide publish: a politeness key with so much queued that every node should help with it
   * (within its share of the key's limit).
   */
  public static String hotKey(String crawl) {
    return "fleetcrawl.frontier.hot-key." + crawl;
  }

  /**
   * Request/reply: an operator's command for a crawl (a JSON object: {@code action}, {@code
   * target}), answered once every member applies it. Any node running the crawl takes it.
   */
  public static String control(String crawl) {
    return "fleetcrawl.control." + crawl;
  }

  /**
   * Request/reply to one member: read the crawl's controls again now; the reply says it did. How
   * the node that took a command makes sure every member obeys it before answering.
   */
  public static String controlApply(String crawl, String member) {
    return "fleetcrawl.control-apply." + crawl + "." + member;
  }
}
