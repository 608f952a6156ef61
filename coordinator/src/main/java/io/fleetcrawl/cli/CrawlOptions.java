package io.fleetcrawl.cli;

import io.fleetcrawl.config.CrawlConfig;
import io.fleetcrawl.config.FetchConfig;
import io.fleetcrawl.config.ScopeMode;
import io.fleetcrawl.node.ClusterSettings;
import io.fleetcrawl.scope.NetworkPolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The crawl and fetch settings shared by {@code crawl} and {@code demo}; defaults as documented.
 */
final class CrawlOptions {
  @Option(
      names = "--crawl",
      description = "Crawl name (default: ${DEFAULT-VALUE}).",
      defaultValue = CrawlConfig.DEFAULT_NAME)
  String name;

  @Option(
      names = "--scope",
      description = "host, domain or any (default: ${DEFAULT-VALUE}).",
      defaultValue = "host")
  ScopeMode scope;

  @Option(names = "--include", description = "Regex a URL must match (repeatable).")
  List<String> includes = new ArrayList<>();

  @Option(names = "--exclude", description = "Regex excluding matching URLs (repeatable).")
  List<String> excludes = new ArrayList<>();

  @Option(
      names = "--max-depth",
      description = "Link hops from a seed (default: ${DEFAULT-VALUE}).",
      defaultValue = "" + CrawlConfig.DEFAULT_MAX_DEPTH)
  int maxDepth;

  @Option(
      names = "--max-pages",
      description = "Most URLs admitted to the crawl (default: unlimited).")
  Long maxPages;

  @Option(
      names = "--allow-private-networks",
      description = "Allow loopback, private and link-local targets.")
  boolean allowPrivateNetworks;

  @Option(
      names = "--allow-network",
      paramLabel = "CIDR",
      description =
          "Allow this internal network (e.g. 10.1.2.0/24) without allowing all (repeatable).")
  List<String> allowedNetworks = new ArrayList<>();

  @Option(names = "--follow-nofollow", description = "Follow rel=nofollow links too.")
  boolean followNofollow;

  @Option(
      names = "--user-agent",
      description = "User-Agent header (default: ${DEFAULT-VALUE}).",
      defaultValue = CrawlConfig.DEFAULT_USER_AGENT)
  String userAgent;

  @Option(
      names = "--max-attempts",
      description = "Attempts per URL on errors and 5xx (default: ${DEFAULT-VALUE}).",
      defaultValue = "" + CrawlConfig.DEFAULT_MAX_ATTEMPTS)
  int maxAttempts;

  @Option(
      names = "--workers",
      description = "Fetch workers (event loops) on this node (default: cores).")
  Integer workers;

  @Option(
      names = "--per-host-concurrency",
      description = "Requests in flight per host (default: ${DEFAULT-VALUE}).",
      defaultValue = "" + FetchConfig.DEFAULT_PER_HOST_CONCURRENCY)
  int perHostConcurrency;

  @Option(
      names = "--worker-max-in-flight",
      description = "Requests in flight per worker (default: ${DEFAULT-VALUE}).",
      defaultValue = "" + FetchConfig.DEFAULT_WORKER_MAX_IN_FLIGHT)
  int workerMaxInFlight;

  @Option(
      names = "--total-timeout-ms",
      description = "Deadline for one fetch (default: ${DEFAULT-VALUE}).",
      defaultValue = "" + FetchConfig.DEFAULT_TOTAL_TIMEOUT_MS)
  int totalTimeoutMs;

  @Option(
      names = "--max-body-bytes",
      description = "Decoded bytes kept per page (default: ${DEFAULT-VALUE}).",
      defaultValue = "" + FetchConfig.DEFAULT_MAX_BODY_BYTES)
  int maxBodyBytes;

  @Option(
      names = "--max-crawl-delay-ms",
      description = "Cap on robots.txt crawl-delay (default: ${DEFAULT-VALUE}).",
      defaultValue = "" + FetchConfig.DEFAULT_MAX_CRAWL_DELAY_MS)
  long maxCrawlDelayMs;

  @Mixin ClusterFlags cluster;

  /** Returns where the node finds its cluster. */
  ClusterSettings clusterSettings() {
    return cluster.settings();
  }

  /** Returns the crawl settings; an invalid value throws naming its option. */
  CrawlConfig crawlConfig() {
    return new CrawlConfig(
        name,
        scope,
        patterns("include", includes),
        patterns("exclude", excludes),
        maxDepth,
        maxPages == null ? CrawlConfig.DEFAULT_MAX_PAGES : maxPages,
        NetworkPolicy.of(allowPrivateNetworks, allowedNetworks),
        !followNofollow,
        userAgent,
        maxAttempts);
  }

  @Mixin PoolFlags pool;

  /** Returns the fetch settings; an invalid value throws naming its option. */
  FetchConfig fetchConfig() {
    return new FetchConfig(
        workers == null ? Runtime.getRuntime().availableProcessors() : workers,
        workerMaxInFlight,
        perHostConcurrency,
        totalTimeoutMs,
        maxBodyBytes,
        maxCrawlDelayMs,
        pool.poolConfig());
  }

  private static List<Pattern> patterns(String option, List<String> regexes) {
    List<Pattern> patterns = new ArrayList<>();
    for (String regex : regexes) {
      try {
        patterns.add(Pattern.compile(regex));
      } catch (PatternSyntaxException e) {
        throw new IllegalArgumentException(
            "invalid --" + option + " '" + regex + "': " + e.getDescription());
      }
    }
    return patterns;
  }
}
