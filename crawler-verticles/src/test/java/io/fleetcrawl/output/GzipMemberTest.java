package io.fleetcrawl.output;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

class GzipMemberTest {
  private static final Random RANDOM = new Random(42);

  @Test
  void isaLCompressesOnLinuxX8664() {
    // The archive's speed depends on it where the crawler is benchmarked and shipped.
    assumeTrue(System.getProperty("os.name").toLowerCase(Locale.ROOT).contains("linux"));
    assumeTrue(List.of("amd64", "x86_64").contains(System.getProperty("os.arch")));
    assertEquals("isa-l", GzipMember.ENGINE);
  }

  /** Both engines where ISA-L loads, else zlib alone. */
  private static List<GzipMember> writers() {
    return "isa-l".equals(GzipMember.ENGINE)
        ? List.of(new GzipMember(true), new GzipMember(false))
        : List.of(new GzipMember(false));
  }

  @Test
  void everyRecordSizeIsOneGzipMemberThatDecompressesToItsParts() throws IOException {
    for (GzipMember writer : writers()) {
      everySizeDecompresses(writer);
    }
  }

  private static void everySizeDecompresses(GzipMember writer) throws IOException {
    for (int size :
        new int[] {1, 100, 10_000, 70_000, GzipMember.NATIVE_MAX_BYTES, 3 * 1024 * 1024}) {
      for (byte[] body : List.of(html(size), noise(size))) {
        byte[] head = "WARC/1.1\r\nWARC-Type: response\r\n\r\n".getBytes(StandardCharsets.UTF_8);
        byte[] end = "\r\n\r\n".getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        writer.write(out, head, new byte[0], body, end);
        byte[] expected = concat(head, body, end);
        assertArrayEquals(expected, gunzipOneMember(out.toByteArray()), "size " + size);
        // Bodies over the native limit stream through zlib, so every size ends as one member.
      }
    }
  }

  @Test
  void membersWrittenOneAfterAnotherAreIndependent() throws IOException {
    for (GzipMember writer : writers()) {
      secondMemberReadsAlone(writer);
    }
  }

  private static void secondMemberReadsAlone(GzipMember writer) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    writer.write(out, html(5_000));
    int second = out.size();
    byte[] record = html(20_000);
    writer.write(out, record);
    // A reader seeks to a record's offset (from the CDXJ index) and reads one member from there.
    byte[] all = out.toByteArray();
    assertArrayEquals(record, gunzipOneMember(Arrays.copyOfRange(all, second, all.length)));
  }

  @Test
  void isaLOutputIsNoLargerThanZlibsOnHtml() {
    assumeTrue("isa-l".equals(GzipMember.ENGINE));
    byte[] page = html(10_000);
    ByteArrayOutputStream isal = new ByteArrayOutputStream();
    ByteArrayOutputStream zlib = new ByteArrayOutputStream();
    new GzipMember(true).write(isal, page);
    new GzipMember(false).write(zlib, page);
    assertTrue(isal.size() <= zlib.size() * 105 / 100, isal.size() + " vs " + zlib.size());
  }

  private static void assertTrue(boolean condition, String message) {
    org.junit.jupiter.api.Assertions.assertTrue(condition, message);
  }

  private static byte[] gunzipOneMember(byte[] member) throws IOException {
    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(member))) {
      return in.readAllBytes();
    }
  }

  private static byte[] html(int size) {
    StringBuilder page = new StringBuilder(size + 100);
    int i = 0;
    while (page.length() < size) {
      page.append("<p><a href=\"/p/").append(RANDOM.nextInt(5000)).append(".html\">page ");
      page.append(i++).append("</a> lorem ipsum dolor sit amet</p>\n");
    }
    return Arrays.copyOf(page.toString().getBytes(StandardCharsets.UTF_8), size);
  }

  private static byte[] noise(int size) {
    byte[] bytes = new byte[size];
    RANDOM.nextBytes(bytes);
    return bytes;
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.write(part, 0, part.length);
    }
    return out.toByteArray();
  }
}
