package io.fleetcrawl.output;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.netpreserve.jwarc.URIs;

/**
 * CDXJ index lines in the form pywb reads: {@code SURT TIMESTAMP14 {json}}, sorted, one per
 * response or revisit record, pointing at the record's gzip member by offset and length.
 */
final class CdxjLine {
  private CdxjLine() {}

  static String format(
      String url,
      Instant date,
      int status,
      String mime,
      String digest,
      long offset,
      long length,
      String file) {
    // The fields in pywb's order, escaped as Jackson escapes them (quotes, backslashes and control
    // characters; the rest as is), in a line built once instead of through a generator per record.
    StringBuilder line = new StringBuilder(200 + 2 * url.length());
    line.append(surt(url)).append(' ').append(Timestamps.cdxj(date)).append(" {");
    string(line, "url", url).append(',');
    string(line, "mime", mime == null ? "unk" : mime).append(',');
    string(line, "status", Integer.toString(status)).append(',');
    string(line, "digest", digest).append(',');
    string(line, "length", Long.toString(length)).append(',');
    string(line, "offset", Long.toString(offset)).append(',');
    string(line, "filename", file);
    return line.append('}').toString();
  }

  private static StringBuilder string(StringBuilder line, String name, String value) {
    line.append('"').append(name).append("\":\"");
    JsonStringEncoder.getInstance().quoteAsString(value, line);
    return line.append('"');
  }

  private static String surt(String url) {
    try {
      return URIs.toNormalizedSurt(url);
    } catch (RuntimeException e) {
      // A URL the normaliser cannot take still gets a line a reader can find by its text.
      return url.replace(' ', '+');
    }
  }

  /** Writes the sorted index beside a finished WARC file, atomically. */
  static void writeIndex(Path warc, List<String> lines) throws IOException {
    List<String> sorted = new ArrayList<>(lines);
    // pywb binary-searches the file: byte order of the UTF-8 lines, which for these keys
    // (ASCII SURTs and timestamps first) equals String order.
    sorted.sort(null);
    Path index = warc.resolveSibling(warc.getFileName() + ".cdxj");
    Path temp = warc.resolveSibling(warc.getFileName() + ".cdxj.tmp");
    try {
      Files.write(temp, sorted, StandardCharsets.UTF_8);
      Files.move(temp, index, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      Files.deleteIfExists(temp);
      throw new IOException("cannot write WARC index " + index + ": " + e.getMessage(), e);
    }
  }
}
