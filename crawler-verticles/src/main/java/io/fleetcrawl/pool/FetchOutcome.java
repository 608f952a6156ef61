package io.fleetcrawl.pool;

import io.vertx.core.buffer.Buffer;

/**
 * What one HTTP exchange produced.
 *
 * @param status the HTTP status, or 0 when there was no response
 * @param error why there was no response, or null
 * @param failure what kind of failure {@code error} describes; null when there was a response
 * @param protocol {@code HTTP/1.1} or {@code HTTP/2}
 * @param body the decoded body, at most the size cap
 * @param truncated whether the body was cut at the size cap
 * @param fetchMs milliseconds from sending to the end of the body
 * @param contentType the Content-Type header, or null
 * @param location the Location header, or null
 * @param retryAfter the Retry-After header, or null
 * @param capture the exchange as it crossed the wire, for archiving; null without a response
 * @param memory the body's share of the node's {@link BodyMemory}, released once the result is
 *     written; null when not counted
 */
public record FetchOutcome(
    int status,
    String error,
    FetchFailure failure,
    String protocol,
    Buffer body,
    boolean truncated,
    long fetchMs,
    String contentType,
    String location,
    String retryAfter,
    Capture capture,
    BodyMemory.Hold memory) {

  /** Gives the body's memory back to the node: its result is written, or will not be. */
  public void release() {
    if (memory != null) {
      memory.release();
    }
  }

  /** Returns an outcome without a response. */
  public static FetchOutcome failure(FetchFailure failure, String error, long fetchMs) {
    return new FetchOutcome(
        0, error, failure, null, null, false, fetchMs, null, null, null, null, null);
  }

  /**
   * Returns the outcome of a fetch refused because its host leads to an internal address (not
   * retried: the answer would be the same).
   *
   * @param address the internal address, or null when only the connected socket showed it
   */
  public static FetchOutcome refusedInternal(String host, String address, long fetchMs) {
    return failure(
        FetchFailure.PRIVATE_NETWORK,
        "private-network: "
            + host
            + " resolves to an internal address"
            + (address == null ? "" : " (" + address + ")"),
        fetchMs);
  }

  /** Returns whether the fetch was refused because its host leads to an internal address. */
  public boolean isRefusedInternal() {
    return failure == FetchFailure.PRIVATE_NETWORK;
  }

  /** Returns whether trying again later may succeed; false when there was a response. */
  public boolean retryable() {
    return failure != null && failure.retryable();
  }

  /** Returns whether a response was received. */
  public boolean responded() {
    return status > 0;
  }

  /** Returns the media type without parameters, lower-case, or null. */
  public String mediaType() {
    return mediaTypeOf(contentType);
  }

  /** Returns a Content-Type's media type without parameters, lower-case, or null. */
  public static String mediaTypeOf(String contentType) {
    if (contentType == null) {
      return null;
    }
    int semicolon = contentType.indexOf(';');
    return (semicolon < 0 ? contentType : contentType.substring(0, semicolon))
        .trim()
        .toLowerCase(java.util.Locale.ROOT);
  }

  /** Returns the charset parameter of the Content-Type, or null. */
  public String charset() {
    if (contentType == null) {
      return null;
    }
    for (String part : contentType.split(";")) {
      String p = part.trim();
      if (p.regionMatches(true, 0, "charset=", 0, 8)) {
        return p.substring(8).replace("\"", "").trim();
      }
    }
    return null;
  }

  /** Returns whether the response is an HTML page worth parsing for links. */
  public boolean isHtml() {
    String type = mediaType();
    return type != null && (type.equals("text/html") || type.equals("application/xhtml+xml"));
  }
}
