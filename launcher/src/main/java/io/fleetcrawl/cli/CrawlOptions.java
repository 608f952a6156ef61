package io.fleetcrawl.cli;

import io.fleetcrawl.config.CrawlConfig;
import io.fleetcrawl.config.FetchConfig;
import io.fleetcrawl.config.FollowRules;
import io.fleetcrawl.config.HeaderRule;
import io.fleetcrawl.config.OutputConfig;
import io.fleetcrawl.config.PolitenessMode;
import io.fleetcrawl.config.RequestConfig;
import io.fleetcrawl.config.ScopeMode;
import io.fleetcrawl.config.SiteCredential;
import io.fleetcrawl.config.StateConfig;
import io.fleetcrawl.config.TrapLimits;
import io.fleetcrawl.model.InvalidInputException;
import io.fleetcrawl.network.NetworkPolicy;
import io.fleetcrawl.node.ClusterSettings;
import io.fleetcrawl.ratecontrol.BudgetConfig;
import io.fleetcrawl.ratecontrol.DomainController;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The crawl and fetch settings shared by {@code crawl}, {@code node} and the test kit's {@code
 * demo}, as a picocli mixin; defaults in fleetcrawl-defaults.yaml.
 */
public final class CrawlOptions {
  @Option(names = "--crawl", description = "Crawl name (default: ${DEFAULT-VALUE}).")
  String name;

  @Option(names = "--scope", description = "host, domain or any (default: ${DEFAULT-VALUE}).")
  ScopeMode scope;

  @Option(names = "--include", description = "Regex a URL must match (repeatable).")
  List<String> includes = new ArrayList<>();

  @Option(names = "--exclude", description = "Regex excluding matching URLs (repeatable).")
  List<String> excludes = new ArrayList<>();

  @Option(names = "--max-depth", description = "Link hops from a seed (default: ${DEFAULT-VALUE}).")
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

  @Option(names = "--user-agent", description = "User-Agent header (default: ${DEFAULT-VALUE}).")
  String userAgent;

  @Option(
      names = "--contact",
      paramLabel = "URL",
      description =
          "Where site owners can reach whoever runs the crawl (https://... or mailto:...), added"
              + " to the User-Agent as (+URL).")
  String contact;

  @Option(
      names = "--max-attempts",
      description = "Attempts per URL on errors and 5xx (default: ${DEFAULT-VALUE}).")
  int maxAttempts;

  @Option(
      names = "--max-urls-per-host",
      paramLabel = "N",
      description =
          "Most URLs admitted per host; further ones are refused. A host's queue and seen set"
              + " move between members whole: each million costs ~185 MB of heap with its backup"
              + " and ~1.4 s to move (default: ${DEFAULT-VALUE}, at most 25000000).")
  long maxUrlsPerHost;

  @Option(
      names = "--max-url-length",
      paramLabel = "N",
      description = "Longest URL admitted, in characters (default: ${DEFAULT-VALUE}).")
  int maxUrlLength;

  @Option(
      names = "--max-links-per-page",
      paramLabel = "N",
      description =
          "Most links followed from one page, in document order (default: ${DEFAULT-VALUE}).")
  int maxLinksPerPage;

  @Option(
      names = "--max-segment-repeats",
      paramLabel = "N",
      description =
          "Most times one path segment may appear in a URL (/a/b/a/b/a has 'a' three times); 0"
              + " turns the check off (default: ${DEFAULT-VALUE}).")
  int maxSegmentRepeats;

  @Option(
      names = "--max-query-params",
      paramLabel = "N",
      description =
          "Most query parameters in a URL; 0 turns the check off (default: ${DEFAULT-VALUE}).")
  int maxQueryParams;

  @Option(
      names = "--strip-param",
      paramLabel = "NAME",
      description =
          "A query or ;path parameter removed in normalisation, any case; NAME* matches a prefix"
              + " (repeatable; replaces the default list of session ids and trackers).")
  List<String> stripParams = new ArrayList<>();

  @Option(
      names = "--max-redirects",
      paramLabel = "N",
      description =
          "Most redirects in a row (3xx and meta refresh) followed from one URL, 0..7 (default:"
              + " ${DEFAULT-VALUE}).")
  int maxRedirects;

  @Option(
      names = "--follow-canonical",
      description =
          "Admit each page's canonical URL (<link rel=canonical>, Link header) like a link; it"
              + " is recorded either way.")
  boolean followCanonical;

