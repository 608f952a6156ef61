package io.fleetcrawl.network;

import io.fleetcrawl.model.InvalidInputException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * Which targets a crawl may reach: public addresses always; internal ones (see {@link
 * NetworkGuard}) only when private networks are allowed wholesale, or when they fall in one of the
 * networks allowed by name, so a crawl of one internal test range cannot be pointed at the rest.
 */
public final class NetworkPolicy {
  private final boolean allowPrivate;
  private final List<Cidr> allowed;

  private record Cidr(byte[] network, int prefix) {
    boolean contains(InetAddress address) {
      byte[] a = address.getAddress();
      if (a.length != network.length) {
        return false;
      }
      int bits = prefix;
      for (int i = 0; i < a.length && bits > 0; i++, bits -= 8) {
        int mask = bits >= 8 ? 0xFF : (0xFF << (8 - bits)) & 0xFF;
        if ((a[i] & mask) != (network[i] & mask)) {
          return false;
        }
      }
      return true;
    }
  }

  private NetworkPolicy(boolean allowPrivate, List<Cidr> allowed) {
    this.allowPrivate = allowPrivate;
    this.allowed = allowed;
  }

  /**
   * Returns the policy; each network is {@code ADDRESS/PREFIX} (IPv4 or IPv6 literal).
   *
   * @throws IllegalArgumentException naming {@code --allow-network} and the bad value
   */
  public static NetworkPolicy of(boolean allowPrivate, List<String> networks) {
    List<Cidr> allowed = new ArrayList<>();
    for (String network : networks) {
      allowed.add(parse(network));
    }
    return new NetworkPolicy(allowPrivate, List.copyOf(allowed));
  }

  private static Cidr parse(String value) {
    String v = value == null ? "" : value.strip();
    int slash = v.indexOf('/');
    InvalidInputException.requireSetting(
        slash > 0, "allow-network", "'" + value + "' is not ADDRESS/PREFIX, e.g. 127.0.1.0/24");
    String ip = v.substring(0, slash);
    InvalidInputException.requireSetting(
        ip.matches("[0-9.]+|[0-9a-fA-F:]+"),
        "allow-network",
        "'" + value + "' must name an IP address, not a host name");
    byte[] network;
    try {
      network = InetAddress.getByName(ip).getAddress();
    } catch (UnknownHostException e) {
      throw new InvalidInputException(
          "invalid --allow-network: '" + value + "': " + e.getMessage());
    }
    int prefix;
    try {
      prefix = Integer.parseInt(v.substring(slash + 1));
    } catch (NumberFormatException e) {
      prefix = -1;
    }
    InvalidInputException.requireSetting(
        prefix >= 0 && prefix <= network.length * 8,
        "allow-network",
        "prefix of '" + value + "' must be 0.." + network.length * 8);
    return new Cidr(network, prefix);
  }

  /** Returns whether internal targets are all allowed. */
  public boolean allowsAllPrivate() {
    return allowPrivate;
  }

  /** Returns whether a resolved address may be connected to. */
  public boolean allows(InetAddress address) {
    if (allowPrivate || !NetworkGuard.isInternal(address)) {
      return true;
    }
    for (Cidr cidr : allowed) {
      if (cidr.contains(address)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Returns whether a URL host (name or literal) may be admitted. Internal names such as {@code
   * localhost} are refused unless all private networks are allowed; internal literals may be
   * allowed by network.
   */
  public boolean allowsHost(String host) {
    if (allowPrivate || !NetworkGuard.isInternalHost(host)) {
      return true;
    }
    InetAddress literal = NetworkGuard.literal(host);
    return literal != null && allows(literal);
  }
}
