package io.fleetcrawl.intake;

import crawlercommons.filters.basic.BasicURLNormalizer;
import io.fleetcrawl.config.CrawlConfig;
import io.fleetcrawl.frontier.Fingerprint;
import io.fleetcrawl.frontier.FrontierStore;
import io.fleetcrawl.frontier.PolitenessKey;
import io.fleetcrawl.frontier.PolitenessKeys;
import io.fleetcrawl.metrics.CrawlStats;
import io.fleetcrawl.model.CrawlRequest;
import io.fleetcrawl.model.RejectReason;
import io.fleetcrawl.model.Rejection;
import io.fleetcrawl.model.SubmitReply;
import io.fleetcrawl.scope.CrawlScope;
import io.vertx.core.Context;
import io.vertx.core.Future;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The single door into a crawl's frontier, for seeds and discovered links alike: normalises each
 * URL, checks scheme, network, scope, depth and the page limit, then admits it to the frontier,
 * which refuses duplicates. Safe to call from any event loop.
 */
public final class UrlIntake {
  private final CrawlConfig config;
  private final CrawlScope scope;
  private final FrontierStore frontier;
  private final CrawlStats stats;
  private final SeenCache seenCache;
  private final Consumer<String> keyReady;
  private final TrapRules traps;
  private final PolitenessKeys keys;
  private volatile BooleanSupplier cancelled = () -> false;
  private static final int MAX_PORT = 65_535;

  /**
   * A raw URL this many times the longest admitted is refused before it is normalised: escaping and
   * dot segments change a length by a small factor, and a megabyte-long link is not worth parsing
   * to find that out.
   */
  private static final int RAW_LENGTH_FACTOR = 8;

  private final BasicURLNormalizer normalizer = new BasicURLNormalizer();
  private final AtomicLong reserved = new AtomicLong();

  /** Keeps raw-spelling fingerprints apart from normalised ones in the shared seen cache. */
  private static final long RAW_SALT = 0x5DEECE66DL;

  /**
   * @param keyReady told the politeness key of every batch that admitted URLs to a key nobody was
   *     working
   */
  public UrlIntake(
      CrawlConfig config,
      CrawlScope scope,
      FrontierStore frontier,
      CrawlStats stats,
      SeenCache seenCache,
      Consumer<String> keyReady) {
    this(
        config,
        scope,
        frontier,
        stats,
        seenCache,
        keyReady,
        PolitenessKeys.of(config.politeness()));
  }

  /**
   * @param keys maps a host to its politeness key (host, domain or address)
   */
  public UrlIntake(
      CrawlConfig config,
      CrawlScope scope,
      FrontierStore frontier,
      CrawlStats stats,
      SeenCache seenCache,
      Consumer<String> keyReady,
      PolitenessKeys keys) {
    this.keys = keys;
    this.config = config;
    this.scope = scope;
    this.frontier = frontier;
    this.stats = stats;
    this.seenCache = seenCache;
    this.keyReady = keyReady;
    this.traps = new TrapRules(config.traps());
  }

  /**
   * Refuses every URL, seeds and links alike, while {@code cancelled} says so: a cancelled crawl's
   * frontier was dropped, and a submit or a page still in flight must not fill it again.
   */
  public UrlIntake refusingWhen(BooleanSupplier cancelled) {
    this.cancelled = cancelled;
    return this;
  }

  /** Where a batch of URLs comes from, which decides how intake treats it. */
  private enum Source {
    /** Seeds: each adds its host to the scope; every refusal is reported. */
    SEED,
    /** Links found on a page: refused ones are simply not followed. */
    LINK,
    /** A redirect's target: its refusal is reported, so the redirecting URL's result says it. */
    REDIRECT,
    /** A redirect at the end of a chain of redirects from a seed: it widens the scope too. */
    SEED_REDIRECT,
    /** A sitemap a robots.txt or a sitemap index names: judged afresh, refusals not reported. */
    SITEMAP;

    boolean widensScope() {
      return this == SEED || this == SEED_REDIRECT;
    }

    boolean reports() {
      return this != LINK && this != SITEMAP;
    }
  }

