package io.fleetcrawl.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ProxyEndpointTest {
  @Test
  void parsesHttpAndSocksWithCredentials() {
    ProxyEndpoint http = ProxyEndpoint.parse("http://bench:s3cret@127.0.0.32:18888");
    assertEquals(ProxyEndpoint.Type.HTTP, http.type());
    assertEquals("bench", http.username());
    assertEquals("s3cret", http.password());
    ProxyEndpoint socks = ProxyEndpoint.parse("socks5://u%40x:p%3Aw@proxy.example:1080");
    assertEquals(ProxyEndpoint.Type.SOCKS5, socks.type());
    assertEquals("u@x", socks.username());
    assertEquals("p:w", socks.password());
  }

  @Test
  void passwordNeverAppearsInLabelTagOrToString() {
    ProxyEndpoint proxy = ProxyEndpoint.parse("http://bench:s3cret@127.0.0.32:18888");
    for (String shown : new String[] {proxy.label(), proxy.tag(), proxy.toString()}) {
      assertFalse(shown.contains("s3cret"), shown);
    }
    assertEquals("http://bench:***@127.0.0.32:18888", proxy.label());
    assertEquals("127.0.0.32:18888", proxy.tag());
  }

  @Test
  void malformedValueIsRefusedNamingTheFlagWithoutThePassword() {
    var error =
        assertThrows(
            IllegalArgumentException.class,
            () -> ProxyEndpoint.parse("ftp://bench:s3cret@host:21"));
    assertTrue(error.getMessage().startsWith("invalid --proxy"), error.getMessage());
    assertFalse(error.getMessage().contains("s3cret"), error.getMessage());
    assertThrows(IllegalArgumentException.class, () -> ProxyEndpoint.parse("http://no-port"));
  }
}
