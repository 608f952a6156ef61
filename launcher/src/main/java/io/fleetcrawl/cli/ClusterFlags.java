package io.fleetcrawl.cli;

import io.fleetcrawl.model.InvalidInputException;
import io.fleetcrawl.node.ClusterKey;
import io.fleetcrawl.node.ClusterSettings;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * How a process finds its cluster. Each flag overrides its environment variable, which overrides
 * the bundled cluster.xml.
 */
final class ClusterFlags {
  @Option(
      names = "--cluster-config",
      paramLabel = "FILE",
      description =
          "Hazelcast XML to use instead of the bundled cluster.xml (env FLEETCRAWL_CLUSTER_CONFIG).")
  Path clusterConfig;

  @Option(
      names = "--cluster-name",
      paramLabel = "NAME",
      description =
          "Cluster name; members of another name never join (env FLEETCRAWL_CLUSTER_NAME).")
  String clusterName;

  @Option(
      names = "--members",
      paramLabel = "HOST[:PORT],...",
      split = ",",
      description = "The only addresses that may join (env FLEETCRAWL_MEMBERS).")
  List<String> members = new ArrayList<>();

  @Option(
      names = "--interface",
      paramLabel = "ADDRESS",
      description = "Address to bind and announce (env FLEETCRAWL_INTERFACE; default 127.0.0.1).")
  String bindInterface;

  @Option(
      names = "--public-address",
      paramLabel = "HOST[:PORT]",
      description =
          "Address other members reach this one on, behind NAT or in a container"
              + " (env FLEETCRAWL_PUBLIC_ADDRESS).")
  String publicAddress;

  @Option(
      names = "--kubernetes-service-dns",
      paramLabel = "NAME",
      description =
          "Find the members through this headless Kubernetes service's DNS name instead of a"
              + " member list (env FLEETCRAWL_KUBERNETES_SERVICE_DNS).")
  String kubernetesServiceDns;

  @Option(
      names = "--cluster-cert",
      paramLabel = "FILE",
      description =
          "The cluster's certificate (PEM), the same on every node and client: the event bus"
              + " then takes TLS connections only from holders of --cluster-key, and members prove"
              + " they hold it (env FLEETCRAWL_CLUSTER_CERT).")
  Path clusterCert;

  @Option(
      names = "--cluster-key",
      paramLabel = "FILE",
      description = "The private key of --cluster-cert (PEM) (env FLEETCRAWL_CLUSTER_KEY).")
  Path clusterKey;

  /**
   * Returns the settings: the flags over cluster.xml. The environment variables named in the
   * descriptions reach these fields through the settings layers, like every other flag's.
   */
  ClusterSettings settings() {
    if (clusterConfig != null && !clusterConfig.toFile().canRead()) {
      throw new InvalidInputException("invalid --cluster-config: cannot read " + clusterConfig);
    }
    List<String> listed = new ArrayList<>();
    for (String member : members) {
      String m = member.strip();
      if (!m.matches("[A-Za-z0-9.:\\-\\[\\]]+")) {
        throw new InvalidInputException("invalid --members: '" + member + "' is not HOST[:PORT]");
      }
      listed.add(m);
    }
    return new ClusterSettings(
        clusterConfig,
        clusterName,
        listed,
        bindInterface,
        publicAddress,
        kubernetesServiceDns,
        ClusterKey.of(clusterCert, clusterKey));
  }
}
