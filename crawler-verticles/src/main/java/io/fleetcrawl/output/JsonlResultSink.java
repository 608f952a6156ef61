package io.fleetcrawl.output;

import io.fleetcrawl.bus.Json;
import io.fleetcrawl.model.PageResult;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Appends results as JSON lines, to one file or to a series of files rotated by size. Blocking:
 * callers run it off the event loop. A batch is flushed to the operating system before {@link
 * #append} returns, so a result is only acknowledged to the frontier once it is safe from a crash
 * of this process. A batch is never split across two files.
 */
public final class JsonlResultSink implements ResultSink {
  private final Path directory;
  private final String prefix;
  private final long rotateBytes;
  private Path file;
  private OutputStream out;
  private long written;
  private int sequence;

  /** Appends to one file, creating directories and the file as needed. */
  public JsonlResultSink(Path file) {
    this.directory = file.toAbsolutePath().getParent();
    this.prefix = null;
    this.rotateBytes = Long.MAX_VALUE;
    open(file);
  }

  private JsonlResultSink(Path directory, String prefix, long rotateBytes) {
    this.directory = directory;
    this.prefix = prefix;
    this.rotateBytes = rotateBytes;
    this.sequence = lastSequence(directory, prefix);
    open(next());
  }

  /**
   * Writes {@code DIR/PREFIX-000001.jsonl}, {@code -000002}, … starting a new file once one holds
   * {@code rotateBytes}; a restarted node continues after the highest number already there, never
   * appending to an old file.
   */
  public static JsonlResultSink rotating(Path directory, String prefix, long rotateBytes) {
    if (rotateBytes < 1) {
      throw new IllegalArgumentException("invalid rotation size: must be >= 1 byte");
    }
    return new JsonlResultSink(directory, prefix, rotateBytes);
  }

  private static int lastSequence(Path directory, String prefix) {
    Pattern name = Pattern.compile(Pattern.quote(prefix) + "-(\\d{6,})\\.jsonl");
    if (!Files.isDirectory(directory)) {
      return 0;
    }
    try (Stream<Path> files = Files.list(directory)) {
      return files
          .map(p -> name.matcher(p.getFileName().toString()))
          .filter(Matcher::matches)
          .mapToInt(m -> Integer.parseInt(m.group(1)))
          .max()
          .orElse(0);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + directory + ": " + e.getMessage(), e);
    }
  }

  private Path next() {
    sequence++;
    return directory.resolve(String.format("%s-%06d.jsonl", prefix, sequence));
  }

  private synchronized void open(Path target) {
    try {
      Path parent = target.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      out =
          new BufferedOutputStream(
              Files.newOutputStream(target, StandardOpenOption.CREATE, StandardOpenOption.APPEND),
              1 << 16);
      file = target;
      written = Files.size(target);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot open results file " + target + ": " + e.getMessage(), e);
    }
  }

  /**
   * Writes the results ({@link PageResult}s and {@link io.fleetcrawl.model.Retraction}s), one line
   * each, and flushes.
   *
   * @throws UncheckedIOException naming the file when the disk refuses (full, read-only)
   */
  public synchronized void append(List<?> results) {
    try {
      if (prefix != null && written >= rotateBytes) {
        out.close();
        open(next());
      }
      for (Object result : results) {
        byte[] line = Json.toBytes(result);
        out.write(line);
        out.write('\n');
        written += line.length + 1;
      }
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write results to " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Writes one line per page result and retraction; archive-only items ({@link SinkItem.Auxiliary})
   * have no line.
   */
  @Override
  public List<SinkItem> write(List<SinkItem> batch) throws IOException {
    List<Object> lines = new ArrayList<>(batch.size());
    for (SinkItem item : batch) {
      if (item instanceof SinkItem.Page page) {
        lines.add(page.result());
      } else if (item instanceof SinkItem.Retracted retracted) {
        lines.add(retracted.retraction());
      }
    }
    if (!lines.isEmpty()) {
      try {
        append(lines);
      } catch (UncheckedIOException e) {
        throw e.getCause();
      }
    }
    return batch;
  }

  @Override
  public synchronized Map<String, Object> status() {
    return Map.of(
        "resultsDirectory", directory.toString(), "resultsFile", file.toAbsolutePath().toString());
  }

  /** Returns the file being written to now. */
  public synchronized Path file() {
    return file;
  }

  /** Returns the directory the results go to. */
  public Path directory() {
    return directory;
  }

  @Override
  public synchronized void close() {
    try {
      out.close();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot close " + file + ": " + e.getMessage(), e);
    }
  }
}
