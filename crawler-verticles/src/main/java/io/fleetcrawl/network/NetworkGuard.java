package io.fleetcrawl.network;

import inet.ipaddr.IPAddress;
import inet.ipaddr.IPAddressString;
import inet.ipaddr.IPAddressStringParameters;
import inet.ipaddr.ipv4.IPv4Address;
import inet.ipaddr.ipv6.IPv6Address;
import java.net.InetAddress;
import java.util.List;
import java.util.Locale;

/**
 * Decides whether a target is internal: on a loopback, private, link-local or any other
 * special-purpose network, so that a crawler fed someone else's list cannot be pointed at internal
 * services. Intake checks host names and literal addresses in every spelling a resolver or a proxy
 * would accept (decimal {@code 2130706433}, hex {@code 0x7f.1}, octal, short forms, IPv6 with a
 * zone, IPv4-mapped IPv6); the fetch path checks every resolved address before it connects.
 *
 * <p>Parsing and containment come from the {@code ipaddress} library; the table is IANA's IPv4 and
 * IPv6 special-purpose address registries, plus multicast and the IPv6 forms that carry an IPv4
 * address (mapped, compatible, NAT64, 6to4, Teredo), which are refused whole.
 */
public final class NetworkGuard {
  private static final IPAddressStringParameters LITERALS =
      new IPAddressStringParameters.Builder()
          .allowEmpty(false)
          .allowAll(false)
          .allowPrefix(false)
          .allowMask(false)
          .allowSingleSegment(true)
          .setRangeOptions(IPAddressStringParameters.RangeParameters.NO_RANGE)
          .getIPv4AddressParametersBuilder()
          .allow_inet_aton(true)
          .allow_inet_aton_hex(true)
          .allow_inet_aton_octal(true)
          .allow_inet_aton_joined_segments(true)
          .allow_inet_aton_leading_zeros(true)
          .getParentBuilder()
          .toParams();

  private static final List<IPAddress> SPECIAL =
      List.of(
              // IPv4 special-purpose registry, multicast and the limited broadcast address.
              "0.0.0.0/8",
              "10.0.0.0/8",
              "100.64.0.0/10",
              "127.0.0.0/8",
              "169.254.0.0/16",
              "172.16.0.0/12",
              "192.0.0.0/24",
              "192.0.2.0/24",
              "192.31.196.0/24",
              "192.52.193.0/24",
              "192.88.99.0/24",
              "192.168.0.0/16",
              "192.175.48.0/24",
              "198.18.0.0/15",
              "198.51.100.0/24",
              "203.0.113.0/24",
              "224.0.0.0/4",
              "240.0.0.0/4",
              "255.255.255.255/32",
              // IPv6 special-purpose registry, multicast, and the forms carrying IPv4.
              "::/128",
              "::1/128",
              "::/96",
              "::ffff:0:0/96",
              "64:ff9b::/96",
              "64:ff9b:1::/48",
              "100::/64",
              "2001::/23",
              "2001:db8::/32",
              "2002::/16",
              "2620:4f:8000::/48",
              "fc00::/7",
              "fe80::/10",
              "fec0::/10",
              "ff00::/8")
          .stream()
          .map(cidr -> new IPAddressString(cidr).getAddress().toPrefixBlock())
          .toList();

  private NetworkGuard() {}

  /**
   * Returns whether the URL host (a name, or a literal in any spelling, IPv6 in brackets) is
   * internal. Names are internal when they are {@code localhost}, under {@code .localhost} or
   * {@code .internal}; other names are checked once resolved.
   */
  public static boolean isInternalHost(String host) {
    String h = host.toLowerCase(Locale.ROOT);
    while (h.endsWith(".")) {
      h = h.substring(0, h.length() - 1);
    }
    if (h.equals("localhost") || h.endsWith(".localhost") || h.endsWith(".internal")) {
      return true;
    }
    InetAddress literal = literal(host);
    return literal != null && isInternal(literal);
  }

  /**
   * Returns the address a URL host spells, or null for a name: {@code [::1]}, {@code 127.0.0.1},
   * {@code 2130706433}, {@code 0x7f.0.0.1}, {@code 0177.1}, {@code [fe80::1%25eth0]}, with or
   * without a trailing dot.
   */
  public static InetAddress literal(String host) {
    String h = host.strip();
    if (h.startsWith("[") && h.endsWith("]")) {
      h = h.substring(1, h.length() - 1).replace("%25", "%");
    }
    while (h.endsWith(".")) {
      h = h.substring(0, h.length() - 1);
    }
    if (h.isEmpty() || !h.matches("[0-9a-fA-FxX.:%\\w-]+") || !h.matches(".*[0-9:].*")) {
      return null;
    }
    // A zone names an interface, not another address: the address is what is checked.
    IPAddress address = new IPAddressString(withoutZone(h), LITERALS).getAddress();
    return address == null ? null : address.toInetAddress();
  }

  private static String withoutZone(String address) {
    int zone = address.indexOf('%');
    return zone < 0 ? address : address.substring(0, zone);
  }

  /** Returns whether a resolved address is internal. */
  public static boolean isInternal(InetAddress address) {
    byte[] bytes = address.getAddress();
    IPAddress a = bytes.length == 4 ? new IPv4Address(bytes) : new IPv6Address(bytes);
    for (IPAddress block : SPECIAL) {
      if (block.getIPVersion() == a.getIPVersion() && block.contains(a)) {
        return true;
      }
    }
    return false;
  }
}