  @Option(
      names = "--politeness-key",
      paramLabel = "host|domain|ip",
      description =
          "What shares one budget, pace and Retry-After pause: each host, each registrable domain"
              + " (50 subdomains of one site), or each server address (500 virtual hosts on one"
              + " server) (default: ${DEFAULT-VALUE}).")
  PolitenessMode politenessKey;

  @Option(
      names = "--sitemaps",
      description =
          "Fetch the sitemaps each host's robots.txt names (indexes, gzip and text sitemaps"
              + " too) and crawl the URLs they list like links (default: off).")
  boolean sitemaps;

  @Option(
      names = "--max-sitemap-bytes",
      paramLabel = "N",
      description = "Most bytes of one sitemap read, uncompressed (default: ${DEFAULT-VALUE}).")
  int maxSitemapBytes;

  @Option(
      names = "--workers",
      description = "Fetch workers (event loops) on this node (default: cores).")
  Integer workers;

  @Option(
      names = "--per-host-concurrency",
      description = "Requests in flight per host (default: ${DEFAULT-VALUE}).")
  int perHostConcurrency;

  @Option(
      names = "--worker-max-in-flight",
      description = "Requests in flight per worker (default: ${DEFAULT-VALUE}).")
  int workerMaxInFlight;

  @Option(
      names = "--total-timeout-ms",
      description = "Deadline for one fetch (default: ${DEFAULT-VALUE}).")
  int totalTimeoutMs;

  @Option(
      names = "--max-body-bytes",
      description = "Decoded bytes kept per page (default: ${DEFAULT-VALUE}).")
  int maxBodyBytes;

  @Option(
      names = "--body-memory-mb",
      description =
          "Most MiB of response bodies the node holds at once; pages wait to read more beyond it"
              + " (default: ${DEFAULT-VALUE}, a quarter of the heap).")
  long bodyMemoryMb;

  @Option(
      names = "--max-crawl-delay-ms",
      description = "Cap on robots.txt crawl-delay (default: ${DEFAULT-VALUE}).")
  long maxCrawlDelayMs;

  @Option(
      names = "--cookies",
      description =
          "Keep a cookie session per site, for sites that loop or refuse without a consent or"
              + " session cookie (default: off).")
  boolean cookies;

  @Option(
      names = "--max-cookies-per-host",
      paramLabel = "N",
      description = "Cookies kept per site; the oldest go first (default: ${DEFAULT-VALUE}).")
  int maxCookiesPerHost;

  @Option(
      names = "--cookie-memory-mb",
      paramLabel = "N",
      description =
          "Cookie memory per fetch worker; the least recently fetched sites lose their sessions"
              + " first (default: ${DEFAULT-VALUE}).")
  long cookieMemoryMb;

  @Option(
      names = "--header",
      paramLabel = "[HOST-PATTERN=]NAME: VALUE",
      description =
          "A request header for every site, or for the sites a pattern names (example.com,"
              + " *.example.com); the most specific pattern wins (repeatable).")
  List<String> headers = new ArrayList<>();

  @Option(
      names = "--auth-file",
      paramLabel = "FILE",
      description =
          "Credentials for sites you own, one per line: HOST-PATTERN basic USER PASSWORD, or"
              + " HOST-PATTERN bearer TOKEN. Sent only to the hosts named.")
  Path authFile;

  private List<SiteCredential> credentials;

  /** Returns what requests carry beyond the URL; an invalid value throws naming its option. */
  RequestConfig requestConfig(Map<String, Object> fields) {
    List<HeaderRule> rules = new ArrayList<>();
    for (String h : list(fields, "header", headers)) {
      rules.add(HeaderRule.parse("header", h));
    }
    if (credentials == null) {
      // Read once for all the node's crawls, so it is warned about once.
      credentials = authFile == null ? List.of() : SiteCredential.load(authFile);
      if (authFile != null && SiteCredential.readableByOthers(authFile)) {
        System.err.println(
            "WARNING: --auth-file " + authFile + " is readable by others (chmod 600 it)");
      }
    }
    if (cookieMemoryMb < 1) {
      throw new InvalidInputException("invalid --cookie-memory-mb: must be >= 1");
    }
    return new RequestConfig(
        bool(fields, "cookies", cookies),
        maxCookiesPerHost,
        cookieMemoryMb << 20,
        rules,
        credentials);
  }

  @Mixin ClusterFlags cluster;

