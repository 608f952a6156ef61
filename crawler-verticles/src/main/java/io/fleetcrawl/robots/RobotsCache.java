package io.fleetcrawl.robots;

import crawlercommons.robots.BaseRobotRules;
import crawlercommons.robots.SimpleRobotRules;
import crawlercommons.robots.SimpleRobotRules.RobotRulesMode;
import crawlercommons.robots.SimpleRobotRulesParser;
import io.fleetcrawl.pool.FetchOutcome;
import io.fleetcrawl.pool.PageFetcher;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.net.URI;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.LongSupplier;

/**
 * One worker's robots.txt rules, per origin, fetched once and shared by every URL of the origin
 * (concurrent asks wait on the same fetch). Follows RFC 9309: up to five redirects, a 4xx means
 * allow all, a 5xx or an unreachable server means disallow all for a short while. Touched only on
 * the worker's event loop.
 */
public final class RobotsCache {
  /** Google's limit; a longer file is cut and what was read is used. */
  static final int MAX_ROBOTS_BYTES = 500 * 1024;

  static final int MAX_REDIRECTS = 5;
  static final long TTL_MS = 24 * 3600_000L;
  static final long UNREACHABLE_TTL_MS = 30_000L;

  private final Vertx vertx;
  private final PageFetcher fetcher;
  private final List<String> agentNames;
  private final LongSupplier clock;
  private final BiConsumer<String, FetchOutcome> archive;

  /**
   * crawler-commons turns a Crawl-delay above its own maximum (300 s) into "disallow all"; this
   * crawler instead honours any delay up to --max-crawl-delay-ms and caps longer ones (the worker
   * applies the cap), so a host asking for a long delay is crawled slowly, not dropped.
   */
  private final SimpleRobotRulesParser parser = newParser();

  private final Map<String, Future<RobotsRules>> byOrigin = new HashMap<>();

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
    this.archive = archive;
    this.vertx = vertx;
    this.fetcher = fetcher;
    this.agentNames = List.of(agentName);
    this.clock = clock;
  }

  /** Returns the rules for the origin of a URL ({@code scheme://host:port}). */
  public Future<RobotsRules> rulesFor(String origin) {
    Future<RobotsRules> cached = byOrigin.get(origin);
    if (cached != null
        && (!cached.isComplete() || cached.result().expiresAt() > clock.getAsLong())) {
      return cached;
    }
    Future<RobotsRules> loading = load(origin + "/robots.txt", 0);
    byOrigin.put(origin, loading);
    return loading;
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
              if (outcome.responded()) {
                archive.accept(url, outcome);
              }
              int status = outcome.status();
              if (status >= 300
                  && status < 400
                  && outcome.location() != null
                  && redirects < MAX_REDIRECTS) {
                return load(URI.create(url).resolve(outcome.location()).toString(), redirects + 1);
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
      // More than five redirects: RFC 9309 treats robots.txt as unavailable, which allows all.
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
    return new RobotsRules(
        new SimpleRobotRules(RobotRulesMode.ALLOW_NONE),
        true,
        clock.getAsLong() + UNREACHABLE_TTL_MS);
  }
}
