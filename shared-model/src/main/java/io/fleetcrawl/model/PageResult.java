package io.fleetcrawl.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Objects;

/**
 * The terminal state of one URL: one line of {@code pages.jsonl}.
 *
 * <p>Exactly one of {@code status} and {@code error} is present: a response of any status is a
 * fetch, and {@code error} names why there was no response (or why the URL was excluded).
 *
 * @param url the normalised URL
 * @param status the HTTP status, or null when there was no response
 * @param error why the URL has no response, or null
 * @param protocol {@code HTTP/1.1} or {@code HTTP/2}, or null without a response
 * @param bytes decoded body bytes read
 * @param fetchMs milliseconds from sending the request to the end of the body
 * @param depth link hops from the seed
 * @param contentType the response's media type, or null
 * @param links links found on the page
 * @param redirect the absolute target of a 3xx response, or null
 * @param truncated true when the body exceeded the size cap and was cut; null otherwise
 * @param attempts fetch attempts made, including this one
 * @param fetchedAt epoch milliseconds at which the URL reached its terminal state
 * @param outlinks the absolute links extracted from the page (capped by {@code --max-outlinks}), or
 *     null
 * @param ip the address the response came from (not known through a proxy), or null
 * @param payloadDigest {@code sha1:BASE32} of the body as received, or null when not archived
 * @param warcFile the WARC file holding the response (or revisit) record, or null
 * @param warcOffset the offset of that record in the file, or null
 * @param bodyNotStored why the body was not read past the headers (its media type is not stored),
 *     or null
 * @param redirectRefused why the target of this URL's redirect (or meta refresh) was not admitted
 *     ({@code REASON: detail}: a loop ends as {@code DUPLICATE}, a long chain as {@code
 *     TOO_MANY_REDIRECTS}), or null
 * @param refresh the absolute target of the page's meta refresh, which is followed like a redirect,
 *     or null
 * @param canonical the page's canonical URL ({@code <link rel=canonical>} or a {@code Link}
 *     header), or null
 * @param robots the robots directives the page gave ({@code noindex}, {@code nofollow}) in meta
 *     tags or {@code X-Robots-Tag}, or null
 * @param sitemap for a sitemap: {@code urlset} or {@code index} (its entries are in {@code links}
 *     and {@code outlinks}), or why it was not used; null for a page
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PageResult(
    String url,
    Integer status,
    String error,
    String protocol,
    long bytes,
    long fetchMs,
    int depth,
    String contentType,
    int links,
    String redirect,
    Boolean truncated,
    int attempts,
    long fetchedAt,
    List<String> outlinks,
    String ip,
    String payloadDigest,
    String warcFile,
    Long warcOffset,
    String bodyNotStored,
    String redirectRefused,
    String refresh,
    String canonical,
    List<String> robots,
    String sitemap) {
  /** A result without redirect, refresh, canonical or robots details. */
  public PageResult(
      String url,
      Integer status,
      String error,
      String protocol,
      long bytes,
      long fetchMs,
      int depth,
      String contentType,
      int links,
      String redirect,
      Boolean truncated,
      int attempts,
      long fetchedAt,
      List<String> outlinks,
      String ip,
      String payloadDigest,
      String warcFile,
      Long warcOffset,
      String bodyNotStored) {
    this(
        url,
        status,
        error,
        protocol,
        bytes,
        fetchMs,
        depth,
        contentType,
        links,
        redirect,
        truncated,
        attempts,
        fetchedAt,
        outlinks,
        ip,
        payloadDigest,
        warcFile,
        warcOffset,
        bodyNotStored,
        null,
        null,
        null,
        null,
        null);
  }

  public PageResult {
    Objects.requireNonNull(url, "url");
    if ((status == null) == (error == null)) {
      throw new IllegalArgumentException("exactly one of status and error must be set for " + url);
    }
  }

  /** Returns the result for a URL that reached a terminal state without a response. */
  public static PageResult failed(CrawlRequest request, String error, long fetchedAt) {
    return new PageResult(
        request.url(),
        null,
        error,
        null,
        0,
        0,
        request.depth(),
        null,
        0,
        null,
        null,
        request.attempts(),
        fetchedAt,
        null,
        null,
        null,
        null,
        null,
        null);
  }

  /** Returns this result with where its archived record lies and the payload's digest. */
  public PageResult archivedAt(String file, long offset, String digest) {
    return new PageResult(
        url,
        status,
        error,
        protocol,
        bytes,
        fetchMs,
        depth,
        contentType,
        links,
        redirect,
        truncated,
        attempts,
        fetchedAt,
        outlinks,
        ip,
        digest,
        file,
        offset,
        bodyNotStored,
        redirectRefused,
        refresh,
        canonical,
        robots,
        sitemap);
  }
}
