package io.fleetcrawl.robots;

import crawlercommons.robots.BaseRobotRules;
import crawlercommons.robots.SimpleRobotRules;
import crawlercommons.robots.SimpleRobotRules.RobotRulesMode;
import crawlercommons.robots.SimpleRobotRulesParser;
import io.fleetcrawl.pool.FetchFailure;
import io.fleetcrawl.pool.FetchOutcome;
import io.fleetcrawl.pool.PageFetcher;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.net.URI;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One worker's robots.txt rules, per origin, fetched once and shared by every URL of the origin
 * (concurrent asks wait on the same fetch). Follows RFC 9309: up to five redirects, a 4xx means
 * allow all, a 5xx or an unreachable server means disallow all for a short while. Touched only on
 * the worker's event loop.
 *
 * <p>Bounded, since a crawl of many hosts would otherwise keep every host's rules for a day: at
 * most {@link #MAX_ORIGINS} origins and {@link #MAX_WEIGHT_BYTES} of rules (an estimate from what
 * the parsed rules hold) per worker; the origins asked least recently go first, and asking for one
 * again fetches its robots.txt again. A map in access order is enough here: the cache is confined
 * to one event loop, so a concurrent cache (Caffeine) would buy nothing but a dependency.
 */
public final class RobotsCache {
  private static final Logger LOG = LoggerFactory.getLogger(RobotsCache.class);

  /** Google's limit; a longer file is cut and what was read is used. */
  static final int MAX_ROBOTS_BYTES = 500 * 1024;

  static final int MAX_REDIRECTS = 5;
  static final long TTL_MS = 24 * 3600_000L;

  /** How long "robots.txt unreachable" holds before robots.txt is asked for again. */
  public static final long UNREACHABLE_TTL_MS = 30_000L;

  /** Most origins whose rules one worker keeps. */
  static final int MAX_ORIGINS = 20_000;

  /** Most bytes of parsed rules one worker keeps (an estimate, see {@link #weightOf}). */
  static final long MAX_WEIGHT_BYTES = 32L << 20;

  private final Vertx vertx;
  private final PageFetcher fetcher;
  private final List<String> agentNames;
  private final LongSupplier clock;
  private final BiConsumer<String, FetchOutcome> archive;
  private BiConsumer<String, List<String>> sitemaps = (origin, urls) -> {};

  /** The most Sitemap lines of one robots.txt that are passed on. */
  static final int MAX_SITEMAPS_PER_ROBOTS = 50;

  /**
   * crawler-commons turns a Crawl-delay above its own maximum (300 s) into "disallow all"; this
   * crawler instead honours any delay up to --max-crawl-delay-ms and caps longer ones (the worker
   * applies the cap), so a host asking for a long delay is crawled slowly, not dropped.
   */
  private final SimpleRobotRulesParser parser = newParser();

  /** An origin's rules (perhaps still loading) and their weight once loaded. */
  private static final class Entry {
    final Future<RobotsRules> rules;
    long weight;

    Entry(Future<RobotsRules> rules) {
      this.rules = rules;
    }
  }

  /** In access order: the eldest entry is the origin asked least recently. */
  private final LinkedHashMap<String, Entry> byOrigin = new LinkedHashMap<>(256, 0.75f, true);

  private final int maxOrigins;
  private final long maxWeight;
  private long weight;

  /**
   * @param agentName the lower-case product token matched against User-agent lines
   * @param clock epoch milliseconds
   */
  public RobotsCache(Vertx vertx, PageFetcher fetcher, String agentName, LongSupplier clock) {
    this(vertx, fetcher, agentName, clock, (url, outcome) -> {});
  }

  /**
   * @param archive given every robots.txt response (redirects included), to be archived with the
   *     crawl's pages
   */
  public RobotsCache(
      Vertx vertx,
      PageFetcher fetcher,
      String agentName,
      LongSupplier clock,
      BiConsumer<String, FetchOutcome> archive) {
    this(vertx, fetcher, agentName, clock, archive, MAX_ORIGINS, MAX_WEIGHT_BYTES);
  }

  /** With other bounds than the defaults, for tests. */
  RobotsCache(
      Vertx vertx,
      PageFetcher fetcher,
      String agentName,
      LongSupplier clock,
      BiConsumer<String, FetchOutcome> archive,
      int maxOrigins,
      long maxWeight) {
    this.maxOrigins = maxOrigins;
    this.maxWeight = maxWeight;
    this.archive = archive;
    this.vertx = vertx;
    this.fetcher = fetcher;
    this.agentNames = List.of(agentName);
    this.clock = clock;
  }

  /**
   * Tells {@code listener} the Sitemap lines (at most {@value #MAX_SITEMAPS_PER_ROBOTS}) of every
   * robots.txt this cache loads, with the origin, each time it loads one.
   */
  public RobotsCache onSitemaps(BiConsumer<String, List<String>> listener) {
    this.sitemaps = listener;
    return this;
  }

  /** Returns the rules for the origin of a URL ({@code scheme://host:port}). */
  public Future<RobotsRules> rulesFor(String origin) {
    Entry cached = byOrigin.get(origin);
    if (cached != null
        && (!cached.rules.isComplete() || cached.rules.result().expiresAt() > clock.getAsLong())) {
      return cached.rules;
    }
    if (cached != null) {
      forget(origin, cached);
    }
    Entry entry =
        new Entry(
            load(origin + "/robots.txt", 0)
                .recover(
                    e -> {
                      // A verdict must always come: the URLs of the origin wait on it.
                      LOG.warn("robots.txt of {} could not be read: {}", origin, e.toString());
                      return Future.succeededFuture(unreachable());
                    }));
    byOrigin.put(origin, entry);
    entry.rules.onSuccess(
        rules -> {
          if (rules.busy()) {
            // Not a verdict: the next ask fetches robots.txt again.
            if (byOrigin.get(origin) == entry) {
              byOrigin.remove(origin);
            }
            return;
          }
          // Counted only while it is still the origin's entry (not evicted or replaced).
          if (byOrigin.get(origin) == entry) {
            entry.weight = weightOf(rules);
            weight += entry.weight;
            trim();
          }
          List<String> named = rules.rules().getSitemaps();
          if (!named.isEmpty()) {
            sitemaps.accept(
                origin,
                List.copyOf(named.subList(0, Math.min(named.size(), MAX_SITEMAPS_PER_ROBOTS))));
          }
        });
    trim();
    return entry.rules;
  }

