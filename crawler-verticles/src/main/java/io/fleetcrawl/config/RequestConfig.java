package io.fleetcrawl.config;

import static io.fleetcrawl.model.InvalidInputException.requireSetting;

import java.util.List;

/**
 * What a crawl sends each site beyond the URL: a session (cookies), extra headers and the
 * operator's own credentials. Immutable; validated at start-up.
 *
 * @param cookies whether each site gets a cookie session of its own (off by default: a crawler that
 *     keeps cookies is tracked, and shares one visitor's view of a site; turn it on for sites that
 *     loop or refuse without a consent or session cookie)
 * @param maxCookiesPerHost most cookies kept per site; the oldest go first
 * @param cookieMemoryBytes most bytes of cookies one fetch worker keeps over all sites; the sites
 *     least recently fetched lose their sessions first
 * @param headers headers added to requests, the most specific host pattern winning per name
 * @param credentials per host pattern, the most specific one applying
 */
public record RequestConfig(
    boolean cookies,
    int maxCookiesPerHost,
    long cookieMemoryBytes,
    List<HeaderRule> headers,
    List<SiteCredential> credentials) {

  public static final int DEFAULT_MAX_COOKIES_PER_HOST = 50;
  public static final long DEFAULT_COOKIE_MEMORY_BYTES = 16L << 20;

  public RequestConfig {
    headers = List.copyOf(headers);
    credentials = List.copyOf(credentials);
    requireSetting(
        maxCookiesPerHost >= 1 && maxCookiesPerHost <= 10_000,
        "max-cookies-per-host",
        "must be 1..10000, was " + maxCookiesPerHost);
    requireSetting(
        cookieMemoryBytes >= 64 * 1024,
        "cookie-memory-mb",
        "must be at least 64 KiB, was " + cookieMemoryBytes + " bytes");
  }

  /** Returns the defaults: no cookies, no extra headers, no credentials. */
  public static RequestConfig defaults() {
    return new RequestConfig(
        false, DEFAULT_MAX_COOKIES_PER_HOST, DEFAULT_COOKIE_MEMORY_BYTES, List.of(), List.of());
  }
}
