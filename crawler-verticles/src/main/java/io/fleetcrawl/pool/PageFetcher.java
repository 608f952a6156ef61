package io.fleetcrawl.pool;

import io.fleetcrawl.config.FetchConfig;
import io.fleetcrawl.session.SiteSessions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.net.URI;
import java.util.function.Predicate;

/**
 * Fetches one URL with a GET over a worker's {@link ClientPool} (through its WebClient, with the
 * site's session, headers and credentials), enforcing what Vert.x does not: a total deadline per
 * fetch, a time-to-first-byte limit and a cap on decoded body bytes. Never follows redirects; the
 * caller admits the target as a new URL so that scope, robots.txt and dedup apply to it.
 */
public final class PageFetcher {
  private final Vertx vertx;
  private final ClientPool pool;
  private final FetchConfig config;
  private final String userAgent;
  private final Predicate<String> storedType;
  private final SiteSessions sessions;
  private final BodyMemory memory;

  public PageFetcher(Vertx vertx, ClientPool pool, FetchConfig config, String userAgent) {
    this(vertx, pool, config, userAgent, null, SiteSessions.none(), null);
  }

  /**
   * @param storedType which media types a page's body is read for (see {@link #fetchPage}), or null
   *     for all
   * @param sessions what requests to each site carry (cookies, headers, credentials); the worker's
   *     own, like the pool
   * @param memory the node's budget for bodies, which pages and sitemaps are counted against; null
   *     for none
   */
  public PageFetcher(
      Vertx vertx,
      ClientPool pool,
      FetchConfig config,
      String userAgent,
      Predicate<String> storedType,
      SiteSessions sessions,
      BodyMemory memory) {
    this.vertx = vertx;
    this.pool = pool;
    this.config = config;
    this.userAgent = userAgent;
    this.storedType = storedType;
    this.sessions = sessions;
    this.memory = memory;
  }

  /**
   * Fetches a crawl's page: as {@link #fetch}, but the body of a media type the crawl does not
   * store is not read past the headers, and the body counts against the node's body memory until
   * the outcome is released.
   */
  public Future<FetchOutcome> fetchPage(String url, int maxBytes) {
    return fetch(url, maxBytes, storedType, memory);
  }

  /**
   * Fetches a sitemap: its body is read whatever its type, and counts against the node's body
   * memory until the outcome is released.
   */
  public Future<FetchOutcome> fetchSitemap(String url, int maxBytes) {
    return fetch(url, maxBytes, null, memory);
  }

  /**
   * Fetches a URL keeping at most {@code maxBytes} of its decoded body; never fails. Not counted
   * against the node's body memory: for small, separately capped bodies such as robots.txt.
   */
  public Future<FetchOutcome> fetch(String url, int maxBytes) {
    return fetch(url, maxBytes, null, null);
  }

  private Future<FetchOutcome> fetch(
      String url, int maxBytes, Predicate<String> stored, BodyMemory budget) {
    URI uri;
    try {
      uri = URI.create(url);
    } catch (IllegalArgumentException e) {
      return Future.succeededFuture(
          FetchOutcome.failure(FetchFailure.MALFORMED_URL, "malformed URL: " + e.getMessage(), 0));
    }
    if (uri.getHost() == null) {
      return Future.succeededFuture(
          FetchOutcome.failure(FetchFailure.MALFORMED_URL, "malformed URL: no host", 0));
    }
    if (uri.getPort() == 0 || uri.getPort() > 65_535) {
      return Future.succeededFuture(
          FetchOutcome.failure(
              FetchFailure.MALFORMED_URL,
              "malformed URL: port " + uri.getPort() + " out of range",
              0));
    }
    try {
      Exchange exchange =
          new Exchange(
              vertx,
              pool,
              uri,
              url,
              userAgent,
              maxBytes,
              stored,
              config.totalTimeoutMs(),
              sessions);
      return (budget == null ? exchange : exchange.counted(budget)).start();
    } catch (RuntimeException e) {
      // A fetch that cannot even start must still end its URL, or the lease would expire and
      // the URL be handed out again for ever.
      return Future.succeededFuture(
          FetchOutcome.failure(
              FetchFailure.CANNOT_START,
              "cannot fetch: " + e.getClass().getSimpleName() + ": " + e.getMessage(),
              0));
    }
  }
}
