package io.fleetcrawl.pool;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.aayushatharva.brotli4j.Brotli4jLoader;
import com.aayushatharva.brotli4j.encoder.Encoder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

class ContentDecoderTest {
  private static final int CAP = 1 << 20;

  /** Some HTML-like text with enough repetition to compress and enough noise to span blocks. */
  private static byte[] body(int size) {
    StringBuilder text = new StringBuilder();
    Random random = new Random(42);
    while (text.length() < size) {
      text.append("<a href=\"/page/").append(random.nextInt(100_000)).append("\">link</a>\n");
    }
    return text.substring(0, size).getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] gzip(byte[] data) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gzip = new GZIPOutputStream(out)) {
      gzip.write(data);
    }
    return out.toByteArray();
  }

  private static byte[] brotli(byte[] data) throws IOException {
    Brotli4jLoader.ensureAvailability();
    return Encoder.compress(data);
  }

  private static byte[] deflate(byte[] data, boolean zlib) {
    Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION, !zlib);
    deflater.setInput(data);
    deflater.finish();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buffer = new byte[8192];
    while (!deflater.finished()) {
      out.write(buffer, 0, deflater.deflate(buffer));
    }
    deflater.end();
    return out.toByteArray();
  }

  /** A gzip member with every optional header field, which GZIPOutputStream never writes. */
  private static byte[] gzipWithAllHeaderFields(byte[] data) {
    ByteArrayOutputStream header = new ByteArrayOutputStream();
    header.writeBytes(
        new byte[] {0x1f, (byte) 0x8b, 8, 0x02 | 0x04 | 0x08 | 0x10, 0, 0, 0, 0, 0, 3});
    byte[] extra = {'A', 'B', 3, 0, 1, 2, 3};
    header.write(extra.length);
    header.write(0);
    header.writeBytes(extra);
    header.writeBytes("index.html\0".getBytes(StandardCharsets.ISO_8859_1));
    header.writeBytes("a comment\0".getBytes(StandardCharsets.ISO_8859_1));
    CRC32 headerCrc = new CRC32();
    headerCrc.update(header.toByteArray());
    header.write((int) headerCrc.getValue() & 0xff);
    header.write((int) (headerCrc.getValue() >> 8) & 0xff);
    header.writeBytes(deflate(data, false));
    CRC32 crc = new CRC32();
    crc.update(data);
    writeIntLe(header, (int) crc.getValue());
    writeIntLe(header, data.length);
    return header.toByteArray();
  }

  private static void writeIntLe(ByteArrayOutputStream out, int value) {
    for (int i = 0; i < 4; i++) {
      out.write(value >>> (8 * i) & 0xff);
    }
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.writeBytes(part);
    }
    return out.toByteArray();
  }

  /** Feeds in chunks of {@code chunk} bytes, as the network would, then ends the body. */
  private static ContentDecoder decode(String encoding, int cap, byte[] raw, int chunk) {
    ContentDecoder decoder = ContentDecoder.forEncoding(encoding, cap);
    for (int off = 0; off < raw.length; off += chunk) {
      decoder.feed(raw, off, Math.min(chunk, raw.length - off));
    }
    decoder.finish();
    return decoder;
  }

  private static void assertDecodedTo(byte[] expected, ContentDecoder decoder) {
    assertNull(decoder.error());
    assertFalse(decoder.failed());
    assertFalse(decoder.truncated());
    assertEquals(expected.length, decoder.decodedLength());
    assertArrayEquals(expected, decoder.decoded());
  }

  @Test
  void absentOrIdentityCodingPassesBytesThrough() {
    byte[] data = body(50_000);
    for (String encoding : new String[] {null, "", " identity ", "Identity"}) {
      ContentDecoder decoder = decode(encoding, CAP, data, 4096);
      assertTrue(decoder.identity(), String.valueOf(encoding));
      assertTrue(decoder.supported());
      assertDecodedTo(data, decoder);
    }
  }

  @Test
  void identityBodyLongerThanTheCapIsCutAtTheCap() {
    ContentDecoder decoder = decode(null, 1000, body(5000), 700);
    assertTrue(decoder.truncated());
    assertArrayEquals(Arrays.copyOf(body(5000), 1000), decoder.decoded());
  }

  @Test
  void gzipRoundTrips() throws IOException {
    byte[] data = body(300_000);
    ContentDecoder decoder = decode("gzip", CAP, gzip(data), 8192);
    assertFalse(decoder.identity());
    assertDecodedTo(data, decoder);
  }

  @Test
  void gzipWithEveryHeaderFieldDecodesWhenFedOneByteAtATime() {
    byte[] data = body(20_000);
    assertDecodedTo(data, decode("gzip", CAP, gzipWithAllHeaderFields(data), 1));
  }

  @Test
  void gzipHeaderFieldsSplitAtEveryPointDecode() {
    byte[] data = body(2_000);
    byte[] raw = gzipWithAllHeaderFields(data);
    for (int split = 1; split < 40; split++) {
      ContentDecoder decoder = ContentDecoder.forEncoding("gzip", CAP);
      decoder.feed(raw, 0, split);
      decoder.feed(raw, split, raw.length - split);
      decoder.finish();
      assertDecodedTo(data, decoder);
    }
  }

  @Test
  void gzipBodyFedOneByteAtATimeDecodes() throws IOException {
    byte[] data = body(100_000);
    assertDecodedTo(data, decode("gzip", CAP, gzip(data), 1));
  }

  @Test
  void codingNamesAreCaseInsensitiveAndWhitespaceTolerant() throws IOException {
    byte[] data = body(10_000);
    assertDecodedTo(data, decode(" GZip ", CAP, gzip(data), 1000));
    assertDecodedTo(data, decode("X-GZIP", CAP, gzip(data), 1000));
    assertDecodedTo(data, decode("identity, gzip", CAP, gzip(data), 1000));
  }

  @Test
  void multiMemberGzipDecodesEveryMember() throws IOException {
    byte[] first = body(30_000);
    byte[] second = "and the second member".getBytes(StandardCharsets.UTF_8);
    assertDecodedTo(
        concat(first, second), decode("gzip", CAP, concat(gzip(first), gzip(second)), 5));
  }

  @Test
  void bytesAfterTheLastGzipMemberAreIgnored() throws IOException {
    byte[] data = body(10_000);
    byte[] raw = concat(gzip(data), new byte[] {0, 0, 0, 0, 'j', 'u', 'n', 'k'});
    assertDecodedTo(data, decode("gzip", CAP, raw, 3));
  }

  @Test
  void zlibWrappedDeflateRoundTrips() {
    byte[] data = body(200_000);
    assertDecodedTo(data, decode("deflate", CAP, deflate(data, true), 4096));
    assertDecodedTo(data, decode("deflate", CAP, deflate(data, true), 1));
  }

  @Test
  void rawDeflateAsManyServersSendItRoundTrips() {
    byte[] data = body(200_000);
    assertDecodedTo(data, decode("deflate", CAP, deflate(data, false), 4096));
    assertDecodedTo(data, decode("deflate", CAP, deflate(data, false), 1));
  }

  @Test
  void brotliRoundTrips() throws IOException {
    assertTrue(ContentDecoder.brotliAvailable());
    byte[] data = body(300_000);
    byte[] raw = brotli(data);
    assertDecodedTo(data, decode("br", CAP, raw, 8192));
    assertDecodedTo(data, decode("BR", CAP, raw, 1));
  }

  @Test
  void stackedCodingsAreDecodedRightToLeft() throws IOException {
    byte[] data = body(200_000);
    // "gzip, br": the server gzipped, then brotli-compressed the gzip stream.
    byte[] raw = brotli(gzip(data));
    assertDecodedTo(data, decode("gzip, br", CAP, raw, 1000));
    assertDecodedTo(data, decode("deflate,gzip", CAP, gzip(deflate(data, true)), 777));
  }

  @Test
  void gzipBombStopsAtTheCapHoldingExactlyTheCap() throws IOException {
    byte[] raw = gzip(new byte[10_000_000]);
    int cap = 64 * 1024;
    ContentDecoder decoder = ContentDecoder.forEncoding("gzip", cap);
    int fed = 0;
    while (fed < raw.length && !decoder.truncated()) {
      int n = Math.min(1024, raw.length - fed);
      decoder.feed(raw, fed, n);
      fed += n;
    }
    decoder.feed(raw, fed, raw.length - fed);
    decoder.finish();
    assertTrue(decoder.truncated());
    assertFalse(decoder.failed(), decoder.error());
    assertEquals(cap, decoder.decodedLength());
    assertArrayEquals(new byte[cap], decoder.decoded());
    assertTrue(fed < raw.length, "stopped long before the end of the compressed body");
  }

  @Test
  void brotliBombStopsAtTheCapHoldingExactlyTheCap() throws IOException {
    int cap = 64 * 1024;
    ContentDecoder decoder = decode("br", cap, brotli(new byte[10_000_000]), 1024);
    assertTrue(decoder.truncated());
    assertFalse(decoder.failed(), decoder.error());
    assertEquals(cap, decoder.decodedLength());
  }

  @Test
  void stackedBombStopsAtTheCap() throws IOException {
    int cap = 64 * 1024;
    byte[] raw = brotli(gzip(new byte[10_000_000]));
    ContentDecoder decoder = decode("gzip, br", cap, raw, 1024);
    assertTrue(decoder.truncated());
    assertEquals(cap, decoder.decodedLength());
  }

  @Test
  void bodyExactlyAsLongAsTheCapIsNotTruncated() throws IOException {
    byte[] data = body(65_536);
    for (String encoding : new String[] {"gzip", "deflate", "br", null}) {
      byte[] raw =
          switch (String.valueOf(encoding)) {
            case "gzip" -> gzip(data);
            case "deflate" -> deflate(data, true);
            case "br" -> brotli(data);
            default -> data;
          };
      assertDecodedTo(data, decode(encoding, data.length, raw, 100));
    }
  }

  @Test
  void notGzipAtAllFailsWithInvalidHeader() {
    ContentDecoder decoder = decode("gzip", CAP, "<html>plain</html>".getBytes(), 5);
    assertTrue(decoder.failed());
    assertEquals("gzip: invalid header", decoder.error());
    assertEquals(0, decoder.decodedLength());
  }

  @Test
  void corruptGzipDataFailsWithAMessage() throws IOException {
    byte[] raw = gzip(body(50_000));
    for (int i = 20; i < raw.length - 8; i += 7) {
      raw[i] ^= 0x5a;
    }
    ContentDecoder decoder = decode("gzip", CAP, raw, 512);
    assertTrue(decoder.failed());
    assertTrue(decoder.error().startsWith("gzip: "), decoder.error());
  }

  @Test
  void gzipWithAWrongChecksumFails() throws IOException {
    byte[] raw = gzip(body(1_000));
    raw[raw.length - 8] ^= 1;
    ContentDecoder decoder = decode("gzip", CAP, raw, 100);
    assertEquals("gzip: crc mismatch", decoder.error());
  }

  @Test
  void bodyCutShortFailsAtFinish() throws IOException {
    byte[] raw = gzip(body(50_000));
    ContentDecoder decoder = decode("gzip", CAP, Arrays.copyOf(raw, raw.length / 2), 512);
    assertTrue(decoder.failed());
    assertEquals("gzip: unexpected end of stream", decoder.error());
    assertTrue(decoder.decodedLength() > 0, "what was decoded stays available");
  }

  @Test
  void corruptBrotliFailsWithAMessage() {
    byte[] raw = body(5_000);
    ContentDecoder decoder = decode("br", CAP, raw, 512);
    assertTrue(decoder.failed());
    assertEquals("br: corrupt stream", decoder.error());
  }

  @Test
  void emptyBodyWithACodingIsNotAnError() {
    for (String encoding : new String[] {"gzip", "deflate", "br"}) {
      ContentDecoder decoder = decode(encoding, CAP, new byte[0], 1);
      assertFalse(decoder.failed(), encoding);
      assertEquals(0, decoder.decoded().length);
    }
  }

  @Test
  void unknownCodingIsUnsupportedAndDecodesNothing() {
    ContentDecoder decoder = decode("gzip, compress", CAP, new byte[] {1, 2, 3}, 1);
    assertFalse(decoder.supported());
    assertFalse(decoder.identity());
    assertFalse(decoder.failed());
    assertEquals("unsupported content coding: compress", decoder.error());
    assertEquals(0, decoder.decodedLength());
  }

  @Test
  void tooManyStackedCodingsAreUnsupported() {
    ContentDecoder decoder = ContentDecoder.forEncoding("gzip,gzip,gzip,gzip,gzip", CAP);
    assertFalse(decoder.supported());
    assertTrue(decoder.error().startsWith("too many content codings"), decoder.error());
  }

  @Test
  void closeIsIdempotentAndLaterInputIsIgnored() throws IOException {
    byte[] data = body(40_000);
    byte[] raw = brotli(data);
    ContentDecoder decoder = ContentDecoder.forEncoding("br", CAP);
    decoder.feed(raw, 0, raw.length / 2);
    long held = decoder.decodedLength();
    decoder.close();
    decoder.close();
    decoder.feed(raw, raw.length / 2, raw.length - raw.length / 2);
    decoder.finish();
    assertEquals(held, decoder.decodedLength());
    assertFalse(decoder.failed());
  }
}
