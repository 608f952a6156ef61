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
}
