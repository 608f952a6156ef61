package io.fleetcrawl.output;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonGenerator;
import io.fleetcrawl.bus.Json;
import java.io.IOException;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.netpreserve.jwarc.MediaType;
import org.netpreserve.jwarc.MessageVersion;
import org.netpreserve.jwarc.URIs;
import org.netpreserve.jwarc.WarcDigest;
import org.netpreserve.jwarc.WarcMetadata;
import org.netpreserve.jwarc.WarcRequest;
import org.netpreserve.jwarc.WarcResponse;
import org.netpreserve.jwarc.WarcTruncationReason;

/**
 * The hand-written record headers, timestamps and index lines against what jwarc and Jackson write.
 */
class CaptureHeaderTest {
  private static final String URL = "http://example.org/a/b?c=d&e=%20f";
  private static final Instant DATE = Instant.ofEpochMilli(1_764_773_563_042L);
  private static final byte[] HEAD = "HTTP/1.1 200 OK\r\n\r\n".getBytes(StandardCharsets.UTF_8);

  private static WarcDigest sha1(String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    return WarcResultSink.sha1(bytes, 0, bytes.length);
  }

  private static String digest(String text) {
    return sha1(text).prefixedBase32();
  }

  @Test
  void responseHeaderIsByteForByteWhatJwarcWrites() throws IOException {
    for (String ip : new String[] {"127.0.0.1", "::1", null}) {
      for (WarcTruncationReason cut :
          new WarcTruncationReason[] {
            null, WarcTruncationReason.LENGTH, WarcTruncationReason.UNSPECIFIED
          }) {
        for (String protocol : new String[] {"http/1.1", "h2"}) {
          String id = CaptureHeader.newRecordId();
          WarcResponse.Builder jwarc =
              new WarcResponse.Builder(URI.create(URL))
                  .version(MessageVersion.WARC_1_1)
                  .recordId(URI.create(id))
                  .date(DATE)
                  .body(MediaType.HTTP_RESPONSE, HEAD)
                  .blockDigest(sha1("block"))
                  .payloadDigest(sha1("payload"))
                  .addHeader("WARC-Protocol", protocol);
          if (ip != null) {
            jwarc.ipAddress(InetAddress.getByName(ip));
          }
          if (cut != null) {
            jwarc.truncated(cut);
          }
          String ours =
              text(
                  CaptureHeader.write(
                      "response",
                      id,
                      DATE,
                      URL,
                      CaptureHeader.HTTP_RESPONSE,
                      HEAD.length,
                      digest("block"),
                      digest("payload"),
                      null,
                      WarcResultSink.ipAddress(ip),
                      protocol,
                      cut == null ? null : cut.name().toLowerCase(java.util.Locale.ROOT)));
          assertEquals(
              text(jwarc.build().serializeHeader()), ours, ip + " " + cut + " " + protocol);
        }
      }
    }
  }

  @Test
  void requestAndMetadataHeadersAreByteForByteWhatJwarcWrites() throws IOException {
    String responseId = CaptureHeader.newRecordId();
    String requestId = CaptureHeader.newRecordId();
    byte[] request = "GET / HTTP/1.1\r\nHost: example.org\r\n\r\n".getBytes(StandardCharsets.UTF_8);
    String jwarcRequest =
        text(
            new WarcRequest.Builder(URI.create(URL))
                .version(MessageVersion.WARC_1_1)
                .recordId(URI.create(requestId))
                .date(DATE)
                .body(MediaType.HTTP_REQUEST, request)
                .blockDigest(sha1("request"))
                .concurrentTo(URI.create(responseId))
                .addHeader("WARC-Protocol", "h2")
                .ipAddress(InetAddress.getByName("10.1.2.3"))
                .build()
                .serializeHeader());
    assertEquals(
        jwarcRequest,
        text(
            CaptureHeader.write(
                "request",
                requestId,
                DATE,
                URL,
                CaptureHeader.HTTP_REQUEST,
                request.length,
                digest("request"),
                null,
                responseId,
                "10.1.2.3",
                "h2",
                null)));

    String metadataId = CaptureHeader.newRecordId();
    byte[] fields = "outlink: http://example.org/x\r\n".getBytes(StandardCharsets.UTF_8);
    String jwarcMetadata =
        text(
            new WarcMetadata.Builder()
                .version(MessageVersion.WARC_1_1)
                .recordId(URI.create(metadataId))
                .targetURI(URI.create(URL))
                .date(Instant.ofEpochSecond(DATE.getEpochSecond()))
                .concurrentTo(URI.create(responseId))
                .body(MediaType.WARC_FIELDS, fields)
                .blockDigest(sha1("fields"))
                .build()
                .serializeHeader());
    assertEquals(
        jwarcMetadata,
        text(
            CaptureHeader.write(
                "metadata",
                metadataId,
                Instant.ofEpochSecond(DATE.getEpochSecond()),
                URL,
                CaptureHeader.WARC_FIELDS,
                fields.length,
                digest("fields"),
                null,
                responseId,
                null,
                null,
                null)));
  }

