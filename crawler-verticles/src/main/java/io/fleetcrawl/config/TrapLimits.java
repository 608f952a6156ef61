package io.fleetcrawl.config;

import static io.fleetcrawl.model.InvalidInputException.requireSetting;

import java.util.List;
import java.util.Locale;

/**
 * What keeps a crawl out of spider traps: pages that generate links without end (calendars,
 * relative links that nest, session ids, query strings that grow). Each limit refuses a URL at
 * intake with a reason of its own; none needs state beyond the URL, so every node applies them
 * alike. Immutable; validated at start-up.
 *
 * @param maxUrlLength longest URL admitted, in characters after normalisation
 * @param maxLinksPerPage most links taken from one page, in document order; the rest are dropped
 * @param maxSegmentRepeats most times one path segment may appear in a URL's path ({@code
 *     /a/b/a/b/a} has {@code a} three times); 0 turns the check off
 * @param maxQueryParams most query parameters in a URL; 0 turns the check off
 * @param stripParams query (and {@code ;path}) parameter names removed in normalisation, compared
 *     without case; a trailing {@code *} matches any name it begins ({@code utm_*})
 */
public record TrapLimits(
    int maxUrlLength,
    int maxLinksPerPage,
    int maxSegmentRepeats,
    int maxQueryParams,
    List<String> stripParams) {

  /** Browsers and search engines give up around 2,000 characters (the old IE limit was 2,083). */
  public static final int DEFAULT_MAX_URL_LENGTH = 2_048;

  /** Heritrix stops at 6,000; index pages of real sites rarely list more than a few thousand. */
  public static final int DEFAULT_MAX_LINKS_PER_PAGE = 5_000;

  /** Nutch's default URL filter refuses a segment seen three times; so does this. */
  public static final int DEFAULT_MAX_SEGMENT_REPEATS = 2;

  /** Faceted search pages use a dozen; a query growing a parameter per hop passes this soon. */
  public static final int DEFAULT_MAX_QUERY_PARAMS = 20;

  /** Session ids and click trackers: they make one page look like endless different URLs. */
  public static final List<String> DEFAULT_STRIP_PARAMS =
      List.of(
          "jsessionid",
          "phpsessid",
          "aspsessionid*",
          "sessionid",
          "session_id",
          "cfid",
          "cftoken",
          "utm_*",
          "gclid",
          "fbclid",
          "msclkid",
          "mc_eid");

  public TrapLimits {
    requireSetting(maxUrlLength >= 32, "max-url-length", "must be >= 32, was " + maxUrlLength);
    requireSetting(
        maxLinksPerPage >= 0, "max-links-per-page", "must be >= 0, was " + maxLinksPerPage);
    requireSetting(
        maxSegmentRepeats >= 0,
        "max-segment-repeats",
        "must be >= 0 (0 turns the check off), was " + maxSegmentRepeats);
    requireSetting(
        maxQueryParams >= 0,
        "max-query-params",
        "must be >= 0 (0 turns the check off), was " + maxQueryParams);
    stripParams = stripParams.stream().map(p -> p.strip().toLowerCase(Locale.ROOT)).toList();
    for (String p : stripParams) {
      requireSetting(
          p.matches("[a-z0-9_.\\-\\[\\]]+\\*?"),
          "strip-param",
          "'"
              + p
              + "' is not a parameter name (letters, digits, _ . - [ ], an optional * at the"
              + " end)");
    }
  }

  /** Returns the defaults. */
  public static TrapLimits defaults() {
    return new TrapLimits(
        DEFAULT_MAX_URL_LENGTH,
        DEFAULT_MAX_LINKS_PER_PAGE,
        DEFAULT_MAX_SEGMENT_REPEATS,
        DEFAULT_MAX_QUERY_PARAMS,
        DEFAULT_STRIP_PARAMS);
  }

  /** Returns whether a parameter name (any case) is one to strip. */
  public boolean strips(String name) {
    String lower = name.toLowerCase(Locale.ROOT);
    for (String p : stripParams) {
      if (p.endsWith("*") ? lower.startsWith(p.substring(0, p.length() - 1)) : lower.equals(p)) {
        return true;
      }
    }
    return false;
  }
}
