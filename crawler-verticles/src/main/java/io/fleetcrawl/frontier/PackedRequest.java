package io.fleetcrawl.frontier;

import io.fleetcrawl.model.CrawlRequest;
import java.nio.charset.StandardCharsets;

/**
 * The compact form of a queued URL: one byte array holding depth, attempts, redirects in a row and
 * the UTF-8 URL. A queue of millions of URLs is most of a frontier's memory; this form costs the
 * URL's bytes plus 20, against about 70 more for a record holding a {@code String}.
 */
final class PackedRequest {
  private PackedRequest() {}

  /**
   * Returns the packed form: the sitemap kind (high 2 bits) and depth (low 14 bits) in 2 bytes,
   * then attempts (low 5 bits) and redirects (high 3 bits) in one byte, then the URL's bytes. Forms
   * packed before redirects and sitemaps were kept read as 0 of each.
   */
  static byte[] pack(CrawlRequest request) {
    byte[] url = request.url().getBytes(StandardCharsets.UTF_8);
    byte[] packed = new byte[3 + url.length];
    int depth = Math.min(request.depth(), CrawlRequest.MAX_DEPTH) | request.sitemap() << 14;
    packed[0] = (byte) (depth >>> 8);
    packed[1] = (byte) depth;
    packed[2] =
        (byte) (Math.min(request.attempts(), CrawlRequest.MAX_ATTEMPTS) | request.redirects() << 5);
    System.arraycopy(url, 0, packed, 3, url.length);
    return packed;
  }

  /** Returns the depth a packed form holds. */
  static int depth(byte[] packed) {
    return ((packed[0] & 0x3F) << 8) | (packed[1] & 0xFF);
  }

  /** Returns the request a packed form holds. */
  static CrawlRequest unpack(byte[] packed) {
    return new CrawlRequest(
        new String(packed, 3, packed.length - 3, StandardCharsets.UTF_8),
        depth(packed),
        packed[2] & CrawlRequest.MAX_ATTEMPTS,
        (packed[2] & 0xFF) >>> 5,
        (packed[0] & 0xFF) >>> 6);
  }
}
