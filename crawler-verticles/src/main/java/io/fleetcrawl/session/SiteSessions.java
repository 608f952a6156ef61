package io.fleetcrawl.session;

import io.fleetcrawl.config.HeaderRule;
import io.fleetcrawl.config.RequestConfig;
import io.fleetcrawl.config.SiteCredential;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.authentication.UsernamePasswordCredentials;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientSession;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * What one fetch worker of a crawl sends each site: a cookie session per politeness key (host), the
 * crawl's extra headers and the operator's credentials for the hosts they name. A session is a
 * {@link WebClientSession} over the worker's pooled {@link WebClient}, with a bounded {@link
 * CookieJar}; sessions are never shared between hosts, workers or crawls.
 *
 * <p>Invariant: {@code cookieBytes} is the sum of the jars' bytes and stays within the configured
 * memory once a put returns: the sessions least recently used are dropped first. Confined to the
 * worker's event loop.
 */
public final class SiteSessions {
  private static final int MAX_RESOLVED_HOSTS = 10_000;

  private final RequestConfig config;
  private final LongSupplier nowMillis;
  private final LinkedHashMap<String, Site> sites = new LinkedHashMap<>(64, 0.75f, true);
  private final Map<String, Resolved> resolved = new HashMap<>();
  private long cookieBytes;
  private long sessionsDropped;

  /** A site's session: one jar, and a session per client (http and https) sharing it. */
  private static final class Site {
    final CookieJar jar;
    WebClientSession plain;
    WebClientSession tls;

    Site(CookieJar jar) {
      this.jar = jar;
    }
  }

  /** The headers and credential that apply to one host, worked out once. */
  private record Resolved(Map<String, HeaderRule> headers, SiteCredential credential) {}

  public SiteSessions(RequestConfig config) {
    this(config, System::currentTimeMillis);
  }

  SiteSessions(RequestConfig config, LongSupplier nowMillis) {
    this.config = config;
    this.nowMillis = nowMillis;
  }

  /** Returns sessions for a crawl that sends nothing beyond the crawler's own headers. */
  public static SiteSessions none() {
    return new SiteSessions(RequestConfig.defaults());
  }

  /**
   * Returns the client a request to a host goes through: the worker's client itself, or with
   * cookies on, the host's session over it.
   */
  public WebClient client(WebClient pooled, boolean https, String host) {
    if (!config.cookies()) {
      return pooled;
    }
    String key = host.toLowerCase(Locale.ROOT);
    Site site = sites.get(key);
    if (site == null) {
      site =
          new Site(new CookieJar(key, config.maxCookiesPerHost(), nowMillis, this::cookiesResized));
      sites.put(key, site);
    }
    if (https) {
      if (site.tls == null) {
        site.tls = WebClientSession.create(pooled, site.jar);
      }
      return site.tls;
    }
    if (site.plain == null) {
      site.plain = WebClientSession.create(pooled, site.jar);
    }
    return site.plain;
  }

  /** Adds the headers and the credential that apply to the request's host. */
  public void prepare(HttpRequest<?> request, String host) {
    if (config.headers().isEmpty() && config.credentials().isEmpty()) {
      return;
    }
    Resolved r = resolve(host.toLowerCase(Locale.ROOT));
    for (HeaderRule h : r.headers.values()) {
      request.putHeader(h.name(), h.value());
    }
    SiteCredential c = r.credential;
    if (c != null) {
      request.authentication(
          c.scheme() == SiteCredential.Scheme.BASIC
              ? new UsernamePasswordCredentials(c.user(), c.secret())
              : new TokenCredentials(c.secret()));
    }
  }

  private Resolved resolve(String host) {
    Resolved r = resolved.get(host);
    if (r != null) {
      return r;
    }
    Map<String, HeaderRule> headers = new LinkedHashMap<>();
    for (HeaderRule h : config.headers()) {
      if (!h.hosts().matches(host)) {
        continue;
      }
      String name = h.name().toLowerCase(Locale.ROOT);
      HeaderRule held = headers.get(name);
      if (held == null || h.hosts().specificity() >= held.hosts().specificity()) {
        headers.put(name, h);
      }
    }
    SiteCredential credential = null;
    for (SiteCredential c : config.credentials()) {
      if (c.hosts().matches(host)
          && (credential == null || c.hosts().specificity() > credential.hosts().specificity())) {
        credential = c;
      }
    }
    r = new Resolved(headers, credential);
    if (resolved.size() >= MAX_RESOLVED_HOSTS) {
      resolved.clear();
    }
    resolved.put(host, r);
    return r;
  }

  private void cookiesResized(long delta) {
    cookieBytes += delta;
    if (delta > 0 && cookieBytes > config.cookieMemoryBytes()) {
      // The jar that grew is the most recently used, so it is dropped last.
      for (Iterator<Site> it = sites.values().iterator();
          it.hasNext() && cookieBytes > config.cookieMemoryBytes(); ) {
        Site oldest = it.next();
        it.remove();
        cookieBytes -= oldest.jar.bytes();
        oldest.jar.discard();
        sessionsDropped++;
      }
    }
  }

  /** Returns the bytes of cookies held over all sites. */
  public long cookieBytes() {
    return cookieBytes;
  }

  /** Returns the number of sites holding a session. */
  public int sessions() {
    return sites.size();
  }

  /** Returns how many sessions were dropped to keep cookie memory within its bound. */
  public long sessionsDropped() {
    return sessionsDropped;
  }

  /** Returns a site's jar, or null when it has no session. */
  CookieJar jar(String host) {
    Site site = sites.get(host.toLowerCase(Locale.ROOT));
    return site == null ? null : site.jar;
  }
}
