package io.fleetcrawl.output;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.fleetcrawl.bus.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("url", url);
    fields.put("mime", mime == null ? "unk" : mime);
    fields.put("status", Integer.toString(status));
    fields.put("digest", digest);
    fields.put("length", Long.toString(length));
    fields.put("offset", Long.toString(offset));
    fields.put("filename", file);
    String json;
    try {
      json = Json.MAPPER.writeValueAsString(fields);
    } catch (JsonProcessingException e) {
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
