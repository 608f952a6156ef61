package io.fleetcrawl.node;

import com.hazelcast.config.Config;
import com.hazelcast.config.InterfacesConfig;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.XmlConfigBuilder;
import com.hazelcast.internal.util.AddressUtil;
import io.fleetcrawl.frontier.FrontierSerialization;
import io.fleetcrawl.model.InvalidInputException;
import io.vertx.core.eventbus.EventBusOptions;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Where a node finds its cluster: a Hazelcast XML file (the bundled {@code cluster.xml} by default)
 * with the cluster name, member list and bind interface optionally overridden.
 *
 * @param configFile a cluster.xml to use instead of the bundled one, or null
 * @param clusterName overrides {@code <cluster-name>}, or null
 * @param members overrides the TCP-IP member list when non-empty
 * @param bindInterface overrides the bind interface, or null
 * @param publicAddress the {@code host[:port]} other members reach this one on, when it differs
 *     from the bind interface (NAT, containers), or null
 * @param kubernetesServiceDns the DNS name of a headless Kubernetes service whose addresses are the
 *     members (Hazelcast's Kubernetes discovery in DNS lookup mode), instead of a member list; or
 *     null
 * @param key the cluster key that closes the event bus and that members prove they hold, or null
 */
public record ClusterSettings(
    Path configFile,
    String clusterName,
    List<String> members,
    String bindInterface,
    String publicAddress,
    String kubernetesServiceDns,
    ClusterKey key) {

  /** How long a new member looks for others before it starts a cluster of its own. */
  private static final String WAIT_BEFORE_JOIN = "hazelcast.wait.seconds.before.join";

  /** Hazelcast's property naming the address a member binds and announces. */
  private static final String LOCAL_ADDRESS = "hazelcast.local.localAddress";

  public ClusterSettings {
    members = members == null ? List.of() : List.copyOf(members);
    if (kubernetesServiceDns != null && kubernetesServiceDns.isBlank()) {
      kubernetesServiceDns = null;
    }
    if (kubernetesServiceDns != null && !members.isEmpty()) {
      throw new InvalidInputException(
          "give either a member list (--members, FLEETCRAWL_MEMBERS) or a Kubernetes service"
              + " (--kubernetes-service-dns, FLEETCRAWL_KUBERNETES_SERVICE_DNS), not both");
    }
  }

  /** Settings without a cluster key. */
  public ClusterSettings(
      Path configFile,
      String clusterName,
      List<String> members,
      String bindInterface,
      String publicAddress,
      String kubernetesServiceDns) {
    this(
        configFile, clusterName, members, bindInterface, publicAddress, kubernetesServiceDns, null);
  }

  /** Settings with a member list (or the file's), members found without Kubernetes. */
  public ClusterSettings(
      Path configFile,
      String clusterName,
      List<String> members,
      String bindInterface,
      String publicAddress) {
    this(configFile, clusterName, members, bindInterface, publicAddress, null);
  }

  /** Settings without a public address: members reach this node on its bind interface. */
  public ClusterSettings(
      Path configFile, String clusterName, List<String> members, String bindInterface) {
    this(configFile, clusterName, members, bindInterface, null, null);
  }

  /**
   * Returns the bundled cluster.xml's settings, nothing overridden. The command line gets the
   * environment's overrides ({@code FLEETCRAWL_MEMBERS}, ...) through its settings layers.
   */
  public static ClusterSettings bundled() {
    return new ClusterSettings(null, null, List.of(), null, null, null);
  }

  /** Returns a copy with the cluster name replaced. */
  public ClusterSettings withClusterName(String name) {
    return new ClusterSettings(
        configFile, name, members, bindInterface, publicAddress, kubernetesServiceDns, key);
  }

  /**
   * Returns the event-bus options of a process on this cluster: its address, and TLS with a key.
   */
  EventBusOptions eventBusOptions() {
    String host = bindInterface == null ? "127.0.0.1" : bindInterface;
    EventBusOptions options = new EventBusOptions().setHost(host).setPort(0);
    if (key != null) {
      key.applyTo(options);
    }
    return options;
  }

  /** Builds the Hazelcast configuration; errors name the file. */
  public Config toHazelcastConfig() {
    Config config = load();
    if (clusterName != null && !clusterName.isBlank()) {
      config.setClusterName(clusterName);
    }
    JoinConfig join = config.getNetworkConfig().getJoin();
    if (!members.isEmpty()) {
      join.getTcpIpConfig().setEnabled(true).setMembers(members);
    }
    if (kubernetesServiceDns != null) {
      // A StatefulSet's headless service resolves to every ready pod: Hazelcast's built-in
      // Kubernetes discovery in DNS lookup mode needs no API access, so no RBAC role.
      // No member list then: the service is the list, and admission checks have nothing to
      // compare (the namespace's network policy is the boundary).
      join.getTcpIpConfig().setEnabled(false).setMembers(List.of());
      join.getKubernetesConfig()
          .setEnabled(true)
          .setProperty("service-dns", kubernetesServiceDns)
          .setProperty("service-dns-timeout", "10");
      // Hazelcast's discovery joiner asks the service only while this wait lasts: at 0 (the
      // bundled cluster.xml's choice for a lone member) it never asks, and every pod starts alone.
      config.setProperty(WAIT_BEFORE_JOIN, "2");
    }
    InterfacesConfig interfaces = config.getNetworkConfig().getInterfaces();
    String bind = bindInterface;
    if ((bind == null || bind.isBlank())
        && interfaces.isEnabled()
        && !interfaces.getInterfaces().isEmpty()) {
      bind = interfaces.getInterfaces().iterator().next();
    }
    if (bind != null && !bind.isBlank()) {
      // Named as Hazelcast's explicit local address, never through its <interfaces> element: with
      // interfaces enabled, Hazelcast keeps only the host-name members that resolve to one of the
      // listed interfaces, which is this node itself, so members listed by name (compose, a
      // StatefulSet) each stayed alone. The local address also works for an address assigned to
      // no interface, such as 127.0.0.5, which lets several members share one machine.
      config.setProperty(LOCAL_ADDRESS, localAddress(bind));
      interfaces.setEnabled(false);
    }
    if (publicAddress != null && !publicAddress.isBlank()) {
      // Behind NAT or in a container: the address (and port) other members must use.
      config.getNetworkConfig().setPublicAddress(publicAddress);
    }
    // Never let a missing element in a user's file re-enable discovery of strangers.
    join.getAutoDetectionConfig().setEnabled(false);
    join.getMulticastConfig().setEnabled(false);
    MemberAdmission.publish(config);
    return FrontierSerialization.register(config);
  }

  /**
   * Refuses to start a node whose own address is not on its own member list: the members listed are
   * the cluster, and a node outside it is a misconfiguration. The other direction, a node the
   * running members did not list, is {@link MemberAdmission#check}.
   *
   * @throws IllegalArgumentException naming the address and the list
   */
  public static void requireListed(Config config) {
    var interfaces = config.getNetworkConfig().getInterfaces();
    List<String> members = config.getNetworkConfig().getJoin().getTcpIpConfig().getMembers();
    String self = config.getProperty(LOCAL_ADDRESS);
    if (self == null && interfaces.isEnabled() && !interfaces.getInterfaces().isEmpty()) {
      self = interfaces.getInterfaces().iterator().next();
    }
    if (self == null || members.isEmpty()) {
      return;
    }
    try {
      if (MemberAdmission.listed(InetAddress.getByName(self), members)) {
        return;
      }
    } catch (UnknownHostException e) {
      // Not an address this node can bind either; Hazelcast will say so.
      return;
    }
    throw new InvalidInputException(
        "this node's address "
            + self
            + " is not on the member list "
            + members
            + "; list it in --members (FLEETCRAWL_MEMBERS) on every node, or bind a listed"
            + " address with --interface");
  }

  /**
   * Returns the address to bind for an {@code --interface} value: an address as given, a Hazelcast
   * interface pattern ({@code 10.0.*.*}, {@code 10.0.1.2-9}) as the first local address it matches,
   * a host name as the address it resolves to.
   *
   * @throws IllegalArgumentException naming the value when nothing matches or resolves
   */
  static String localAddress(String bindInterface) {
    String value = bindInterface.trim();
    if (value.contains("*") || value.matches("[0-9.]*-[0-9.-]*")) {
      List<String> seen = new ArrayList<>();
      try {
        for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
          for (InetAddress a : Collections.list(ni.getInetAddresses())) {
            String address = a.getHostAddress();
            if (a instanceof Inet4Address && AddressUtil.matchInterface(address, value)) {
              return address;
            }
            seen.add(address);
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot list this machine's network interfaces", e);
      }
      throw new InvalidInputException(
          "--interface " + value + " matches none of this machine's addresses " + seen);
    }
    try {
      return InetAddress.getByName(value).getHostAddress();
    } catch (UnknownHostException e) {
      throw new InvalidInputException(
          "--interface " + value + " is neither an address nor a resolvable host name", e);
    }
  }

  private Config load() {
    if (configFile != null) {
      try (InputStream in = Files.newInputStream(configFile)) {
        return new XmlConfigBuilder(in).build();
      } catch (IOException e) {
        throw new UncheckedIOException(
            "cannot read cluster config " + configFile + ": " + e.getMessage(), e);
      } catch (RuntimeException e) {
        throw new InvalidInputException(
            "invalid cluster config " + configFile + ": " + e.getMessage(), e);
      }
    }
    try (InputStream in = ClusterSettings.class.getResourceAsStream("/cluster.xml")) {
      if (in == null) {
        throw new IllegalStateException("the bundled cluster.xml is missing from the jar");
      }
      return new XmlConfigBuilder(in).build();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
