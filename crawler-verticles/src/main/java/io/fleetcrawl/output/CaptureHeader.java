package io.fleetcrawl.output;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.SplittableRandom;
import java.util.UUID;

/**
 * The WARC 1.1 header of a {@code request}, {@code response} or {@code metadata} record, written
 * straight into bytes: the three records every page gets.
 *
 * <p>jwarc's record builders produce the same bytes (a test holds the two equal, field for field
 * and byte for byte, so jwarc stays the reference), but through a sorted map of header lists, a
 * parsed {@link java.net.URI} and a {@link java.security.SecureRandom} record id per builder: on a
 * two-core crawl that was a third of the archive's own CPU and its largest compiled method. The
 * fields are written in the order jwarc writes them (its header map sorts names ignoring case), so
 * records written before and after this class read the same. Revisit and warcinfo records, which
 * are rare, are still built by jwarc.
 */
final class CaptureHeader {
  static final String HTTP_REQUEST = "application/http;msgtype=request";
  static final String HTTP_RESPONSE = "application/http;msgtype=response";
  static final String WARC_FIELDS = "application/warc-fields";

  /**
   * Record ids only need to be unique, not unpredictable: a generator per thread, seeded once from
   * the system's secure source, instead of {@link UUID#randomUUID}'s shared secure generator.
   */
  private static final SecureRandom SEEDS = new SecureRandom();

  private static final ThreadLocal<SplittableRandom> IDS =
      ThreadLocal.withInitial(() -> new SplittableRandom(seed()));

  private CaptureHeader() {}

  private static long seed() {
    return SEEDS.nextLong();
  }

  /** Returns a new random (version 4) record id, {@code urn:uuid:...}. */
  static String newRecordId() {
    SplittableRandom random = IDS.get();
    long msb = (random.nextLong() & ~0xf000L) | 0x4000L;
    long lsb = (random.nextLong() & ~(0xcL << 60)) | (0x8L << 60);
    return "urn:uuid:" + new UUID(msb, lsb);
  }

  /**
   * Returns the header, ending with its blank line. Null fields are left out.
   *
   * @param type {@code request}, {@code response} or {@code metadata}
   * @param recordId as {@link #newRecordId} returns it (the header adds the angle brackets)
   * @param concurrentTo the id of the record this one belongs with, or null
   * @param targetUri the URL, a single line
   * @throws IllegalArgumentException when a value would break the header's line structure
   */
  static byte[] write(
      String type,
      String recordId,
      Instant date,
      String targetUri,
      String contentType,
      long contentLength,
      String blockDigest,
      String payloadDigest,
      String concurrentTo,
      String ipAddress,
      String protocol,
      String truncated) {
    StringBuilder h = new StringBuilder(384 + targetUri.length());
    h.append("WARC/1.1\r\n");
    field(h, "Content-Length", Long.toString(contentLength));
    field(h, "Content-Type", contentType);
    field(h, "WARC-Block-Digest", blockDigest);
    field(h, "WARC-Concurrent-To", concurrentTo == null ? null : '<' + concurrentTo + '>');
    field(h, "WARC-Date", Timestamps.warcDate(date));
    field(h, "WARC-IP-Address", ipAddress);
    field(h, "WARC-Payload-Digest", payloadDigest);
    field(h, "WARC-Protocol", protocol);
    field(h, "WARC-Record-ID", '<' + recordId + '>');
    field(h, "WARC-Target-URI", targetUri);
    field(h, "WARC-Truncated", truncated);
    field(h, "WARC-Type", type);
    h.append("\r\n");
    // Every value is ASCII (URLs reach here normalised and percent-encoded), as jwarc writes them.
    return h.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static void field(StringBuilder h, String name, String value) {
    if (value == null) {
      return;
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '\r' || c == '\n') {
        throw new IllegalArgumentException(
            "a WARC header value must be one line: " + name + ": " + value);
      }
    }
    h.append(name).append(": ").append(value).append("\r\n");
  }
}