  /** Returns how many origins' rules are held, for tests and figures. */
  int size() {
    return byOrigin.size();
  }

  /** Returns the estimated bytes of the rules held. */
  long weight() {
    return weight;
  }

  private void forget(String origin, Entry entry) {
    byOrigin.remove(origin);
    weight -= entry.weight;
  }

  /** Evicts the origins asked least recently until both bounds hold; keeps the newest one. */
  private void trim() {
    Iterator<Entry> eldest = byOrigin.values().iterator();
    while (byOrigin.size() > 1 && (byOrigin.size() > maxOrigins || weight > maxWeight)) {
      Entry e = eldest.next();
      weight -= e.weight;
      eldest.remove();
    }
  }

  /**
   * Estimates what parsed rules hold: each rule's path prefix (two bytes a character) plus the
   * objects around it, the sitemap URLs, and the verdict itself.
   */
  static long weightOf(RobotsRules rules) {
    long bytes = 256;
    if (rules.rules() instanceof SimpleRobotRules simple) {
      for (SimpleRobotRules.RobotRule rule : simple.getRobotRules()) {
        bytes += 64 + 2L * rule.getPrefix().length();
      }
    }
    for (String sitemap : rules.rules().getSitemaps()) {
      bytes += 64 + 2L * sitemap.length();
    }
    return bytes;
  }

  /** Returns the origin of an absolute http(s) URL. */
  public static String originOf(String url) {
    URI uri = URI.create(url);
    int port = uri.getPort();
    if (port < 0) {
      port = "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
    }
    return uri.getScheme().toLowerCase() + "://" + uri.getHost().toLowerCase() + ":" + port;
  }

  /** Loads and interprets robots.txt; never fails: any failure reads as unreachable. */
  private Future<RobotsRules> load(String url, int redirects) {
    return fetcher
        .fetch(url, MAX_ROBOTS_BYTES)
        .compose(
            outcome -> {
              if (outcome.failure() == FetchFailure.POOL_BUSY) {
                return Future.succeededFuture(RobotsRules.busy(clock.getAsLong()));
              }
              if (outcome.responded()) {
                archive.accept(url, outcome);
              }
              int status = outcome.status();
              String next =
                  status >= 300 && status < 400 && redirects < MAX_REDIRECTS
                      ? redirectTarget(url, outcome.location())
                      : null;
              if (next != null) {
                return load(next, redirects + 1);
              }
              if (outcome.isRefusedInternal()) {
                // Not a robots.txt that is down: the origin is one the crawl may not reach.
                String why =
                    redirects == 0
                        ? outcome.error()
                        : outcome.error() + ", where robots.txt redirects";
                return Future.succeededFuture(
                    new RobotsRules(
                        new SimpleRobotRules(RobotRulesMode.ALLOW_NONE),
                        false,
                        clock.getAsLong() + UNREACHABLE_TTL_MS,
                        why));
              }
              return Future.succeededFuture(interpret(url, outcome));
            });
  }

  private RobotsRules interpret(String url, FetchOutcome outcome) {
    long now = clock.getAsLong();
    int status = outcome.status();
    if (status >= 200 && status < 300) {
      byte[] body = outcome.body() == null ? new byte[0] : outcome.body().getBytes();
      return fromBody(parser, url, body, outcome.contentType(), agentNames, now + TTL_MS);
    }
    if (status >= 400 && status < 500 && status != 429) {
      return new RobotsRules(new SimpleRobotRules(RobotRulesMode.ALLOW_ALL), false, now + TTL_MS);
    }
    if (status >= 300 && status < 400) {
      // More than five redirects, or none that can be followed: RFC 9309 treats robots.txt as
      // unavailable, which allows all.
      return new RobotsRules(new SimpleRobotRules(RobotRulesMode.ALLOW_ALL), false, now + TTL_MS);
    }
    // 5xx, 429, or no answer at all.
    return unreachable();
  }

  /** Returns the parser robots.txt files are read with. */
  static SimpleRobotRulesParser newParser() {
    return new SimpleRobotRulesParser(Long.MAX_VALUE, 5);
  }

  /** Returns the rules of a robots.txt body that was answered with a 2xx. */
  static RobotsRules fromBody(
      SimpleRobotRulesParser parser,
      String url,
      byte[] body,
      String contentType,
      Collection<String> agentNames,
      long expiresAt) {
    BaseRobotRules rules = parser.parseContent(url, body, contentType, agentNames);
    return new RobotsRules(rules, false, expiresAt);
  }

  private RobotsRules unreachable() {
    return RobotsRules.unreachableUntil(clock.getAsLong() + UNREACHABLE_TTL_MS);
  }

  /** Returns where a redirect of robots.txt leads, or null when it names nowhere usable. */
  private static String redirectTarget(String url, String location) {
    if (location == null) {
      return null;
    }
    try {
      URI target = URI.create(url).resolve(location.trim());
      String scheme = target.getScheme();
      return target.getHost() != null
              && ("http".equalsIgnoreCase(scheme) || "https".equalsIgnoreCase(scheme))
          ? target.toString()
          : null;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
