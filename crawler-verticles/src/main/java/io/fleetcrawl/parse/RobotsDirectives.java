package io.fleetcrawl.parse;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The page-level robots directives a crawler acts on, from {@code <meta name="robots">} (or the
 * crawler's own agent name) and the {@code X-Robots-Tag} header: {@code noindex} (recorded, for
 * whoever indexes the results) and {@code nofollow} (the page's links are not followed). {@code
 * none} is both.
 *
 * @param noindex the page asks not to be indexed
 * @param nofollow the page asks that its links not be followed
 */
public record RobotsDirectives(boolean noindex, boolean nofollow) {
  public static final RobotsDirectives NONE = new RobotsDirectives(false, false);

  /** An agent name before a colon, as in {@code X-Robots-Tag: otherbot: noindex}. */
  private static final Pattern AGENT_PREFIX = Pattern.compile("^\\s*([A-Za-z0-9_.-]+)\\s*:(.*)$");

  /** Directives that carry a value after a colon, and so are not agent prefixes. */
  private static final List<String> VALUED =
      List.of("unavailable_after", "max-snippet", "max-image-preview", "max-video-preview");

  /** Returns the directives of a comma- or space-separated list ({@code noindex, nofollow}). */
  public static RobotsDirectives parse(String list) {
    boolean noindex = false;
    boolean nofollow = false;
    for (String token : list.toLowerCase(Locale.ROOT).split("[\\s,]+")) {
      switch (token) {
        case "noindex" -> noindex = true;
        case "nofollow" -> nofollow = true;
        case "none" -> {
          noindex = true;
          nofollow = true;
        }
        default -> {}
      }
    }
    return new RobotsDirectives(noindex, nofollow);
  }

  /**
   * Returns the directives of {@code X-Robots-Tag} header values that apply to {@code agent}: those
   * without an agent prefix and those prefixed with its name (any case).
   */
  public static RobotsDirectives fromHeaders(List<String> values, String agent) {
    RobotsDirectives all = NONE;
    for (String value : values) {
      Matcher m = AGENT_PREFIX.matcher(value);
      String list = value;
      if (m.matches() && !VALUED.contains(m.group(1).toLowerCase(Locale.ROOT))) {
        if (!m.group(1).equalsIgnoreCase(agent)) {
          continue;
        }
        list = m.group(2);
      }
      all = all.and(parse(list));
    }
    return all;
  }

  /** Returns the directives of both. */
  public RobotsDirectives and(RobotsDirectives other) {
    return new RobotsDirectives(noindex || other.noindex, nofollow || other.nofollow);
  }

  /** Returns the directives as pages.jsonl lists them, or null when there are none. */
  public List<String> asList() {
    if (!noindex && !nofollow) {
      return null;
    }
    List<String> list = new ArrayList<>(2);
    if (noindex) {
      list.add("noindex");
    }
    if (nofollow) {
      list.add("nofollow");
    }
    return list;
  }
}