  /** Returns where the node finds its cluster. */
  public ClusterSettings clusterSettings() {
    return cluster.settings();
  }

  /** Returns the crawl settings; an invalid value throws naming its option. */
  public CrawlConfig crawlConfig() {
    return crawlConfig(Map.of(), "");
  }

  /**
   * Returns the settings of one crawl of a {@code --crawls} file: each field given overrides the
   * flag of the same name (name, scope, include, exclude, maxDepth, maxPages, allowPrivateNetworks,
   * allowNetwork, followNofollow, userAgent, maxAttempts, maxUrlsPerHost, the spider-trap limits,
   * header, cookies).
   *
   * @param where names the file and entry in error messages
   */
  CrawlConfig crawlConfig(Map<String, Object> given, String where) {
    // Keys as in the config file (max-depth), or as the record's fields (maxDepth).
    Map<String, Object> fields = new java.util.LinkedHashMap<>();
    for (Map.Entry<String, Object> e : given.entrySet()) {
      String key = camelCase(e.getKey());
      if (!CRAWL_FIELDS.contains(key)) {
        throw new InvalidInputException(
            where
                + ": unknown setting '"
                + e.getKey()
                + "'; known: "
                + String.join(", ", CRAWL_FIELDS.stream().map(CrawlOptions::kebabCase).toList()));
      }
      fields.put(key, e.getValue());
    }
    try {
      return new CrawlConfig(
          text(fields, "name", name),
          fields.containsKey("scope")
              ? ScopeMode.valueOf(text(fields, "scope", "").toUpperCase(java.util.Locale.ROOT))
              : scope,
          patterns("include", list(fields, "include", includes)),
          patterns("exclude", list(fields, "exclude", excludes)),
          number(fields, "maxDepth", maxDepth).intValue(),
          number(
                  fields,
                  "maxPages",
                  maxPages == null ? Long.valueOf(CrawlConfig.DEFAULT_MAX_PAGES) : maxPages)
              .longValue(),
          NetworkPolicy.of(
              bool(fields, "allowPrivateNetworks", allowPrivateNetworks),
              list(fields, "allowNetwork", allowedNetworks)),
          !bool(fields, "followNofollow", followNofollow),
          withContact(text(fields, "userAgent", userAgent), text(fields, "contact", contact)),
          number(fields, "maxAttempts", maxAttempts).intValue(),
          requestConfig(fields),
          number(fields, "maxUrlsPerHost", maxUrlsPerHost).longValue(),
          new TrapLimits(
              number(fields, "maxUrlLength", maxUrlLength).intValue(),
              number(fields, "maxLinksPerPage", maxLinksPerPage).intValue(),
              number(fields, "maxSegmentRepeats", maxSegmentRepeats).intValue(),
              number(fields, "maxQueryParams", maxQueryParams).intValue(),
              list(fields, "stripParam", stripParams)),
          new FollowRules(
              number(fields, "maxRedirects", maxRedirects).intValue(),
              bool(fields, "followCanonical", followCanonical),
              bool(fields, "sitemaps", sitemaps),
              number(fields, "maxSitemapBytes", maxSitemapBytes).intValue()),
          fields.containsKey("politenessKey")
              ? PolitenessMode.valueOf(
                  text(fields, "politenessKey", "").toUpperCase(java.util.Locale.ROOT))
              : politenessKey);
    } catch (IllegalArgumentException | ClassCastException e) {
      throw new InvalidInputException(
          where.isEmpty() ? e.getMessage() : where + ": " + e.getMessage(), e);
    }
  }

  private static final List<String> CRAWL_FIELDS =
      List.of(
          "name",
          "scope",
          "include",
          "exclude",
          "maxDepth",
          "maxPages",
          "allowPrivateNetworks",
          "allowNetwork",
          "followNofollow",
          "userAgent",
          "maxAttempts",
          "maxUrlsPerHost",
          "maxUrlLength",
          "maxLinksPerPage",
          "maxSegmentRepeats",
          "maxQueryParams",
          "stripParam",
          "maxRedirects",
          "followCanonical",
          "politenessKey",
          "sitemaps",
          "maxSitemapBytes",
          "header",
          "cookies",
          "contact");