  @Test
  void aValueWithALineBreakIsRefusedNamingTheField() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                CaptureHeader.write(
                    "request",
                    CaptureHeader.newRecordId(),
                    DATE,
                    "http://example.org/\r\nWARC-Type: x",
                    CaptureHeader.HTTP_REQUEST,
                    0,
                    digest(""),
                    null,
                    null,
                    null,
                    null,
                    null));
    assertTrue(e.getMessage().contains("WARC-Target-URI"), e.getMessage());
  }

  @Test
  void recordIdsAreVersionFourUuidsAndDistinct() {
    Pattern form =
        Pattern.compile(
            "urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 100_000; i++) {
      String id = CaptureHeader.newRecordId();
      assertTrue(form.matcher(id).matches(), id);
      seen.add(id);
    }
    assertEquals(100_000, seen.size());
    // Another thread does not repeat this one's sequence.
    String[] other = new String[1];
    Thread t = new Thread(() -> other[0] = CaptureHeader.newRecordId());
    t.start();
    try {
      t.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    assertTrue(!seen.contains(other[0]));
  }

  @Test
  void datesAreFormattedAsInstantAndTheCompactFormatterDo() {
    DateTimeFormatter compact =
        DateTimeFormatter.ofPattern("yyyyMMddHHmmss").withZone(ZoneOffset.UTC);
    Random random = new Random(7);
    long[] fixed = {
      0L,
      1L,
      10L,
      100L,
      999L,
      1000L,
      -1L,
      951_782_400_000L,
      253_402_300_799_999L,
      253_402_300_800_000L,
      -62_167_219_200_000L,
      -62_167_219_200_001L
    };
    for (long millis : fixed) {
      Instant at = Instant.ofEpochMilli(millis);
      assertEquals(at.toString(), Timestamps.warcDate(at), "ms " + millis);
      assertEquals(compact.format(at), Timestamps.cdxj(at), "ms " + millis);
    }
    long millis = 1_700_000_000_000L;
    for (int i = 0; i < 200_000; i++) {
      // Mostly small steps (the cache's case), sometimes jumps across days, years and centuries.
      millis += i % 1000 == 0 ? random.nextInt() * 1000L : random.nextInt(1500);
      Instant at = Instant.ofEpochMilli(millis);
      assertEquals(at.toString(), Timestamps.warcDate(at));
      assertEquals(compact.format(at), Timestamps.cdxj(at));
    }
    Instant nanos = Instant.ofEpochSecond(1_700_000_000L, 123_456_789);
    assertEquals(nanos.toString(), Timestamps.warcDate(nanos));
  }

  @Test
  void indexLinesAreWhatJacksonsGeneratorWrote() throws IOException {
    String[] urls = {
      "http://example.org/",
      "https://example.org/a?q=\"quoted\"&b=back\\slash",
      "http://example.org/caf\u00e9/\u65e5\u672c",
      "http://example.org/tab\there\u0001"
    };
    for (String url : urls) {
      String expected =
          URIs.toNormalizedSurt(url)
              + ' '
              + DateTimeFormatter.ofPattern("yyyyMMddHHmmss").withZone(ZoneOffset.UTC).format(DATE)
              + ' '
              + jacksonJson(url, "text/html", 200, "sha1:ABC", 1234, 56, "f.warc.gz");
      assertEquals(
          expected,
          CdxjLine.format(url, DATE, 200, "text/html", "sha1:ABC", 56, 1234, "f.warc.gz"));
    }
    assertNotEquals(
        -1, CdxjLine.format(URL, DATE, 404, null, "d", 0, 1, "f").indexOf("\"mime\":\"unk\""));
  }

  /** The generator the index was written with before. */
  private static String jacksonJson(
      String url, String mime, int status, String digest, long length, long offset, String file)
      throws IOException {
    StringWriter json = new StringWriter();
    try (JsonGenerator g = Json.MAPPER.getFactory().createGenerator(json)) {
      g.writeStartObject();
      g.writeStringField("url", url);
      g.writeStringField("mime", mime);
      g.writeStringField("status", Integer.toString(status));
      g.writeStringField("digest", digest);
      g.writeStringField("length", Long.toString(length));
      g.writeStringField("offset", Long.toString(offset));
      g.writeStringField("filename", file);
      g.writeEndObject();
    }
    return json.toString();
  }

  private static String text(byte[] bytes) {
    return new String(bytes, StandardCharsets.UTF_8);
  }
}
