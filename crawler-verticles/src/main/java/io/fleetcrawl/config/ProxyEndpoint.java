package io.fleetcrawl.config;

import io.fleetcrawl.model.InvalidInputException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * One proxy gateway: HTTP (CONNECT for https, forwarding for http) or SOCKS5, with optional
 * credentials. The password never leaves this record except towards the proxy itself: {@link
 * #toString()}, {@link #label()} and {@link #tag()} all mask it.
 *
 * @param type HTTP or SOCKS5
 * @param host the proxy's host
 * @param port the proxy's port
 * @param username the user, or null
 * @param password the password, or null
 */
public record ProxyEndpoint(Type type, String host, int port, String username, String password) {
  /** The proxy protocols Fleetcrawl speaks. */
  public enum Type {
    HTTP,
    SOCKS5
  }

  /**
   * Parses {@code http://user:pass@host:port} or {@code socks5://user:pass@host:port}.
   *
   * @throws IllegalArgumentException naming {@code --proxy} and the masked value when malformed
   */
  public static ProxyEndpoint parse(String value) {
    URI uri;
    try {
      uri = new URI(value.strip());
    } catch (URISyntaxException e) {
      throw invalid(value, "not a URI");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    Type type =
        switch (scheme) {
          case "http" -> Type.HTTP;
          case "socks5", "socks5h" -> Type.SOCKS5;
          default -> throw invalid(value, "scheme must be http or socks5");
        };
    if (uri.getHost() == null || uri.getPort() < 1) {
      throw invalid(value, "needs a host and a port");
    }
    String user = null;
    String pass = null;
    if (uri.getRawUserInfo() != null) {
      String[] parts = uri.getRawUserInfo().split(":", 2);
      user = URLDecoder.decode(parts[0], StandardCharsets.UTF_8);
      pass = parts.length > 1 ? URLDecoder.decode(parts[1], StandardCharsets.UTF_8) : "";
    }
    return new ProxyEndpoint(type, uri.getHost(), uri.getPort(), user, pass);
  }

  private static InvalidInputException invalid(String value, String problem) {
    return new InvalidInputException("invalid --proxy " + mask(value) + ": " + problem);
  }

  /** Returns the value with any password replaced by {@code ***}. */
  static String mask(String value) {
    return value.replaceAll("(://[^:/@]*:)[^@]*@", "$1***@");
  }

  /** Returns the proxy for messages and status: scheme, user, host and port; never the password. */
  public String label() {
    String scheme = type == Type.HTTP ? "http" : "socks5";
    String user = username == null ? "" : username + (password == null ? "" : ":***") + "@";
    return scheme + "://" + user + host + ":" + port;
  }

  /** Returns the metrics tag value: host and port only. */
  public String tag() {
    return host + ":" + port;
  }

  @Override
  public String toString() {
    return label();
  }
}
