package io.fleetcrawl.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fleetcrawl.config.HeaderRule;
import io.fleetcrawl.config.HostPattern;
import io.fleetcrawl.config.RequestConfig;
import io.fleetcrawl.config.SiteCredential;
import io.netty.handler.codec.http.cookie.ClientCookieDecoder;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.WebClient;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SiteSessionsTest {
  private final Vertx vertx = Vertx.vertx();
  private final WebClient pooled = WebClient.create(vertx);

  @AfterEach
  void close() {
    pooled.close();
    vertx.close().await();
  }

  private static RequestConfig cookies(long memory) {
    return new RequestConfig(true, 50, memory, List.of(), List.of());
  }

  @Test
  void eachHostGetsItsOwnSessionAndJar() {
    SiteSessions sessions = new SiteSessions(cookies(1 << 20));
    WebClient a = sessions.client(pooled, false, "a.example");
    assertSame(a, sessions.client(pooled, false, "A.example"));
    assertNotSame(a, sessions.client(pooled, false, "b.example"));
    sessions.jar("a.example").put(ClientCookieDecoder.STRICT.decode("sid=1"));
    assertEquals(0, sessions.jar("b.example").size());
  }

  @Test
  void withCookiesOffThePooledClientIsUsedAsIs() {
    SiteSessions sessions = new SiteSessions(RequestConfig.defaults());
    assertSame(pooled, sessions.client(pooled, true, "a.example"));
    assertEquals(0, sessions.sessions());
  }

  @Test
  void cookieMemoryIsBoundedAcrossHostsDroppingTheLeastRecentlyUsed() {
    long budget = 64 * 1024;
    SiteSessions sessions = new SiteSessions(cookies(budget));
    for (int host = 0; host < 2_000; host++) {
      sessions.client(pooled, false, "h" + host + ".example");
      CookieJar jar = sessions.jar("h" + host + ".example");
      for (int i = 0; i < 5; i++) {
        jar.put(ClientCookieDecoder.STRICT.decode("c" + i + "=" + "v".repeat(100)));
      }
      assertTrue(sessions.cookieBytes() <= budget, "bytes " + sessions.cookieBytes());
    }
    assertTrue(sessions.sessionsDropped() > 1_000, "dropped " + sessions.sessionsDropped());
    assertNull(sessions.jar("h0.example"), "oldest dropped");
    assertEquals(5, sessions.jar("h1999.example").size(), "newest kept");
    long sum = 0;
    for (int host = 0; host < 2_000; host++) {
      CookieJar jar = sessions.jar("h" + host + ".example");
      sum += jar == null ? 0 : jar.bytes();
    }
    assertEquals(sum, sessions.cookieBytes());
  }

  @Test
  void mostSpecificHeaderAndCredentialApplyAndOthersGetNone() {
    RequestConfig config =
        new RequestConfig(
            false,
            50,
            1 << 20,
            List.of(
                HeaderRule.parse("header", "Accept-Language: en"),
                HeaderRule.parse("header", "*.example.com=Accept-Language: de"),
                HeaderRule.parse("header", "docs.example.com=Accept-Language: fr"),
                HeaderRule.parse("header", "*.example.com=X-Team: crawl")),
            List.of(
                new SiteCredential(
                    new HostPattern("*.example.com"), SiteCredential.Scheme.BEARER, null, "t1"),
                new SiteCredential(
                    new HostPattern("docs.example.com"), SiteCredential.Scheme.BASIC, "me", "pw")));
    SiteSessions sessions = new SiteSessions(config);

    HttpRequest<?> docs = pooled.request(HttpMethod.GET, "/");
    sessions.prepare(docs, "docs.example.com");
    assertEquals("fr", docs.headers().get("Accept-Language"));
    assertEquals("crawl", docs.headers().get("X-Team"));

    HttpRequest<?> api = pooled.request(HttpMethod.GET, "/");
    sessions.prepare(api, "api.example.com");
    assertEquals("de", api.headers().get("Accept-Language"));

    HttpRequest<?> other = pooled.request(HttpMethod.GET, "/");
    sessions.prepare(other, "example.com");
    assertEquals("en", other.headers().get("Accept-Language"));
    assertNull(other.headers().get("X-Team"));
    assertNull(other.headers().get("Authorization"));
  }

  @Test
  void credentialNeverShowsItsSecretInText() {
    SiteCredential c =
        new SiteCredential(
            new HostPattern("intranet.example"), SiteCredential.Scheme.BASIC, "me", "hunter2");
    assertTrue(!c.toString().contains("hunter2") && c.toString().contains("***"), c.toString());
    RequestConfig config = new RequestConfig(false, 50, 1 << 20, List.of(), List.of(c));
    assertTrue(!config.toString().contains("hunter2"), config.toString());
  }
}
