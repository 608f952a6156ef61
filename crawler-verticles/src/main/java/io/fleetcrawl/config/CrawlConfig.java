package io.fleetcrawl.config;

import static io.fleetcrawl.model.InvalidInputException.requireSetting;

import io.fleetcrawl.model.CrawlRequest;
import io.fleetcrawl.network.NetworkPolicy;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What one crawl admits and how it behaves towards sites. Immutable; built once at start-up and
 * rejected there, naming the offending setting, when a value is out of range.
 *
 * @param name the crawl's name; results and event-bus addresses carry it
 * @param scope which hosts links may lead to
 * @param includes when non-empty, a URL must match one of these to be admitted
 * @param excludes a URL matching any of these is not admitted
 * @param maxDepth link hops from a seed beyond which URLs are not admitted
 * @param maxPages most URLs admitted to the crawl; further ones are refused with LIMIT_REACHED
 * @param network which loopback, private and link-local targets may be fetched
 * @param honourNofollow whether links marked {@code rel=nofollow} (or on pages marked nofollow) are
 *     skipped
 * @param userAgent the User-Agent header; its first product token is the robots.txt agent name
 * @param maxAttempts fetch attempts for a URL failing with a network error or a 5xx before it is
 *     given up
 * @param requests what requests carry beyond the URL: cookies, extra headers, credentials
 * @param maxUrlsPerHost most URLs admitted per politeness key (host); further ones are refused. A
 *     key's queue and seen set are one frontier entry, which Hazelcast moves and backs up whole. It
 *     is also the crawl's page budget per site: a trap that no other limit catches ends there
 * @param traps the limits that refuse spider-trap URLs at intake
 * @param follow which redirects and canonical links are followed
 * @param politeness what one politeness key stands for: a host, a registrable domain or an address;
 *     budgets, pacing, Retry-After and the coordinator follow it
 */
