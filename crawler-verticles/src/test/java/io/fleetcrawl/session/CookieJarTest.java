package io.fleetcrawl.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.handler.codec.http.cookie.ClientCookieDecoder;
import io.netty.handler.codec.http.cookie.Cookie;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class CookieJarTest {
  private final AtomicLong now = new AtomicLong(1_000_000);
  private final AtomicLong reported = new AtomicLong();
  private final CookieJar jar = new CookieJar("www.example.com", 50, now::get, reported::addAndGet);

  /** The jar's own accounting agrees with what it reported and holds its bound. */
  @AfterEach
  void invariants() {
    assertEquals(jar.bytes(), reported.get(), "reported bytes");
    assertTrue(jar.size() <= 50, "size " + jar.size());
  }

  private static Cookie parse(String setCookie) {
    return ClientCookieDecoder.STRICT.decode(setCookie);
  }

  private List<String> names(boolean ssl, String host, String path) {
    List<String> names = new ArrayList<>();
    jar.get(ssl, host, path).forEach(c -> names.add(c.name() + "=" + c.value()));
    return names;
  }

  @Test
  void cookieIsSentBackToItsHostOnMatchingPaths() {
    jar.put(parse("sid=1; Path=/shop"));
    jar.put(parse("lang=de"));
    assertEquals(List.of("sid=1", "lang=de"), names(false, "www.example.com", "/shop/cart?x=1"));
    assertEquals(List.of("lang=de"), names(false, "www.example.com", "/shopping"));
  }

  @Test
  void cookieForAnotherSiteIsRefused() {
    jar.put(parse("planted=1; Domain=evil.example.org"));
    jar.put(parse("sibling=1; Domain=api.example.com"));
    jar.put(parse("parent=1; Domain=.example.com"));
    assertEquals(1, jar.size());
    assertEquals(List.of("parent=1"), names(false, "www.example.com", "/"));
  }

  @Test
  void secureCookieIsSentOnlyOverTls() {
    jar.put(parse("s=1; Secure"));
    assertEquals(List.of(), names(false, "www.example.com", "/"));
    assertEquals(List.of("s=1"), names(true, "www.example.com", "/"));
  }

  @Test
  void maxAgeExpiresAndZeroMaxAgeDeletes() {
    jar.put(parse("short=1; Max-Age=10"));
    jar.put(parse("gone=1"));
    jar.put(parse("gone=1; Max-Age=0"));
    assertEquals(List.of("short=1"), names(false, "www.example.com", "/"));
    now.addAndGet(10_001);
    assertEquals(List.of(), names(false, "www.example.com", "/"));
    assertEquals(0, jar.size());
  }

  @Test
  void tenThousandCookiesKeepOnlyTheNewestFifty() {
    for (int i = 0; i < 10_000; i++) {
      jar.put(parse("c" + i + "=" + "v".repeat(40)));
    }
    assertEquals(50, jar.size());
    List<String> sent = names(false, "www.example.com", "/");
    assertEquals(50, sent.size());
    assertTrue(sent.contains("c9999=" + "v".repeat(40)), "newest kept");
    assertTrue(jar.bytes() < 50 * 300, "bytes " + jar.bytes());
  }

  @Test
  void oversizedCookieIsRefusedAndRequestHeaderStaysBounded() {
    jar.put(parse("huge=" + "x".repeat(CookieJar.MAX_COOKIE_BYTES)));
    assertEquals(0, jar.size());
    for (int i = 0; i < 50; i++) {
      jar.put(parse("c" + i + "=" + "y".repeat(3000)));
    }
    int total = 0;
    for (Cookie c : jar.get(false, "www.example.com", "/")) {
      total += c.name().length() + c.value().length() + 3;
    }
    assertTrue(total <= CookieJar.MAX_HEADER_BYTES, "header bytes " + total);
  }
}
