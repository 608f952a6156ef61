package io.fleetcrawl.output;

import com.fasterxml.jackson.core.JsonGenerator;
import io.fleetcrawl.bus.Json;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import org.netpreserve.jwarc.URIs;

/**
 * CDXJ index lines in the form pywb reads: {@code SURT TIMESTAMP14 {json}}, sorted, one per
 * response or revisit record, pointing at the record's gzip member by offset and length.
 */
final class CdxjLine {
  private static final DateTimeFormatter TIMESTAMP =
      DateTimeFormatter.ofPattern("yyyyMMddHHmmss").withZone(ZoneOffset.UTC);

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
    StringWriter json = new StringWriter(256);
    // Jackson's streaming writer: the fields in pywb's order, escaped, without building a map.
    try (JsonGenerator g = Json.MAPPER.getFactory().createGenerator(json)) {
      g.writeStartObject();
      g.writeStringField("url", url);
      g.writeStringField("mime", mime == null ? "unk" : mime);
      g.writeStringField("status", Integer.toString(status));
      g.writeStringField("digest", digest);
      g.writeStringField("length", Long.toString(length));
      g.writeStringField("offset", Long.toString(offset));
      g.writeStringField("filename", file);
      g.writeEndObject();
    } catch (IOException e) {
      throw new IllegalStateException("cannot format an index line for " + url, e);
    }
    return surt(url) + ' ' + TIMESTAMP.format(date) + ' ' + json;
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
