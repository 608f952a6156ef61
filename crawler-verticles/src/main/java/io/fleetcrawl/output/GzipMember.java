package io.fleetcrawl.output;

import com.intel.gkl.compression.IntelDeflater;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes gzip members (RFC 1952), one per WARC record.
 *
 * <p>Compressing every page is the largest single cost of archiving, so records go through Intel's
 * ISA-L deflate (through GKL, the library genomics' BGZF writers use for the same job of many small
 * members) where its native library loads: at level 1 it is about 2.8 times as fast as zlib on HTML
 * pages and its output is slightly smaller. Elsewhere (another CPU architecture, or {@code
 * -Dfleetcrawl.warc.deflate=zlib}) the JDK's zlib does it. Either way the {@link Deflater} is reset
 * instead of created anew: {@code GZIPOutputStream} sets up a fresh zlib state per stream, which
 * for three records a page costs about as much as compressing the page itself. Level 1: a crawl
 * compresses every page it fetches, and the higher levels cost far more CPU than the few per cent
 * of size they save on HTML. One instance per thread; not thread-safe.
 */
final class GzipMember {
  private static final Logger LOG = LoggerFactory.getLogger(GzipMember.class);

  /** The compressor every thread's writer uses, chosen once per JVM: "isa-l" or "zlib". */
  static final String ENGINE = chooseEngine();

  /**
   * ISA-L compresses a record in one call, from one joined input into one output buffer that must
   * hold it all; larger records (rare: bodies of several MiB) stream through zlib instead, so no
   * thread keeps buffers the size of the largest body ever fetched.
   */
  static final int NATIVE_MAX_BYTES = 1 << 20;

  private static final ThreadLocal<GzipMember> PER_THREAD =
      ThreadLocal.withInitial(GzipMember::new);

  // ID1 ID2 CM=deflate FLG=0 MTIME=0 XFL=0 OS=unknown
  private static final byte[] HEADER = {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, (byte) 0xff};

  private final Deflater zlib = new Deflater(Deflater.BEST_SPEED, true);
  private final Deflater isal;
  private final CRC32 crc = new CRC32();
  private final byte[] buffer = new byte[16 * 1024];
  private byte[] joined = new byte[32 * 1024];
  private byte[] compressed = new byte[40 * 1024];

  private GzipMember() {
    this("isa-l".equals(ENGINE));
  }

  /** A writer that uses ISA-L (whose library must have loaded) or zlib only. */
  GzipMember(boolean nativeDeflate) {
    isal = nativeDeflate ? new IntelDeflater(1, true) : null;
  }

  /** Returns this thread's writer. */
  static GzipMember get() {
    return PER_THREAD.get();
  }

  /** Appends the concatenation of {@code parts} to {@code out} as one complete gzip member. */
  void write(ByteArrayOutputStream out, byte[]... parts) {
    long length = 0;
    for (byte[] part : parts) {
      length += part.length;
    }
    out.write(HEADER, 0, HEADER.length);
    if (isal == null || length == 0 || length > NATIVE_MAX_BYTES || !writeNative(out, parts)) {
      writeZlib(out, parts);
    }
    writeIntLe(out, (int) crc.getValue());
    writeIntLe(out, (int) length);
  }

  private boolean writeNative(ByteArrayOutputStream out, byte[][] parts) {
    int total = 0;
    for (byte[] part : parts) {
      total += part.length;
    }
    joined = fit(joined, total);
    int length = 0;
    for (byte[] part : parts) {
      System.arraycopy(part, 0, joined, length, part.length);
      length += part.length;
    }
    // Deflate's worst case (fixed Huffman codes on incompressible input) is 9 bits a byte.
    compressed = fit(compressed, length + (length >>> 3) + 1024);
    int written;
    try {
      isal.reset();
      isal.setInput(joined, 0, length);
      isal.finish();
      written = isal.deflate(compressed, 0, compressed.length);
    } catch (RuntimeException e) {
      LOG.debug("ISA-L deflate failed, zlib writes this record: {}", e.toString());
      return false;
    }
    if (!isal.finished()) {
      return false;
    }
    crc.reset();
    crc.update(joined, 0, length);
    out.write(compressed, 0, written);
    return true;
  }

  private void writeZlib(ByteArrayOutputStream out, byte[][] parts) {
    crc.reset();
    zlib.reset();
    for (byte[] part : parts) {
      zlib.setInput(part);
      crc.update(part);
      while (!zlib.needsInput()) {
        out.write(buffer, 0, zlib.deflate(buffer));
      }
    }
    zlib.finish();
    while (!zlib.finished()) {
      out.write(buffer, 0, zlib.deflate(buffer));
    }
  }

  /** Returns {@code array} if it holds {@code needed} bytes, else a larger one (contents lost). */
  private static byte[] fit(byte[] array, int needed) {
    if (array.length >= needed) {
      return array;
    }
    return new byte[Math.max(needed, Math.min(NATIVE_MAX_BYTES * 2, array.length * 2))];
  }

  private static void writeIntLe(ByteArrayOutputStream out, int value) {
    out.write(value);
    out.write(value >>> 8);
    out.write(value >>> 16);
    out.write(value >>> 24);
  }

  private static String chooseEngine() {
    if ("zlib".equalsIgnoreCase(System.getProperty("fleetcrawl.warc.deflate", ""))) {
      return "zlib";
    }
    Path dir = null;
    try {
      // GKL copies its library into this directory and loads it from there; the copy is removed
      // at once (a loaded library needs no file), so no process leaves one behind, killed or not.
      dir = Files.createTempDirectory("fleetcrawl-isal-");
      boolean loaded = new IntelDeflater(1, true).load(dir.toFile());
      LOG.debug("ISA-L deflate {}", loaded ? "loaded" : "not available here; zlib is used");
      return loaded ? "isa-l" : "zlib";
    } catch (IOException | RuntimeException | LinkageError e) {
      LOG.debug("ISA-L deflate not available here ({}); zlib is used", e.toString());
      return "zlib";
    } finally {
      if (dir != null) {
        deleteTree(dir);
      }
    }
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    } catch (IOException e) {
      LOG.warn("cannot remove {}: {}", dir, e.toString());
    }
  }
}