  /**
   * Returns the User-Agent with the operator's contact URL added the way crawlers announce it,
   * {@code name/version (+URL)}; unchanged without one or when it names the URL already.
   */
  static String withContact(String userAgent, String contact) {
    if (contact == null || contact.isBlank()) {
      return userAgent;
    }
    String url = contact.strip();
    // A header value: no spaces or control characters, and a scheme a person can follow.
    if (!url.matches("(?i)(https?://|mailto:)[\\x21-\\x7e]+")) {
      throw new InvalidInputException(
          "invalid --contact '"
              + url.replaceAll("\\p{Cntrl}", "?")
              + "': an https://, http:// or mailto: URL without spaces");
    }
    return userAgent.contains(url) ? userAgent : userAgent + " (+" + url + ")";
  }

  private static String camelCase(String key) {
    StringBuilder b = new StringBuilder();
    boolean upper = false;
    for (char c : key.toCharArray()) {
      if (c == '-') {
        upper = true;
      } else {
        b.append(upper ? Character.toUpperCase(c) : c);
        upper = false;
      }
    }
    return b.toString();
  }

  private static String kebabCase(String field) {
    return field.replaceAll("([A-Z])", "-$1").toLowerCase(java.util.Locale.ROOT);
  }

  private static String text(Map<String, Object> fields, String key, String fallback) {
    Object v = fields.get(key);
    return v == null ? fallback : (String) v;
  }

  private static Number number(Map<String, Object> fields, String key, Number fallback) {
    Object v = fields.get(key);
    return v == null ? fallback : (Number) v;
  }

  private static boolean bool(Map<String, Object> fields, String key, boolean fallback) {
    Object v = fields.get(key);
    return v == null ? fallback : (Boolean) v;
  }

  @SuppressWarnings("unchecked")
  private static List<String> list(Map<String, Object> fields, String key, List<String> fallback) {
    Object v = fields.get(key);
    return v == null ? fallback : (List<String>) v;
  }

  @Option(
      names = "--adaptive-budgets",
      negatable = true,
      fallbackValue = "true",
      description =
          "Learn each host's budget (requests in flight, requests/s) from 429/503s and latency,"
              + " cluster-wide, starting at 4 in flight (2 with --start-rate 0);"
              + " --per-host-concurrency becomes the ceiling"
              + " (default: on). --no-adaptive-budgets makes --per-host-concurrency a fixed"
              + " limit.")
  boolean adaptiveBudgets = true;

  @Option(
      names = "--start-rate",
      paramLabel = "R",
      description =
          "With learned budgets, a new host gets at most R requests/s at first, doubled every"
              + " 0.1 s while it answers without 429/503 (up to 2,560); its first 429/503 ends"
              + " the start. 0: no gentle start (default: ${DEFAULT-VALUE}).")
  double startRate;

  @Option(
      names = "--budget-override",
      paramLabel = "HOST=N[:RATE]",
      description =
          "A fixed budget for one host: N requests in flight, at most RATE requests/s"
              + " (repeatable; with learned budgets).")
  List<String> budgetOverrides = new ArrayList<>();

  /** Returns how per-host budgets are set; an invalid override throws naming it. */
  public BudgetConfig budgetConfig() {
    Map<String, DomainController.Budget> overrides = new java.util.LinkedHashMap<>();
    for (String o : budgetOverrides) {
      java.util.regex.Matcher m =
          Pattern.compile("([^=\\s]+)=(\\d+)(?::(\\d+(?:\\.\\d+)?))?").matcher(o.strip());
      if (!m.matches() || Integer.parseInt(m.group(2)) < 1) {
        throw new InvalidInputException(
            "invalid --budget-override '" + o + "': expected HOST=N[:RATE], N >= 1");
      }
      overrides.put(
          m.group(1).toLowerCase(java.util.Locale.ROOT),
          new DomainController.Budget(
              Integer.parseInt(m.group(2)),
              m.group(3) == null ? 0 : Double.parseDouble(m.group(3))));
    }
    if (!(startRate >= 0 && startRate <= 100_000)) {
      throw new InvalidInputException(
          "invalid --start-rate " + startRate + ": must be between 0 and 100000 requests/s");
    }
    DomainController.Settings d = DomainController.Settings.defaults();
    DomainController.Settings settings =
        new DomainController.Settings(
            Math.min(DomainController.Settings.initialConcurrency(startRate), perHostConcurrency),
            perHostConcurrency,
            d.throttleThreshold(),
            d.increaseFactor(),
            d.decreaseFactor(),
            d.rateProbe(),
            d.latencyClimb(),
            d.intervalMs(),
            startRate);
    return new BudgetConfig(adaptiveBudgets, settings, overrides);
  }