  /** Admits seed URLs at depth 0, adding their hosts to the scope; replies per URL. */
  public Future<SubmitReply> submitSeeds(Context context, List<String> urls) {
    return admit(context, urls, 0, 0, Source.SEED, 0);
  }

  /** Admits links found on a page; links refused are simply not followed. */
  public Future<Integer> admitLinks(Context context, List<String> links, int depth) {
    return admit(context, links, depth, 0, Source.LINK, 0).map(SubmitReply::accepted);
  }

  /**
   * Admits sitemaps to fetch: those a robots.txt names ({@link CrawlRequest#SITEMAP}) or a sitemap
   * index lists ({@link CrawlRequest#CHILD_SITEMAP}). Scope, the network rules and the trap limits
   * apply as to any link; refused ones are not fetched.
   */
  public Future<Integer> admitSitemaps(Context context, List<String> urls, int depth, int kind) {
    return admit(context, urls, depth, 0, Source.SITEMAP, kind).map(SubmitReply::accepted);
  }

  /**
   * Admits the target of a redirect (a 3xx's Location or a meta refresh) one hop deeper than the
   * URL that redirected. A seed that redirects to another host (example.org to www.example.org)
   * brings that host into the scope, as do further redirects in a row from it; chains longer than
   * {@code --max-redirects} end, and a loop ends at the first URL already admitted.
   *
   * @return null when the target was admitted, otherwise why not ({@code REASON: detail})
   */
  public Future<String> admitRedirect(Context context, String target, CrawlRequest from) {
    int redirects = from.redirects() + 1;
    int max = config.follow().maxRedirects();
    if (redirects > max) {
      stats.refused(RejectReason.TOO_MANY_REDIRECTS);
      return Future.succeededFuture(
          RejectReason.TOO_MANY_REDIRECTS
              + ": "
              + redirects
              + " redirects in a row > --max-redirects "
              + max);
    }
    Source source = from.seedOrSeedRedirect() ? Source.SEED_REDIRECT : Source.REDIRECT;
    return admit(context, List.of(target), from.depth() + 1, redirects, source, 0)
        .map(
            reply -> {
              if (reply.accepted() > 0) {
                return null;
              }
              if (reply.rejected().isEmpty()) {
                return RejectReason.DUPLICATE + ": already admitted to the crawl";
              }
              Rejection why = reply.rejected().get(0);
              return why.reason() + ": " + why.detail();
            });
  }

  private Future<SubmitReply> admit(
      Context context, List<String> urls, int depth, int redirects, Source source, int sitemap) {
    // Seeds and redirect targets are answered per URL; links and sitemaps simply not followed.
    boolean report = source.reports();
    List<Rejection> rejected = new ArrayList<>();
    if (cancelled.getAsBoolean()) {
      stats.refusedFor(RejectReason.CRAWL_CANCELLED).add(urls.size());
      if (report) {
        for (String raw : urls) {
          rejected.add(
              new Rejection(
                  String.valueOf(raw),
                  RejectReason.CRAWL_CANCELLED,
                  "the operator cancelled crawl '"
                      + config.name()
                      + "'; crawl again under another --crawl name"));
        }
      }
      return Future.succeededFuture(new SubmitReply(0, rejected));
    }
    List<Candidate> admissible = new ArrayList<>();
    List<String> raws = new ArrayList<>();
    for (String raw : urls) {
      Candidate candidate = classify(raw, depth, redirects, source);
      if (candidate.rejection != null) {
        if (candidate.rejection.reason() != RejectReason.DUPLICATE) {
          stats.refused(candidate.rejection.reason());
        }
        if (report) {
          rejected.add(candidate.rejection);
        }
        continue;
      }
      if (sitemap > 0) {
        CrawlRequest page = candidate.request;
        candidate =
            new Candidate(
                new CrawlRequest(page.url(), page.depth(), 0, 0, sitemap), candidate.host, null);
      }
      admissible.add(candidate);
      raws.add(raw);
    }
    if (admissible.isEmpty()) {
      return Future.succeededFuture(new SubmitReply(0, rejected));
    }
    stats.pendingIntake.incrementAndGet();
    if (keys.immediate()) {
      return offerAll(context, admissible, raws, keys::now, rejected, report)
          .andThen(done -> stats.pendingIntake.decrementAndGet());
    }
    // Address keys: each distinct host's key first (the node's DNS cache, then the shared pin).
    Map<String, Future<String>> hostKeys = new LinkedHashMap<>();
    for (Candidate c : admissible) {
      hostKeys.computeIfAbsent(c.host, h -> keys.of(context, h));
    }
    return Future.join(new ArrayList<>(hostKeys.values()))
        .transform(
            done ->
                offerAll(
                    context,
                    admissible,
                    raws,
                    host -> {
                      Future<String> key = hostKeys.get(host);
                      return key.succeeded() ? key.result() : PolitenessKey.of(host);
                    },
                    rejected,
                    report))
        .andThen(done -> stats.pendingIntake.decrementAndGet());
  }

