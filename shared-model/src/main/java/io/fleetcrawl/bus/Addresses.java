package io.fleetcrawl.bus;

/** Every event-bus address Fleetcrawl uses, in one place. */
public final class Addresses {
  private Addresses() {}

  /** Request/reply: a {@code SubmitBatch} in, a {@code SubmitReply} back. One per crawl name. */
  public static String intake(String crawl) {
    return "fleetcrawl.intake." + crawl;
  }

  /**
   * Node-local publish: the politeness key (a {@code String}) that just received new URLs, so the
   * worker owning it claims them without waiting for a scan.
   */
  public static final String KEY_READY = "fleetcrawl.frontier.key-ready";

  /**
   * Point-to-point to one member: a politeness key whose partition that member owns received URLs
   * while nobody was working it. The member re-publishes it on {@link #KEY_READY}.
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
   * Cluster-wide publish: a politeness key with so much queued that every node should help with it
   * (within its share of the key's limit).
   */
  public static String hotKey(String crawl) {
    return "fleetcrawl.frontier.hot-key." + crawl;
  }
}