public record CrawlConfig(
    String name,
    ScopeMode scope,
    List<Pattern> includes,
    List<Pattern> excludes,
    int maxDepth,
    long maxPages,
    NetworkPolicy network,
    boolean honourNofollow,
    String userAgent,
    int maxAttempts,
    RequestConfig requests,
    long maxUrlsPerHost,
    TrapLimits traps,
    FollowRules follow,
    PolitenessMode politeness) {

  public static final String DEFAULT_NAME = "default";

  /**
   * 2 million URLs: ~370 MB of heap across the cluster with the backup, ~130 MB shipped (about 3 s)
   * when the key's partition moves. Measured in docs/SCALING.md.
   */
  public static final long DEFAULT_MAX_URLS_PER_HOST = 2_000_000;

  /** Beyond this a key's entry would not fit the 2 GiB byte array Hazelcast serializes it into. */
  public static final long MAX_MAX_URLS_PER_HOST = 25_000_000;

  /**
   * Link hops from a seed. Real sites keep their pages within a few dozen hops of the home page; a
   * chain of generated "next" links (a calendar, an endless pager) ends here at the latest.
   */
  public static final int DEFAULT_MAX_DEPTH = 100;

  public static final long DEFAULT_MAX_PAGES = Long.MAX_VALUE;
  public static final String DEFAULT_USER_AGENT = "fleetcrawl/0.1";
  public static final int DEFAULT_MAX_ATTEMPTS = 3;

  public CrawlConfig {
    Objects.requireNonNull(scope, "scope");
    Objects.requireNonNull(requests, "requests");
    Objects.requireNonNull(network, "network");
    Objects.requireNonNull(traps, "traps");
    Objects.requireNonNull(follow, "follow");
    Objects.requireNonNull(politeness, "politeness");
    includes = List.copyOf(includes);
    excludes = List.copyOf(excludes);
    requireSetting(
        name != null && name.matches("[A-Za-z0-9_.-]{1,64}"),
        "crawl",
        "must be 1-64 letters, digits, '.', '_' or '-', was '" + name + "'");
    requireSetting(
        maxDepth >= 0 && maxDepth <= CrawlRequest.MAX_DEPTH,
        "max-depth",
        "must be 0.." + CrawlRequest.MAX_DEPTH + ", was " + maxDepth);
    requireSetting(maxPages >= 1, "max-pages", "must be >= 1, was " + maxPages);
    requireSetting(
        userAgent != null && !userAgent.isBlank() && userAgent.chars().allMatch(c -> c >= 0x20),
        "user-agent",
        "must be non-blank printable text");
    requireSetting(
        maxAttempts >= 1 && maxAttempts <= 20, "max-attempts", "must be 1..20, was " + maxAttempts);
    requireSetting(
        maxUrlsPerHost >= 1 && maxUrlsPerHost <= MAX_MAX_URLS_PER_HOST,
        "max-urls-per-host",
        "must be 1.."
            + MAX_MAX_URLS_PER_HOST
            + " (a host's frontier entry moves between members whole, and must stay under 2 GiB"
            + " serialized), was "
            + maxUrlsPerHost);
  }

  /** A crawl with the default most URLs per host. */
  public CrawlConfig(
      String name,
      ScopeMode scope,
      List<Pattern> includes,
      List<Pattern> excludes,
      int maxDepth,
      long maxPages,
      NetworkPolicy network,
      boolean honourNofollow,
      String userAgent,
      int maxAttempts,
      RequestConfig requests) {
    this(
        name,
        scope,
        includes,
        excludes,
        maxDepth,
        maxPages,
        network,
        honourNofollow,
        userAgent,
        maxAttempts,
        requests,
        DEFAULT_MAX_URLS_PER_HOST,
        TrapLimits.defaults(),
        FollowRules.defaults(),
        PolitenessMode.HOST);
  }

  /** Returns a copy with the most URLs per host replaced. */
  public CrawlConfig withMaxUrlsPerHost(long max) {
    return new CrawlConfig(
        name,
        scope,
        includes,
        excludes,
        maxDepth,
        maxPages,
        network,
        honourNofollow,
        userAgent,
        maxAttempts,
        requests,
        max,
        traps,
        follow,
        politeness);
  }

  /** Returns a copy with the spider-trap limits replaced. */
  public CrawlConfig withTraps(TrapLimits limits) {
    return new CrawlConfig(
        name,
        scope,
        includes,
        excludes,
        maxDepth,
        maxPages,
        network,
        honourNofollow,
        userAgent,
        maxAttempts,
        requests,
        maxUrlsPerHost,
        limits,
        follow,
        politeness);
  }

  /** Returns a copy with the redirect and canonical rules replaced. */
  public CrawlConfig withFollow(FollowRules rules) {
    return new CrawlConfig(
        name,
        scope,
        includes,
        excludes,
        maxDepth,
        maxPages,
        network,
        honourNofollow,
        userAgent,
        maxAttempts,
        requests,
        maxUrlsPerHost,
        traps,
        rules,
        politeness);
  }

  /** A crawl whose requests carry nothing beyond the crawler's own headers. */
  public CrawlConfig(
      String name,
      ScopeMode scope,
      List<Pattern> includes,
      List<Pattern> excludes,
      int maxDepth,
      long maxPages,
      NetworkPolicy network,
      boolean honourNofollow,
      String userAgent,
      int maxAttempts) {
    this(
        name,
        scope,
        includes,
        excludes,
        maxDepth,
        maxPages,
        network,
        honourNofollow,
        userAgent,
        maxAttempts,
        RequestConfig.defaults());
  }

  /** Returns the defaults: host scope, no patterns, private networks refused. */
  public static CrawlConfig defaults() {
    return new CrawlConfig(
        DEFAULT_NAME,
        ScopeMode.HOST,
        List.of(),
        List.of(),
        DEFAULT_MAX_DEPTH,
        DEFAULT_MAX_PAGES,
        NetworkPolicy.of(false, List.of()),
        true,
        DEFAULT_USER_AGENT,
        DEFAULT_MAX_ATTEMPTS);
  }

  /** Returns whether every loopback, private and link-local target may be fetched. */
  public boolean allowPrivateNetworks() {
    return network.allowsAllPrivate();
  }

  /** Returns the lower-case robots.txt agent name: the User-Agent's first product token. */
  public String robotsAgentName() {
    return userAgent.trim().split("[/\\s]", 2)[0].toLowerCase(Locale.ROOT);
  }
}
