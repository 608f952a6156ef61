package io.fleetcrawl.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class NetworkGuardTest {
  @Test
  void everySpellingOfAnInternalAddressIsInternal() {
    for (String host :
        List.of(
            "127.0.0.1",
            "2130706433",
            "0x7f000001",
            "0x7f.1",
            "0177.0.0.1",
            "0177.1",
            "127.1",
            "127.0.0.1.",
            "0",
            "0.0.0.0",
            "169.254.169.254",
            "0xa9.0xfe.0xa9.0xfe",
            "2852039166",
            "10.0.0.1",
            "012.1",
            "172.16.5.4",
            "192.168.1.1",
            "100.64.0.1",
            "192.0.0.8",
            "198.18.0.1",
            "240.0.0.1",
            "255.255.255.255",
            "224.0.0.1",
            "[::1]",
            "[0:0:0:0:0:0:0:1]",
            "[::]",
            "[::ffff:127.0.0.1]",
            "[::ffff:7f00:1]",
            "[::ffff:169.254.169.254]",
            "[::127.0.0.1]",
            "[64:ff9b::a9fe:a9fe]",
            "[2002:a9fe:a9fe::1]",
            "[2001:0:4136:e378:8000:63bf:3fff:fdd2]",
            "[fe80::1%25eth0]",
            "[fd00::1]",
            "[ff02::1]",
            "localhost",
            "LOCALHOST.",
            "api.localhost",
            "metadata.google.internal")) {
      assertTrue(NetworkGuard.isInternalHost(host), host);
    }
  }

  @Test
  void publicAddressesAndNamesAreNotInternalHosts() {
    for (String host :
        List.of(
            "93.184.216.34",
            "1.1.1.1",
            "0x08080808",
            "[2606:4700:4700::1111]",
            "example.com",
            "10.example.com",
            "0x7f.example")) {
      assertFalse(NetworkGuard.isInternalHost(host), host);
    }
  }

  @Test
  void literalReadsEverySpellingAndNoName() {
    assertEquals("127.0.0.1", NetworkGuard.literal("0x7f.1").getHostAddress());
    assertEquals("127.0.0.1", NetworkGuard.literal("2130706433").getHostAddress());
    assertEquals("127.0.0.1", NetworkGuard.literal("0177.0.0.1").getHostAddress());
    assertEquals("169.254.169.254", NetworkGuard.literal("169.254.169.254.").getHostAddress());
    assertNull(NetworkGuard.literal("example.com"));
    assertNull(NetworkGuard.literal("deadbeef.example"));
  }

  @Test
  void policyAllowsOnlyTheNamedInternalNetworkInAnySpelling() {
    NetworkPolicy policy = NetworkPolicy.of(false, List.of("127.0.1.0/24"));
    assertTrue(policy.allowsHost("127.0.1.7"));
    assertTrue(policy.allowsHost("0x7f.0.1.7"));
    assertFalse(policy.allowsHost("127.0.0.1"));
    assertFalse(policy.allowsHost("2130706433"));
    assertTrue(policy.allowsHost("example.com"));
  }
}
