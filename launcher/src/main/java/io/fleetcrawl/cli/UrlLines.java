package io.fleetcrawl.cli;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Reads a list of URLs, one per line, judging each line on its own: a line that is not UTF-8 or is
 * absurdly long is refused with its number and the rest are kept, so one bad line never costs the
 * others. Blank lines and lines starting with {@code #} are skipped.
 */
final class UrlLines {
  /** Longest line taken; longer ones are refused, so a hostile file cannot exhaust memory. */
  static final int MAX_LINE_BYTES = 64 * 1024;

  private UrlLines() {}

  /**
   * Returns the URLs; each refused line is reported as {@code NAME line N: why}.
   *
   * @param name how messages name the source, e.g. the file's path
   */
  static List<String> read(InputStream stream, String name, Consumer<String> refused)
      throws IOException {
    List<String> urls = new ArrayList<>();
    CharsetDecoder utf8 =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    InputStream in = new BufferedInputStream(stream);
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    int number = 0;
    boolean tooLong = false;
    for (int b = in.read(); ; b = in.read()) {
      if (b == '\n' || b < 0) {
        if (b >= 0 || line.size() > 0 || tooLong) {
          number++;
          take(line.toByteArray(), tooLong, utf8, name + " line " + number, urls, refused);
        }
        line.reset();
        tooLong = false;
        if (b < 0) {
          return urls;
        }
      } else if (line.size() < MAX_LINE_BYTES) {
        line.write(b);
      } else {
        tooLong = true;
      }
    }
  }

  private static void take(
      byte[] bytes,
      boolean tooLong,
      CharsetDecoder utf8,
      String where,
      List<String> urls,
      Consumer<String> refused) {
    if (tooLong) {
      refused.accept(where + ": longer than " + MAX_LINE_BYTES + " bytes, skipped");
      return;
    }
    String text;
    try {
      text = utf8.decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      refused.accept(where + ": not valid UTF-8, skipped");
      return;
    }
    String s = text.strip();
    if (!s.isEmpty() && !s.startsWith("#")) {
      urls.add(s);
    }
  }
}
