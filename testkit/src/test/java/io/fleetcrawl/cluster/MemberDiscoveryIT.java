package io.fleetcrawl.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fleetcrawl.testkit.net.NetworkNamespace;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Members listed by host name form one cluster, as compose files and Kubernetes StatefulSets list
 * them. The nodes run in a network namespace of the test's own, each bound to an address assigned
 * to an interface there (as in a container), and find each other through a hosts file: no container
 * engine, no DNS server, nothing outside the namespace.
 */
@Tag("integration")
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class MemberDiscoveryIT {
  private static final Pattern JOINED = Pattern.compile("; members \\[(.*?)\\]; status ");
  private static final String SERVICE = "fleetcrawl.crawl.svc.cluster.local";
  private static final List<String> ADDRESSES = List.of("10.231.0.1", "10.231.0.2", "10.231.0.3");

  @TempDir Path dir;
  private NetworkNamespace namespace;
  private final List<NodeProcess> nodes = new ArrayList<>();

  @AfterEach
  void cleanUp() throws Exception {
    for (NodeProcess node : nodes) {
      node.close();
    }
    if (namespace != null) {
      namespace.close();
    }
  }

  @Test
  void threeNodesListedByHostNameOnInterfaceAddressesFormOneCluster() throws Exception {
    Path hosts = namespaceWithHosts();
    for (int i = 0; i < ADDRESSES.size(); i++) {
      startOneAtATime(i, hosts, List.of("--members", "node1,node2,node3"));
    }
  }

  @Test
  void threeNodesFindEachOtherThroughAHeadlessServiceName() throws Exception {
    Path hosts = namespaceWithHosts();
    for (int i = 0; i < ADDRESSES.size(); i++) {
      startOneAtATime(i, hosts, List.of("--kubernetes-service-dns", SERVICE));
    }
  }

  /**
   * Makes the namespace with the three addresses, and a hosts file naming each node and the service
   * (which resolves to all three, as a headless service does).
   */
  private Path namespaceWithHosts() throws Exception {
    // Not skipped without root: the integration profile needs it anyway (proxies, tmpfs).
    // Assigned to an interface, as a container's address is: the case Hazelcast's interface
    // matching used to turn into "probe only myself".
    namespace = NetworkNamespace.create("fc-hostnames", ADDRESSES);
    Path hosts = dir.resolve("hosts");
    List<String> lines = new ArrayList<>(List.of("127.0.0.1 localhost"));
    for (int i = 0; i < ADDRESSES.size(); i++) {
      lines.add(ADDRESSES.get(i) + " node" + (i + 1));
      lines.add(ADDRESSES.get(i) + " " + SERVICE);
    }
    Files.write(hosts, lines);
    return hosts;
  }

  /**
   * Starts node {@code i + 1} and waits for it: one at a time, so each newcomer's joined line shows
   * that it found every earlier node by name.
   */
  private void startOneAtATime(int i, Path hosts, List<String> discovery) throws Exception {
    String name = "node" + (i + 1);
    List<String> args =
        new ArrayList<>(
            List.of(
                "--crawl",
                "named",
                "--out",
                dir.resolve("results").toString(),
                "--cluster-name",
                "named-" + ProcessHandle.current().pid(),
                "--interface",
                ADDRESSES.get(i)));
    args.addAll(discovery);
    NodeProcess node =
        NodeProcess.startNode(
            name, namespace.exec(), List.of("-Djdk.net.hosts.file=" + hosts), args);
    nodes.add(node);
    node.awaitJoined(120_000);
    Matcher joined = JOINED.matcher(Files.readString(node.log));
    assertTrue(joined.find(), node.tail());
    for (int j = 0; j <= i; j++) {
      assertTrue(
          joined.group(1).contains("[" + ADDRESSES.get(j) + "]:"),
          name + " lists " + ADDRESSES.get(j) + " among its members: " + joined.group(1));
    }
    assertEquals(i + 1, joined.group(1).split(",").length, joined.group(1));
    for (NodeProcess n : nodes) {
      assertTrue(n.process.isAlive(), n.name + " is still running:\n" + n.tail());
    }
  }
}
