package io.fleetcrawl.intake;

import io.fleetcrawl.config.TrapLimits;
import io.fleetcrawl.model.RejectReason;
import java.util.HashMap;
import java.util.Map;

/**
 * The spider-trap checks intake applies to a normalised URL: session and tracking parameters
 * stripped, then length, repeated path segments and the number of query parameters. Each looks at
 * the URL alone, so every node decides the same way without sharing anything.
 */
final class TrapRules {
  private final TrapLimits limits;

  TrapRules(TrapLimits limits) {
    this.limits = limits;
  }

  /** A refusal: why, and the detail a feed's author reads. */
  record Refusal(RejectReason reason, String detail) {}

  /**
   * Returns the URL without the parameters the crawl strips, in the query and as {@code
   * ;name=value} path parameters (where servlet containers put {@code jsessionid}); unchanged when
   * none is there. An empty query left behind is dropped with its {@code ?}.
   */
  String strip(String url) {
    if (limits.stripParams().isEmpty()) {
      return url;
    }
    int queryStart = url.indexOf('?');
    String beforeQuery = queryStart < 0 ? url : url.substring(0, queryStart);
    String path = stripPathParams(beforeQuery);
    if (queryStart < 0) {
      return path;
    }
    String query = url.substring(queryStart + 1);
    StringBuilder kept = new StringBuilder();
    for (String param : query.split("&")) {
      if (param.isEmpty()) {
        continue;
      }
      int eq = param.indexOf('=');
      if (!limits.strips(eq < 0 ? param : param.substring(0, eq))) {
        kept.append(kept.length() == 0 ? "" : "&").append(param);
      }
    }
    return kept.length() == 0 ? path : path + "?" + kept;
  }

  private String stripPathParams(String beforeQuery) {
    int semi = beforeQuery.indexOf(';', beforeQuery.indexOf("://") + 3);
    if (semi < 0) {
      return beforeQuery;
    }
    StringBuilder out = new StringBuilder(beforeQuery.length());
    int i = 0;
    while (i < beforeQuery.length()) {
      char c = beforeQuery.charAt(i);
      if (c != ';' || i < semi) {
        out.append(c);
        i++;
        continue;
      }
      // ";name=value" runs to the next '/' or ';'.
      int end = i + 1;
      while (end < beforeQuery.length() && "/;".indexOf(beforeQuery.charAt(end)) < 0) {
        end++;
      }
      String param = beforeQuery.substring(i + 1, end);
      int eq = param.indexOf('=');
      if (!limits.strips(eq < 0 ? param : param.substring(0, eq))) {
        out.append(beforeQuery, i, end);
      }
      i = end;
    }
    return out.toString();
  }

  /** Returns why a normalised, stripped URL is a trap, or null when it is not. */
  Refusal check(String url) {
    if (url.length() > limits.maxUrlLength()) {
      return new Refusal(
          RejectReason.URL_TOO_LONG,
          url.length() + " characters > --max-url-length " + limits.maxUrlLength());
    }
    int authority = url.indexOf("://");
    int pathStart = url.indexOf('/', authority < 0 ? 0 : authority + 3);
    if (pathStart < 0) {
      return null;
    }
    int queryStart = url.indexOf('?', pathStart);
    String path = queryStart < 0 ? url.substring(pathStart) : url.substring(pathStart, queryStart);
    if (limits.maxSegmentRepeats() > 0) {
      Refusal repeated = repeatedSegment(path);
      if (repeated != null) {
        return repeated;
      }
    }
    if (limits.maxQueryParams() > 0 && queryStart >= 0) {
      int params = 0;
      for (String p : url.substring(queryStart + 1).split("&")) {
        if (!p.isEmpty()) {
          params++;
        }
      }
      if (params > limits.maxQueryParams()) {
        return new Refusal(
            RejectReason.TOO_MANY_PARAMETERS,
            params + " query parameters > --max-query-params " + limits.maxQueryParams());
      }
    }
    return null;
  }

  private Refusal repeatedSegment(String path) {
    // Most paths have a handful of segments: count only when some segment could repeat at all.
    String[] segments = path.split("/");
    if (segments.length <= limits.maxSegmentRepeats()) {
      return null;
    }
    Map<String, Integer> counts = new HashMap<>();
    for (String segment : segments) {
      if (segment.isEmpty()) {
        continue;
      }
      int n = counts.merge(segment, 1, Integer::sum);
      if (n > limits.maxSegmentRepeats()) {
        return new Refusal(
            RejectReason.REPEATED_SEGMENTS,
            "path segment '"
                + abbreviate(segment)
                + "' appears more than --max-segment-repeats "
                + limits.maxSegmentRepeats()
                + " times");
      }
    }
    return null;
  }

  private static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + "...";
  }
}
