package io.fleetcrawl.output;

import java.io.ByteArrayOutputStream;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * Writes gzip members (RFC 1952), one per WARC record, with a {@link Deflater} that is reset
 * instead of created anew: {@code GZIPOutputStream} sets up a fresh zlib state per stream, which
 * for three records a page costs about as much as compressing the page itself. Level 1: a crawl
 * compresses every page it fetches, and the higher levels cost far more CPU than the few per cent
 * of size they save on HTML. One instance per thread; not thread-safe.
 */
final class GzipMember {
  private static final ThreadLocal<GzipMember> PER_THREAD =
      ThreadLocal.withInitial(GzipMember::new);

  // ID1 ID2 CM=deflate FLG=0 MTIME=0 XFL=0 OS=unknown
  private static final byte[] HEADER = {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, (byte) 0xff};

  private final Deflater deflater = new Deflater(Deflater.BEST_SPEED, true);
  private final CRC32 crc = new CRC32();
  private final byte[] buffer = new byte[16 * 1024];

  private GzipMember() {}

  /** Returns this thread's writer. */
  static GzipMember get() {
    return PER_THREAD.get();
  }

  /**
   * Appends the concatenation of {@code parts} to {@code out} as one complete gzip member, without
   * joining them first.
   */
  void write(ByteArrayOutputStream out, byte[]... parts) {
    out.write(HEADER, 0, HEADER.length);
    deflater.reset();
    crc.reset();
    long length = 0;
    for (byte[] part : parts) {
      deflater.setInput(part);
      crc.update(part);
      length += part.length;
      while (!deflater.needsInput()) {
        out.write(buffer, 0, deflater.deflate(buffer));
      }
    }
    deflater.finish();
    while (!deflater.finished()) {
      out.write(buffer, 0, deflater.deflate(buffer));
    }
    writeIntLe(out, (int) crc.getValue());
    writeIntLe(out, (int) length);
  }

  private static void writeIntLe(ByteArrayOutputStream out, int value) {
    out.write(value);
    out.write(value >>> 8);
    out.write(value >>> 16);
    out.write(value >>> 24);
  }
}