  /** Offers admissible URLs to the frontier, one batch per politeness key. */
  private Future<SubmitReply> offerAll(
      Context context,
      List<Candidate> admissible,
      List<String> raws,
      Function<String, String> keyOf,
      List<Rejection> rejected,
      boolean report) {
    Map<String, List<CrawlRequest>> byKey = new LinkedHashMap<>();
    Map<String, List<String>> rawByKey = new LinkedHashMap<>();
    for (int i = 0; i < admissible.size(); i++) {
      String key = keyOf.apply(admissible.get(i).host);
      byKey.computeIfAbsent(key, k -> new ArrayList<>()).add(admissible.get(i).request);
      rawByKey.computeIfAbsent(key, k -> new ArrayList<>()).add(raws.get(i));
    }
    List<Future<Integer>> offers = new ArrayList<>();
    for (Map.Entry<String, List<CrawlRequest>> e : byKey.entrySet()) {
      offers.add(
          offer(context, e.getKey(), e.getValue(), rawByKey.get(e.getKey()), rejected, report));
    }
    return Future.all(offers)
        .map(
            all -> {
              int accepted = 0;
              for (Future<Integer> f : offers) {
                accepted += f.result();
              }
              synchronized (rejected) {
                return new SubmitReply(accepted, rejected);
              }
            });
  }

  private Future<Integer> offer(
      Context context,
      String key,
      List<CrawlRequest> requests,
      List<String> raws,
      List<Rejection> rejected,
      boolean report) {
    long granted = reserve(requests.size());
    List<CrawlRequest> admitted = requests.subList(0, (int) granted);
    if (granted < requests.size()) {
      stats.refusedFor(RejectReason.LIMIT_REACHED).add(requests.size() - granted);
    }
    if (report) {
      synchronized (rejected) {
        for (String raw : raws.subList((int) granted, raws.size())) {
          rejected.add(
              new Rejection(raw, RejectReason.LIMIT_REACHED, "the crawl's --max-pages is reached"));
        }
      }
    }
    if (admitted.isEmpty()) {
      return Future.succeededFuture(0);
    }
    return frontier
        .offer(context, key, admitted)
        .map(
            result -> {
              boolean[] flags = result.admitted();
              int accepted = 0;
              for (int i = 0; i < flags.length; i++) {
                if (flags[i]) {
                  accepted++;
                } else if (result.full(i)) {
                  stats.hostFull.increment();
                  stats.refused(RejectReason.HOST_FULL);
                  if (report) {
                    synchronized (rejected) {
                      rejected.add(
                          new Rejection(
                              raws.get(i),
                              RejectReason.HOST_FULL,
                              "host "
                                  + key
                                  + " already holds the crawl's --max-urls-per-host ("
                                  + config.maxUrlsPerHost()
                                  + ")"));
                    }
                  }
                } else if (report) {
                  synchronized (rejected) {
                    rejected.add(
                        new Rejection(
                            raws.get(i), RejectReason.DUPLICATE, "already admitted to the crawl"));
                  }
                }
              }
              reserved.addAndGet(accepted - flags.length);
              stats.admitted.add(accepted);
              if (accepted > 0 && result.wasIdle()) {
                // A key already being worked picks new URLs up when its leases are settled.
                keyReady.accept(key);
              }
              return accepted;
            });
  }

  /** Reserves up to {@code wanted} slots under the page limit; returns how many were granted. */
  private long reserve(int wanted) {
    while (true) {
      long current = reserved.get();
      long granted = Math.min(wanted, Math.max(0, config.maxPages() - current));
      if (granted == 0 || reserved.compareAndSet(current, current + granted)) {
        return granted;
      }
    }
  }

