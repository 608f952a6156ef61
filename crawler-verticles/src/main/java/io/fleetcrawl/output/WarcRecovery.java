package io.fleetcrawl.output;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
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
 * index. The process's next start writes to a new file, never to this one.
 */
final class WarcRecovery {
  private static final Logger LOG = LoggerFactory.getLogger(WarcRecovery.class);

  private WarcRecovery() {}

  /** A record found whole, with where its gzip member starts. */
  private record Found(long offset, WarcRecord record, int status, String mime) {}

  static void finish(Path open) throws IOException {
    String name = open.getFileName().toString();
    String finalName = name.substring(0, name.length() - WarcResultSink.OPEN_SUFFIX.length());
    long fileSize = Files.size(open);
    List<Found> found = new ArrayList<>();
    long goodEnd = fileSize;
    try (FileChannel channel = FileChannel.open(open, StandardOpenOption.READ);
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
          // The record the kill cut short: everything from its start goes.
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
      long end = goodEnd;
      if (!wholeMember(open, last.offset(), end)) {
        found.remove(found.size() - 1);
        goodEnd = last.offset();
      }
    }
    if (goodEnd < fileSize) {
      try (FileChannel channel = FileChannel.open(open, StandardOpenOption.WRITE)) {
        channel.truncate(goodEnd);
      }
      LOG.warn(
          "{}: cut {} bytes of a record a stopped process left half-written",
          open,
          fileSize - goodEnd);
    }
    List<String> index = new ArrayList<>();
    for (int i = 0; i < found.size(); i++) {
      Found f = found.get(i);
      long end = i + 1 < found.size() ? found.get(i + 1).offset() : goodEnd;
      if (f.record() instanceof WarcResponse || f.record() instanceof WarcRevisit) {
        WarcCaptureRecord capture = (WarcCaptureRecord) f.record();
        index.add(
            CdxjLine.format(
                capture.target(),
                capture.date(),
                f.status(),
                f.record() instanceof WarcRevisit ? "warc/revisit" : f.mime(),
                capture.payloadDigest().map(Object::toString).orElse(null),
                f.offset(),
                end - f.offset(),
                finalName));
      }
    }
    Path finalPath = open.resolveSibling(finalName);
    Files.move(open, finalPath, StandardCopyOption.ATOMIC_MOVE);
    CdxjLine.writeIndex(finalPath, index);
    LOG.info("{}: finished a file left open ({} records kept)", finalPath, found.size());
  }

  private static boolean wholeMember(Path file, long start, long end) {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      channel.position(start);
      InputStream bounded = new BoundedInput(Channels.newInputStream(channel), end - start);
      try (GZIPInputStream gzip = new GZIPInputStream(bounded)) {
        gzip.transferTo(OutputStream.nullOutputStream());
      }
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Reads at most {@code limit} bytes of a stream. */
  private static final class BoundedInput extends InputStream {
    private final InputStream in;
    private long left;

    BoundedInput(InputStream in, long limit) {
      this.in = in;
      this.left = limit;
    }

    @Override
    public int read() throws IOException {
      if (left <= 0) {
        return -1;
      }
      int b = in.read();
      if (b >= 0) {
        left--;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (left <= 0) {
        return -1;
      }
      int n = in.read(b, off, (int) Math.min(len, left));
      if (n > 0) {
        left -= n;
      }
      return n;
    }
  }
}
