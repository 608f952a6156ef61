package io.fleetcrawl.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.config.Config;
import com.hazelcast.config.InMemoryFormat;
import com.hazelcast.config.JoinConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClusterSettingsTest {
  @Test
  void bundledConfigJoinsOnlyListedMembersOnLoopback() {
    Config config = new ClusterSettings(null, null, List.of(), null).toHazelcastConfig();
    JoinConfig join = config.getNetworkConfig().getJoin();
    assertFalse(join.getMulticastConfig().isEnabled());
    assertFalse(join.getAutoDetectionConfig().isEnabled());
    assertTrue(join.getTcpIpConfig().isEnabled());
    assertEquals(List.of("127.0.0.1"), join.getTcpIpConfig().getMembers());
    assertEquals("127.0.0.1", config.getProperty("hazelcast.local.localAddress"));
    assertFalse(config.getNetworkConfig().getInterfaces().isEnabled());
    assertEquals("false", config.getProperty("hazelcast.socket.bind.any"));
    assertEquals("fleetcrawl", config.getClusterName());
    var frontier = config.getMapConfig("frontier.default");
    assertEquals(InMemoryFormat.OBJECT, frontier.getInMemoryFormat());
    assertEquals(1, frontier.getBackupCount());
  }

  @Test
  void overridesReplaceNameMembersAndInterface() {
    Config config =
        new ClusterSettings(null, "prod", List.of("10.0.0.1:5701", "10.0.0.2:5701"), "10.0.0.1")
            .toHazelcastConfig();
    assertEquals("prod", config.getClusterName());
    assertEquals(
        List.of("10.0.0.1:5701", "10.0.0.2:5701"),
        config.getNetworkConfig().getJoin().getTcpIpConfig().getMembers());
    assertEquals("10.0.0.1", config.getProperty("hazelcast.local.localAddress"));
  }

  @Test
  void membersListedByHostNameAreNotFilteredByTheBindInterface() {
    // Hazelcast drops host-name members that do not resolve to an enabled <interfaces> entry;
    // the bind address must therefore never be set through that element.
    Config config =
        new ClusterSettings(null, null, List.of("node1", "node2"), "127.0.0.1").toHazelcastConfig();
    assertFalse(config.getNetworkConfig().getInterfaces().isEnabled());
    assertEquals("127.0.0.1", config.getProperty("hazelcast.local.localAddress"));
  }

  @Test
  void interfacePatternBindsTheFirstLocalAddressItMatches() {
    assertEquals("127.0.0.1", ClusterSettings.localAddress("127.0.0.*"));
    assertEquals("127.0.0.1", ClusterSettings.localAddress("localhost"));
    var e =
        assertThrows(
            IllegalArgumentException.class, () -> ClusterSettings.localAddress("203.0.113.*"));
    assertTrue(e.getMessage().contains("--interface 203.0.113.*"), e.getMessage());
  }

  @Test
  void userFileCannotReenableMulticast(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("cluster.xml");
    Files.writeString(
        file,
        "<hazelcast xmlns=\"http://www.hazelcast.com/schema/config\"><network><join><multicast enabled=\"true\"/></join></network></hazelcast>");
    JoinConfig join =
        new ClusterSettings(file, null, List.of(), null)
            .toHazelcastConfig()
            .getNetworkConfig()
            .getJoin();
    assertFalse(join.getMulticastConfig().isEnabled());
    assertFalse(join.getAutoDetectionConfig().isEnabled());
  }

  @Test
  void brokenFileIsReportedByName(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("broken.xml");
    Files.writeString(file, "<hazelcast><network>");
    var error =
        assertThrows(
            IllegalArgumentException.class,
            () -> new ClusterSettings(file, null, List.of(), null).toHazelcastConfig());
    assertTrue(error.getMessage().contains("broken.xml"), error.getMessage());
  }

  @Test
  void publicAddressIsWhatOtherMembersAreTold() {
    Config config =
        new ClusterSettings(null, null, List.of(), null, "203.0.113.7:5701").toHazelcastConfig();
    assertEquals("203.0.113.7:5701", config.getNetworkConfig().getPublicAddress());
  }

  @Test
  void aNodeOffItsOwnMemberListRefusesToStart() {
    Config config =
        new ClusterSettings(null, null, List.of("127.0.0.1"), "127.0.0.2").toHazelcastConfig();
    IllegalArgumentException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class, () -> ClusterSettings.requireListed(config));
    org.junit.jupiter.api.Assertions.assertTrue(
        e.getMessage().contains("127.0.0.2 is not on the member list"), e.getMessage());
    ClusterSettings.requireListed(
        new ClusterSettings(null, null, List.of("127.0.0.1:5701"), "127.0.0.1")
            .toHazelcastConfig());
  }

  @Test
  void kubernetesServiceReplacesTheMemberListAndIsAskedBeforeJoining() {
    Config config =
        new ClusterSettings(
                null, null, List.of(), "127.0.0.1", null, "fleetcrawl.crawl.svc.cluster.local")
            .toHazelcastConfig();
    JoinConfig join = config.getNetworkConfig().getJoin();
    assertFalse(join.getTcpIpConfig().isEnabled());
    assertTrue(join.getTcpIpConfig().getMembers().isEmpty(), "no list to check admission by");
    assertTrue(join.getKubernetesConfig().isEnabled());
    assertEquals(
        "fleetcrawl.crawl.svc.cluster.local",
        join.getKubernetesConfig().getProperty("service-dns"));
    // At 0 Hazelcast's discovery joiner never asks the service, and every pod starts alone.
    assertEquals("2", config.getProperty("hazelcast.wait.seconds.before.join"));
    ClusterSettings.requireListed(config);
  }

  @Test
  void aMemberListAndAKubernetesServiceTogetherAreRefused() {
    var e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                new ClusterSettings(
                    null, null, List.of("node1"), null, null, "fleetcrawl.crawl.svc"));
    assertTrue(e.getMessage().contains("--kubernetes-service-dns"), e.getMessage());
  }
}