  private record Candidate(CrawlRequest request, String host, Rejection rejection) {}

  /**
   * Returns the request intake admits for a link found at {@code depth}, or null when it refuses
   * it; nothing reaches the frontier. For the fuzz tests, which check every admitted URL.
   */
  CrawlRequest admissible(String raw, int depth) {
    Candidate c = classifyFully(raw, depth, 0, false);
    return c.rejection == null ? c.request : null;
  }

  /** Returns a URL as the normaliser leaves it, or null when it cannot parse it (fuzz tests). */
  String normalised(String url) {
    return normalise(url);
  }

  private Candidate classify(String raw, int depth, int redirects, Source source) {
    if (source != Source.LINK) {
      // A seed or a redirect is judged afresh: a redirect from a seed widens the scope, so a
      // spelling once refused as out of scope may be admitted now.
      return classifyFully(raw, depth, redirects, source.widensScope());
    }
    // Most links of a site recur on page after page in the same spelling: a raw spelling already
    // admitted (or refused for a reason depth cannot change) skips normalising and checking again.
    long rawFingerprint = RAW_SALT ^ Fingerprint.of(String.valueOf(raw));
    if (seenCache.contains(rawFingerprint)) {
      return reject(raw, RejectReason.DUPLICATE, "already seen by this node");
    }
    Candidate candidate = classifyFully(raw, depth, 0, false);
    if (candidate.rejection == null || !candidate.rejection.reason().dependsOnDepth()) {
      seenCache.remember(rawFingerprint);
    }
    return candidate;
  }

  /**
   * @param widenScope whether the URL's host joins the scope (a seed, or a redirect from one)
   */
  private Candidate classifyFully(String raw, int depth, int redirects, boolean widenScope) {
    String trimmed = raw == null ? "" : raw.strip();
    if (trimmed.isEmpty()) {
      return reject(raw, RejectReason.MALFORMED, "empty URL");
    }
    int colon = trimmed.indexOf(':');
    String scheme = colon > 0 ? trimmed.substring(0, colon).toLowerCase(Locale.ROOT) : "";
    if (!scheme.matches("[a-z][a-z0-9+.-]*")) {
      return reject(raw, RejectReason.MALFORMED, "no scheme in '" + trimmed + "'");
    }
    if (!scheme.equals("http") && !scheme.equals("https")) {
      return reject(
          raw, RejectReason.DISALLOWED_SCHEME, "scheme '" + scheme + "' is not http or https");
    }
    int maxLength = config.traps().maxUrlLength();
    if (trimmed.length() > (long) RAW_LENGTH_FACTOR * maxLength) {
      return reject(
          raw,
          RejectReason.URL_TOO_LONG,
          trimmed.length() + " characters > --max-url-length " + maxLength);
    }
    String normalised = normalise(trimmed);
    if (normalised == null) {
      return reject(raw, RejectReason.MALFORMED, "cannot parse '" + trimmed + "' as a URL");
    }
    // Session ids and trackers go before anything compares URLs: scope patterns, the seen set.
    String stripped = traps.strip(normalised);
    if (!stripped.equals(normalised)) {
      // What a stripped parameter leaves may be what the normaliser tidies (an empty path segment
      // where ";utm_x" stood; found by IntakeFuzzTest): an admitted URL is its own normal form.
      normalised = normalise(stripped);
      if (normalised == null) {
        return reject(raw, RejectReason.MALFORMED, "cannot parse '" + stripped + "' as a URL");
      }
    }
    String host;
    int port;
    try {
      URI uri = new URI(normalised);
      host = uri.getHost();
      port = uri.getPort();
    } catch (URISyntaxException e) {
      return reject(raw, RejectReason.MALFORMED, e.getMessage());
    }
    if (host == null || host.isEmpty()) {
      return reject(raw, RejectReason.MALFORMED, "no host in '" + trimmed + "'");
    }
    if (port == 0 || port > MAX_PORT) {
      return reject(raw, RejectReason.MALFORMED, "port " + port + " is not 1.." + MAX_PORT);
    }
    host = host.toLowerCase(Locale.ROOT);
    if (!config.network().allowsHost(host)) {
      return reject(
          raw,
          RejectReason.PRIVATE_NETWORK,
          host
              + " is a loopback, private or link-local target; pass --allow-private-networks or"
              + " --allow-network");
    }
    if (depth > config.maxDepth()) {
      return reject(
          raw, RejectReason.TOO_DEEP, "depth " + depth + " > --max-depth " + config.maxDepth());
    }
    if (widenScope) {
      scope.addSeedHost(host);
    }
    String outOfScope = scope.check(normalised, host);
    if (outOfScope != null) {
      return reject(raw, RejectReason.OUT_OF_SCOPE, outOfScope);
    }
    TrapRules.Refusal trap = traps.check(normalised);
    if (trap != null) {
      return reject(raw, trap.reason(), trap.detail());
    }
    if (!seenCache.firstSighting(Fingerprint.of(normalised))) {
      return reject(raw, RejectReason.DUPLICATE, "already admitted to the crawl");
    }
    return new Candidate(new CrawlRequest(normalised, depth, 0, redirects), host, null);
  }

