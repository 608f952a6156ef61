package io.fleetcrawl.session;

import io.netty.handler.codec.http.cookie.Cookie;
import io.vertx.ext.web.client.spi.CookieStore;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * One site's cookies: the store behind a {@code WebClientSession} for one politeness key (host).
 * Unlike Vert.x's default store it is bounded and it checks what a site may set (RFC 6265):
 *
 * <ul>
 *   <li>a cookie whose Domain does not cover the site's host is refused, so a site cannot plant
 *       cookies for another;
 *   <li>a cookie larger than {@link #MAX_COOKIE_BYTES} is refused; beyond {@code maxCookies} the
 *       oldest is dropped, so a site setting thousands of cookies keeps a fixed-size jar;
 *   <li>Max-Age and Expires are honoured; a cookie set to expire is removed.
 * </ul>
 *
 * <p>Invariants: {@code cookies.size() <= maxCookies}; {@code bytes} is the sum of {@link #sizeOf}
 * over the cookies held. Confined to the fetch worker's event loop.
 */
public final class CookieJar implements CookieStore {
  /** Largest cookie kept (name, value and attributes), as browsers do. */
  public static final int MAX_COOKIE_BYTES = 4096;

  /** Most bytes of cookies sent in one request; servers refuse much larger headers. */
  public static final int MAX_HEADER_BYTES = 8192;

  private static final int ENTRY_OVERHEAD = 96;

  private final String host;
  private final int maxCookies;
  private final LongSupplier nowMillis;
  private final SizeListener listener;
  private final Map<Key, Entry> cookies = new LinkedHashMap<>();
  private long bytes;
  private boolean discarded;

  /** Hears how the jar's size changes, so that a worker can bound all its jars together. */
  interface SizeListener {
    void changed(long delta);
  }

  private record Key(String domain, String path, String name) {}

  private record Entry(Cookie cookie, long expiresAt, int size) {}

  CookieJar(String host, int maxCookies, LongSupplier nowMillis, SizeListener listener) {
    this.host = host.toLowerCase(Locale.ROOT);
    this.maxCookies = maxCookies;
    this.nowMillis = nowMillis;
    this.listener = listener;
  }

  @Override
  public Iterable<Cookie> get(Boolean ssl, String domain, String path) {
    long now = nowMillis.getAsLong();
    String requestHost = domain.toLowerCase(Locale.ROOT);
    String requestPath = pathOf(path);
    List<Cookie> matches = new ArrayList<>();
    for (Iterator<Entry> it = cookies.values().iterator(); it.hasNext(); ) {
      Entry e = it.next();
      if (e.expiresAt <= now) {
        it.remove();
        resized(-e.size);
        continue;
      }
      Cookie c = e.cookie;
      if ((c.isSecure() && !Boolean.TRUE.equals(ssl))
          || !domainMatches(requestHost, c.domain())
          || !pathMatches(requestPath, c.path())) {
        continue;
      }
      matches.add(c);
    }
    // Longer paths first, as RFC 6265 asks, so a server reading the first value sees the closest.
    matches.sort((a, b) -> Integer.compare(b.path().length(), a.path().length()));
    int total = 0;
    for (int i = 0; i < matches.size(); i++) {
      total += matches.get(i).name().length() + matches.get(i).value().length() + 3;
      if (total > MAX_HEADER_BYTES) {
        return matches.subList(0, i);
      }
    }
    return matches;
  }

  @Override
  public CookieStore put(Cookie cookie) {
    if (discarded) {
      return this;
    }
    String domain = cookie.domain() == null ? host : cookie.domain().toLowerCase(Locale.ROOT);
    if (domain.startsWith(".")) {
      domain = domain.substring(1);
    }
    if (!domainMatches(host, domain)) {
      return this;
    }
    cookie.setDomain(domain);
    if (cookie.path() == null || !cookie.path().startsWith("/")) {
      cookie.setPath("/");
    }
    Key key = new Key(domain, cookie.path(), cookie.name());
    remove(key);
    long maxAge = cookie.maxAge();
    if (maxAge != Cookie.UNDEFINED_MAX_AGE && maxAge <= 0) {
      return this;
    }
    int size = sizeOf(cookie);
    if (size > MAX_COOKIE_BYTES) {
      return this;
    }
    long expiresAt =
        maxAge == Cookie.UNDEFINED_MAX_AGE
            ? Long.MAX_VALUE
            : nowMillis.getAsLong() + Math.min(maxAge, Long.MAX_VALUE / 2_000) * 1000;
    cookies.put(key, new Entry(cookie, expiresAt, size));
    resized(size);
    while (cookies.size() > maxCookies) {
      Iterator<Map.Entry<Key, Entry>> oldest = cookies.entrySet().iterator();
      Entry dropped = oldest.next().getValue();
      oldest.remove();
      resized(-dropped.size);
    }
    return this;
  }

  @Override
  public CookieStore remove(Cookie cookie) {
    String domain = cookie.domain() == null ? host : cookie.domain();
    remove(new Key(domain, cookie.path() == null ? "/" : cookie.path(), cookie.name()));
    return this;
  }

  private void remove(Key key) {
    Entry old = cookies.remove(key);
    if (old != null) {
      resized(-old.size);
    }
  }

  /** Returns the number of cookies held. */
  public int size() {
    return cookies.size();
  }

  /** Returns the bytes the jar accounts for its cookies. */
  public long bytes() {
    return bytes;
  }

  /**
   * Empties the jar for good: its session was dropped, but a response still in flight may try to
   * store cookies in it.
   */
  void discard() {
    discarded = true;
    cookies.clear();
    bytes = 0;
  }

  private void resized(long delta) {
    if (discarded) {
      return;
    }
    bytes += delta;
    listener.changed(delta);
  }

  /** Returns what a cookie costs the jar: its text plus a fixed allowance for the objects. */
  static int sizeOf(Cookie c) {
    return ENTRY_OVERHEAD
        + c.name().length()
        + c.value().length()
        + (c.domain() == null ? 0 : c.domain().length())
        + (c.path() == null ? 0 : c.path().length());
  }

  /** RFC 6265 5.1.3: the host is the domain or ends with "." and the domain. */
  static boolean domainMatches(String host, String domain) {
    return host.equals(domain)
        || (host.endsWith(domain)
            && host.length() > domain.length()
            && host.charAt(host.length() - domain.length() - 1) == '.');
  }

  /** RFC 6265 5.1.4. */
  static boolean pathMatches(String requestPath, String cookiePath) {
    if (requestPath.equals(cookiePath)) {
      return true;
    }
    return requestPath.startsWith(cookiePath)
        && (cookiePath.endsWith("/") || requestPath.charAt(cookiePath.length()) == '/');
  }

  private static String pathOf(String uri) {
    if (uri == null || uri.isEmpty()) {
      return "/";
    }
    int end = uri.length();
    int q = uri.indexOf('?');
    if (q >= 0) {
      end = q;
    }
    int f = uri.indexOf('#');
    if (f >= 0 && f < end) {
      end = f;
    }
    String p = uri.substring(0, end);
    return p.startsWith("/") ? p : "/";
  }
}
