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
import java.util.List;

/**
 * Appends results as JSON lines to one file. Blocking: callers run it off the event loop. A batch
 * is flushed to the operating system before {@link #append} returns, so a result is only
 * acknowledged to the frontier once it is safe from a crash of this process.
 */
public final class JsonlResultSink implements AutoCloseable {
  private final Path file;
  private final OutputStream out;

  /** Opens (creating directories and the file as needed) the file for appending. */
  public JsonlResultSink(Path file) {
    this.file = file;
    try {
      if (file.getParent() != null) {
        Files.createDirectories(file.getParent());
      }
      this.out =
          new BufferedOutputStream(
              Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND),
              1 << 16);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open results file " + file + ": " + e.getMessage(), e);
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
      for (Object result : results) {
        out.write(Json.toBytes(result));
        out.write('\n');
      }
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write results to " + file + ": " + e.getMessage(), e);
    }
  }

  /** Returns the file written to. */
  public Path file() {
    return file;
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
