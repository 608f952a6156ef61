package io.fleetcrawl.config;

import io.fleetcrawl.model.InvalidInputException;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Which hosts a header or a credential applies to: {@code *} (every host), {@code *.example.com}
 * (every subdomain of example.com, not example.com itself) or {@code example.com} (that host only).
 * Ports and schemes are not part of a pattern: a host is one site whatever port serves it.
 */
public record HostPattern(String text) {
  private static final Pattern LABELS =
      Pattern.compile("[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*");

  public HostPattern {
    text = text == null ? "" : text.strip().toLowerCase(Locale.ROOT);
    String bare = text.startsWith("*.") ? text.substring(2) : text;
    if (!text.equals("*") && !LABELS.matcher(bare).matches()) {
      throw new InvalidInputException(
          "'" + text + "' is not a host pattern such as example.com, *.example.com or *");
    }
  }

  /** Returns whether a host (any case) falls under this pattern. */
  public boolean matches(String host) {
    String h = host.toLowerCase(Locale.ROOT);
    if (text.equals("*")) {
      return true;
    }
    if (text.startsWith("*.")) {
      return h.endsWith(text.substring(1));
    }
    return h.equals(text);
  }

  /**
   * Returns how narrowly the pattern names hosts, so that a host-specific rule wins over a wider
   * one: an exact host beats any wildcard, a longer wildcard beats a shorter one.
   */
  public int specificity() {
    if (text.equals("*")) {
      return 0;
    }
    return text.startsWith("*.") ? text.length() : 1_000 + text.length();
  }

  @Override
  public String toString() {
    return text;
  }
}
