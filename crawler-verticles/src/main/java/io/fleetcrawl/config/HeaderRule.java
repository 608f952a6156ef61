package io.fleetcrawl.config;

import io.fleetcrawl.model.InvalidInputException;
import java.util.Locale;
import java.util.Set;

/**
 * One request header a crawl adds, to every host or to the hosts a pattern names. Refused at
 * start-up: a name that is not an HTTP token, a value with a line break or another control
 * character (it would split the request), hop-by-hop headers (they describe one connection, which
 * the pool manages), {@code Host} (the URL names the host) and the headers the crawler owns: the
 * agent comes from {@code --user-agent}, cookies from the session, {@code Authorization} from the
 * credentials file (so secrets never sit in a command line), and {@code Accept-Encoding} because
 * the crawler can only decode the codings it offers.
 */
public record HeaderRule(HostPattern hosts, String name, String value) {
  private static final Set<String> REFUSED =
      Set.of(
          "connection",
          "keep-alive",
          "proxy-authenticate",
          "proxy-authorization",
          "proxy-connection",
          "te",
          "trailer",
          "transfer-encoding",
          "upgrade",
          "host",
          "content-length",
          "user-agent",
          "cookie",
          "authorization",
          "accept-encoding");

  public HeaderRule {
    if (name == null || !name.matches("[!#$%&'*+.^_`|~0-9A-Za-z-]+")) {
      throw new InvalidInputException("header name '" + name + "' is not an HTTP token");
    }
    String lower = name.toLowerCase(Locale.ROOT);
    if (REFUSED.contains(lower) || lower.startsWith(":")) {
      throw new InvalidInputException("header '" + name + "' cannot be set: " + whyRefused(lower));
    }
    if (value == null || value.chars().anyMatch(c -> (c < 0x20 && c != '\t') || c == 0x7f)) {
      throw new InvalidInputException(
          "header '" + name + "' has a line break or control character in its value");
    }
    value = value.strip();
  }

  private static String whyRefused(String lower) {
    return switch (lower) {
      case "user-agent" -> "use --user-agent";
      case "cookie" -> "cookies come from the session (--cookies)";
      case "authorization" -> "credentials belong in --auth-file";
      case "accept-encoding" -> "the crawler decodes only the codings it offers";
      case "host" -> "the URL names the host";
      default -> "it is hop-by-hop or framing, owned by the connection pool";
    };
  }

  /**
   * Parses {@code Name: value} (every host) or {@code PATTERN=Name: value}.
   *
   * @throws IllegalArgumentException naming the option and what is wrong
   */
  public static HeaderRule parse(String option, String text) {
    try {
      String rest = text;
      HostPattern hosts = new HostPattern("*");
      int colon = text.indexOf(':');
      int equals = text.indexOf('=');
      if (equals >= 0 && (colon < 0 || equals < colon)) {
        hosts = new HostPattern(text.substring(0, equals));
        rest = text.substring(equals + 1);
      }
      int sep = rest.indexOf(':');
      if (sep < 0) {
        throw new InvalidInputException("expected 'Name: value' or 'HOST-PATTERN=Name: value'");
      }
      return new HeaderRule(hosts, rest.substring(0, sep).strip(), rest.substring(sep + 1));
    } catch (IllegalArgumentException e) {
      throw new InvalidInputException(
          "invalid --" + option + " '" + printable(text) + "': " + e.getMessage(), e);
    }
  }

  /** Returns the text with control characters shown as escapes, for error messages. */
  static String printable(String text) {
    StringBuilder out = new StringBuilder();
    for (char c : text.toCharArray()) {
      if (c < 0x20 || c == 0x7f) {
        out.append(String.format("\\x%02x", (int) c));
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }
}