  private String normalise(String url) {
    String normalised = filter(url);
    // crawler-commons' normaliser is not idempotent in corners (a '?' inside the query re-splits
    // the sorted parameters; a host that maps to upper case under IDN is lowered only next time;
    // found by IntakeFuzzTest), and a page spelt two ways is fetched twice. A URL it changed is
    // filtered again until the spelling holds; one it left alone, the usual link, costs one pass.
    String previous = url;
    for (int pass = 0; pass < 3 && normalised != null && !normalised.equals(previous); pass++) {
      previous = normalised;
      normalised = filter(normalised);
    }
    if (normalised != null && !normalised.equals(previous)) {
      return null;
    }
    if (normalised == null) {
      normalised = normaliseIpv6Literal(url);
    }
    if (normalised == null) {
      return null;
    }
    int hash = normalised.indexOf('#');
    return withoutUserInfo(hash < 0 ? normalised : normalised.substring(0, hash));
  }

  private String filter(String url) {
    try {
      return normalizer.filter(url);
    } catch (RuntimeException e) {
      return null;
    }
  }

  private static boolean hostEndsWithDot(String url) {
    int start = url.indexOf("://");
    if (start < 0) {
      return false;
    }
    int end = start + 3;
    while (end < url.length() && "/?#".indexOf(url.charAt(end)) < 0) {
      end++;
    }
    String authority = url.substring(start + 3, end);
    if (authority.startsWith("[")) {
      return false;
    }
    int colon = authority.lastIndexOf(':');
    String host = colon < 0 ? authority : authority.substring(0, colon);
    return host.endsWith(".");
  }

  /**
   * Drops {@code user:password@} from a URL: credentials in a link or a seed would otherwise be
   * kept in the frontier, the results and the archive (site credentials belong in --auth-file).
   */
  private static String withoutUserInfo(String url) {
    int scheme = url.indexOf("://");
    if (scheme < 0) {
      return url;
    }
    int authorityEnd = url.length();
    for (int i = scheme + 3; i < url.length(); i++) {
      char c = url.charAt(i);
      if (c == '/' || c == '?' || c == '#') {
        authorityEnd = i;
        break;
      }
    }
    int at = url.lastIndexOf('@', authorityEnd - 1);
    return at < scheme + 3 ? url : url.substring(0, scheme + 3) + url.substring(at + 1);
  }

  /** BasicURLNormalizer refuses IPv6 literals; java.net.URI handles them. */
  private static String normaliseIpv6Literal(String url) {
    if (!url.contains("://[")) {
      return null;
    }
    try {
      URI uri = new URI(url).normalize();
      if (uri.getHost() == null) {
        return null;
      }
      String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
      return new URI(
              uri.getScheme().toLowerCase(Locale.ROOT),
              null,
              uri.getHost().toLowerCase(Locale.ROOT),
              uri.getPort(),
              null,
              null,
              null)
          + path
          + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
    } catch (URISyntaxException e) {
      return null;
    }
  }

  private static Candidate reject(String raw, RejectReason reason, String detail) {
    return new Candidate(null, null, new Rejection(String.valueOf(raw), reason, detail));
  }
}
