package io.fleetcrawl.parse;

import java.io.IOException;
import java.io.Reader;

/**
 * Reads a page with every long run of characters that cannot end or open markup cut short.
 *
 * <p>jsoup builds each text, comment or attribute token whole before it hands it on, and replaces
 * NULs with a copy of the token besides: a 10 MiB body of zeros or of one letter (a decompression
 * bomb cut at the body cap, an endless chunked body) cost one streaming parse about 90 MiB of
 * transient heap, and ran a 512 MiB node out of memory while other bodies were held. Links are read
 * from markup, never from such runs, so a run keeps its first {@value #RUN_CAP} characters and the
 * rest are dropped. Characters that take part in markup ({@code < > & " ' = - / ! ? [ ] `}) are
 * never dropped and end the run, so a comment, attribute or CDATA section still ends where it did.
 */
final class InertRuns extends Reader {
  /** A run's characters kept; far above any URL or attribute a link is read from. */
  static final int RUN_CAP = 64 << 10;

  private final Reader in;
  private int run;

  InertRuns(Reader in) {
    this.in = in;
  }

  @Override
  public int read(char[] buffer, int offset, int length) throws IOException {
    while (true) {
      int n = in.read(buffer, offset, length);
      if (n <= 0) {
        return n;
      }
      int kept = offset;
      for (int i = offset; i < offset + n; i++) {
        char c = buffer[i];
        if (isMarkup(c)) {
          run = 0;
        } else if (run++ >= RUN_CAP) {
          continue;
        }
        buffer[kept++] = c;
      }
      // A read that dropped everything reads on: returning 0 would look like a stalled stream.
      if (kept > offset) {
        return kept - offset;
      }
    }
  }

  private static boolean isMarkup(char c) {
    return switch (c) {
      case '<', '>', '&', '"', '\'', '=', '-', '/', '!', '?', '[', ']', '`' -> true;
      default -> false;
    };
  }

  @Override
  public void close() throws IOException {
    in.close();
  }
}
