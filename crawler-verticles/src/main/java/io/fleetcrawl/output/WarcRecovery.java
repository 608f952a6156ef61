package io.fleetcrawl.output;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.netpreserve.jwarc.WarcCaptureRecord;
import org.netpreserve.jwarc.WarcReader;
import org.netpreserve.jwarc.WarcRecord;
import org.netpreserve.jwarc.WarcResponse;
import org.netpreserve.jwarc.WarcRevisit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finishes a WARC file that a killed process left open: keeps every whole record, cuts off the one
 * record the kill may have left half-written, renames the file to its final name and writes its
 * index. The process's next start writes to a new file, never to this one. Also rebuilds the index
 * of a finished file whose index could not be written.
 */
final class WarcRecovery {
  private static final Logger LOG = LoggerFactory.getLogger(WarcRecovery.class);

  private WarcRecovery() {}

  /** A record found whole, with where its gzip member starts. */
  private record Found(long offset, WarcRecord record, int status, String mime) {}

  /** The records of a file found whole, and where the whole part ends. */
  private record Scan(List<Found> found, long goodEnd) {}

  static void finish(Path open) throws IOException {
    String name = fileName(open);
    String finalName = name.substring(0, name.length() - WarcResultSink.OPEN_SUFFIX.length());
    long fileSize = Files.size(open);
    Scan scan = scan(open);
    if (scan.goodEnd() < fileSize) {
      try (FileChannel channel = FileChannel.open(open, StandardOpenOption.WRITE)) {
        channel.truncate(scan.goodEnd());
      }
      LOG.warn(
          "{}: cut {} bytes of a record a stopped process left half-written",
          open,
          fileSize - scan.goodEnd());
    }
    Path finalPath = open.resolveSibling(finalName);
    Files.move(open, finalPath, StandardCopyOption.ATOMIC_MOVE);
    CdxjLine.writeIndex(finalPath, index(scan, finalName));
    LOG.info("{}: finished a file left open ({} records kept)", finalPath, scan.found().size());
  }

  private static String fileName(Path file) {
    Path name = file.getFileName();
    if (name == null) {
      throw new IllegalArgumentException("not a WARC file: " + file);
    }
    return name.toString();
  }

  /** Writes the index of a finished file whose own index could not be written (a full disk). */
  static void reindex(Path finished) throws IOException {
    CdxjLine.writeIndex(finished, index(scan(finished), fileName(finished)));
    LOG.info("{}: index written again", finished);
  }

  private static Scan scan(Path file) throws IOException {
    List<Found> found = new ArrayList<>();
    long goodEnd = Files.size(file);
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
        WarcReader reader = new WarcReader(channel)) {
      while (true) {
        long start = reader.position();
        WarcRecord record;
        int status = 0;
        String mime = null;
        try {
          var next = reader.next();
          if (next.isEmpty()) {
            break;
          }
          record = next.get();
          start = record.position();
          if (record instanceof WarcResponse response) {
            status = response.http().status();
            mime = response.http().contentType().base().toString();
          } else if (record instanceof WarcRevisit revisit) {
            status = revisit.http().status();
          }
          record.body().consume();
        } catch (IOException | RuntimeException e) {
          // The record a kill cut short: everything from its start goes.
          goodEnd = start;
          break;
        }
        found.add(new Found(start, record, status, mime));
      }
    }
    // The last member must decompress to its end with a valid trailer; the reader may have
    // accepted a record whose gzip member was cut after the WARC block.
    if (!found.isEmpty()) {
      Found last = found.get(found.size() - 1);
      if (!wholeMember(file, last.offset(), goodEnd)) {
        found.remove(found.size() - 1);
        goodEnd = last.offset();
      }
    }
    return new Scan(found, goodEnd);
  }

  private static List<String> index(Scan scan, String fileName) {
    List<Found> found = scan.found();
    List<String> index = new ArrayList<>();
    for (int i = 0; i < found.size(); i++) {
      Found f = found.get(i);
      long end = i + 1 < found.size() ? found.get(i + 1).offset() : scan.goodEnd();
      if (f.record() instanceof WarcCaptureRecord capture
          && (f.record() instanceof WarcResponse || f.record() instanceof WarcRevisit)) {
        index.add(
            CdxjLine.format(
                capture.target(),
                capture.date(),
                f.status(),
                f.record() instanceof WarcRevisit ? "warc/revisit" : f.mime(),
                capture.payloadDigest().map(Object::toString).orElse(null),
                f.offset(),
                end - f.offset(),
                fileName));
      }
    }
    return index;
  }

  /** Whether the gzip member in {@code [start, end)} decompresses to its end, trailer included. */
  private static boolean wholeMember(Path file, long start, long end) {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer member = ByteBuffer.allocate(Math.toIntExact(end - start));
      while (member.hasRemaining() && channel.read(member, start + member.position()) > 0) {
        // Reads the member whole; one record is at most a body cap plus its headers.
      }
      try (GZIPInputStream gzip =
          new GZIPInputStream(new ByteArrayInputStream(member.array(), 0, member.position()))) {
        gzip.transferTo(OutputStream.nullOutputStream());
      }
      return true;
    } catch (IOException | ArithmeticException e) {
      return false;
    }
  }
}
