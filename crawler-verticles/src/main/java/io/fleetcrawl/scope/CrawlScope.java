package io.fleetcrawl.scope;

import io.fleetcrawl.config.CrawlConfig;
import io.fleetcrawl.config.ScopeMode;
import io.fleetcrawl.frontier.PolitenessKey;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * The set of hosts a crawl may visit, grown by its seeds, and the include/exclude patterns. Safe to
 * share between event loops: the seed set is concurrent and everything else is immutable.
 */
public final class CrawlScope {
  private final CrawlConfig config;
  private final Set<String> seedScopes = ConcurrentHashMap.newKeySet();
  private final Consumer<String> newSeedScope;

  /** A scope of this node alone. */
  public CrawlScope(CrawlConfig config) {
    this(config, k -> {});
  }

  /**
   * A scope shared with other nodes: {@code newSeedScope} is told each host (or domain) that a seed
   * added here, so the cluster can learn it through {@link #learn}.
   */
  public CrawlScope(CrawlConfig config, Consumer<String> newSeedScope) {
    this.config = config;
    this.newSeedScope = newSeedScope;
  }

  /** Adds a seed's host (or registrable domain, by scope mode) to the scope. */
  public void addSeedHost(String host) {
    String key = scopeKey(host);
    if (seedScopes.add(key)) {
      newSeedScope.accept(key);
    }
  }

  /** Adds a host (or domain) that a seed added on another node. */
  public void learn(String scopeKey) {
    seedScopes.add(scopeKey);
  }

  /**
   * Returns null when the URL is in scope, or a sentence naming why not.
   *
   * @param url the normalised URL
   * @param host its lower-case host
   */
  public String check(String url, String host) {
    if (config.scope() != ScopeMode.ANY && !seedScopes.contains(scopeKey(host))) {
      return "host "
          + host
          + " is outside the "
          + config.scope().name().toLowerCase(Locale.ROOT)
          + " scope of the seeds";
    }
    if (!config.includes().isEmpty() && config.includes().stream().noneMatch(p -> find(p, url))) {
      return "matches no --include pattern";
    }
    for (Pattern exclude : config.excludes()) {
      if (find(exclude, url)) {
        return "matches --exclude pattern " + exclude.pattern();
      }
    }
    return null;
  }

  private static boolean find(Pattern pattern, String url) {
    return pattern.matcher(url).find();
  }

  private String scopeKey(String host) {
    // One meaning of "domain" in the crawler: the same one politeness keys use, so a name under a
    // suffix the list does not know (an intranet's .test) is in scope with its siblings too.
    return config.scope() == ScopeMode.DOMAIN ? PolitenessKey.domainOf(host) : host;
  }
}
