package io.fleetcrawl.scope;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Decides whether a target is on a loopback, private, link-local or otherwise internal network, so
 * that a crawler fed someone else's list cannot be pointed at internal services. Intake checks host
 * names and literal addresses; the HTTP client checks every resolved address again when it
 * connects, which catches names that resolve to internal addresses.
 */
public final class NetworkGuard {
  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

  private NetworkGuard() {}

  /**
   * Returns whether the URL host (a name, an IPv4 literal or a bracketed IPv6 literal) is internal.
   */
  public static boolean isInternalHost(String host) {
    String h = host.toLowerCase(Locale.ROOT);
    if (h.equals("localhost") || h.endsWith(".localhost") || h.endsWith(".internal")) {
      return true;
    }
    if (IPV4.matcher(h).matches() || (h.startsWith("[") && h.endsWith("]"))) {
      try {
        // A literal: getByName parses it without any DNS look-up.
        return isInternal(
            InetAddress.getByName(h.startsWith("[") ? h.substring(1, h.length() - 1) : h));
      } catch (UnknownHostException e) {
        return false;
      }
    }
    return false;
  }

  /** Returns whether a resolved address is internal. */
  public static boolean isInternal(InetAddress address) {
    if (address.isAnyLocalAddress()
        || address.isLoopbackAddress()
        || address.isLinkLocalAddress()
        || address.isSiteLocalAddress()
        || address.isMulticastAddress()) {
      return true;
    }
    byte[] b = address.getAddress();
    if (address instanceof Inet4Address) {
      int first = b[0] & 0xff;
      int second = b[1] & 0xff;
      // 0/8 "this network" and 100.64/10 carrier-grade NAT are not covered by the JDK predicates.
      return first == 0 || (first == 100 && second >= 64 && second < 128);
    }
    if (address instanceof Inet6Address) {
      // fc00::/7 unique local addresses.
      return (b[0] & 0xfe) == 0xfc;
    }
    return false;
  }
}