  @Mixin PoolFlags pool;

  @Option(
      names = "--no-warc",
      description = "Do not archive exchanges in WARC files (default: WARC 1.1 on).")
  boolean noWarc;

  @Option(
      names = "--warc-rotate-mb",
      paramLabel = "N",
      description = "Start a new WARC file once one holds N MiB (default: ${DEFAULT-VALUE}).")
  long warcRotateMb;

  @Option(
      names = "--store-types",
      paramLabel = "TYPE[,TYPE...]",
      split = ",",
      description =
          "Media types whose bodies are read and stored (text/html, image/*, *); others are not"
              + " read past the headers (default: ${DEFAULT-VALUE}).")
  List<String> storeTypes;

  @Option(
      names = "--max-outlinks",
      paramLabel = "N",
      description = "Links listed per page in the results (default: ${DEFAULT-VALUE}).")
  int maxOutlinks;

  @Option(
      names = "--state-dir",
      paramLabel = "DIR",
      description =
          "Where the crawl's state (frontier, seen URLs, scope) is saved, in SQLite, so that it"
              + " resumes after any stop; nodes on one machine share it (default: OUT/state).")
  Path stateDir;

  @Option(
      names = "--state-db",
      paramLabel = "JDBC-URL",
      description =
          "Save the state in PostgreSQL instead, for nodes on several machines:"
              + " jdbc:postgresql://HOST[:PORT]/DATABASE?user=USER (password from"
              + " FLEETCRAWL_STATE_DB_PASSWORD).")
  String stateDb;

  @Option(
      names = "--no-state",
      description =
          "Keep the crawl's state in the cluster's memory only: lost when every node stops.")
  boolean noState;

  @Option(
      names = "--checkpoint-ms",
      paramLabel = "MS",
      description =
          "How often each node saves what changed; after a crash of every node, the pages of the"
              + " last interval are fetched again (default: ${DEFAULT-VALUE}).")
  long checkpointMs;

  /**
   * Returns where the state is kept: the database, else the directory (OUT/state by default), or
   * nowhere with --no-state.
   *
   * @param fresh whether the crawls start anew, dropping any state saved before
   */
  public StateConfig stateConfig(Path out, boolean fresh) {
    if (noState) {
      return new StateConfig(null, null, checkpointMs, false);
    }
    if (stateDb != null && !stateDb.isBlank()) {
      return new StateConfig(null, stateDb, checkpointMs, fresh);
    }
    return new StateConfig(
        stateDir != null ? stateDir : out.resolve("state"), null, checkpointMs, fresh);
  }

  /** Returns what the crawl keeps; an invalid value throws naming its option. */
  public OutputConfig outputConfig() {
    if (warcRotateMb < 1) {
      throw new InvalidInputException("invalid --warc-rotate-mb: must be >= 1");
    }
    return new OutputConfig(!noWarc, warcRotateMb << 20, storeTypes, maxOutlinks);
  }

  /** Returns the fetch settings; an invalid value throws naming its option. */
  public FetchConfig fetchConfig() {
    return new FetchConfig(
        workers == null ? Runtime.getRuntime().availableProcessors() : workers,
        workerMaxInFlight,
        perHostConcurrency,
        totalTimeoutMs,
        maxBodyBytes,
        maxCrawlDelayMs,
        pool.poolConfig(),
        bodyMemoryMb(bodyMemoryMb) << 20);
  }

  private static long bodyMemoryMb(long mb) {
    if (mb < 0 || mb > 1L << 30) {
      throw new InvalidInputException(
          "invalid --body-memory-mb: must be 0 (a quarter of the heap) or a size in MiB, was "
              + mb);
    }
    return mb;
  }

  /**
   * Allows private networks and trusts a certificate (unless a trust file was given): what a crawl
   * of a site on this machine with its own certificate needs, such as the demo's.
   */
  public void forLocalSite(Path certificate) {
    allowPrivateNetworks = true;
    if (pool.tlsTrustPem == null) {
      pool.tlsTrustPem = certificate;
    }
  }

  private static List<Pattern> patterns(String option, List<String> regexes) {
    List<Pattern> patterns = new ArrayList<>();
    for (String regex : regexes) {
      try {
        patterns.add(Pattern.compile(regex));
      } catch (PatternSyntaxException e) {
        throw new InvalidInputException(
            "invalid --" + option + " '" + regex + "': " + e.getDescription());
      }
    }
    return patterns;
  }
}
