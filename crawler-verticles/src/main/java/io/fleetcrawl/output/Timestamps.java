package io.fleetcrawl.output;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * The two forms of a capture's date an archive writes: {@code WARC-Date} (ISO-8601 with
 * milliseconds, as {@link Instant#toString}) and the 14-digit CDXJ timestamp. A crawl formats
 * thousands of dates a second that share their second, so each thread keeps the last second's text
 * and adds the milliseconds; {@code java.time}'s formatters cost more per page than the digests.
 */
final class Timestamps {
  private static final ThreadLocal<Timestamps> PER_THREAD =
      ThreadLocal.withInitial(Timestamps::new);

  /**
   * 0001-01-01 and 9999-12-31T23:59:59: the years whose ISO and year-of-era forms are the same four
   * digits, the only ones formatted here (the JDK's formatters take the rest).
   */
  private static final long FIRST_SECOND = -62_135_596_800L;

  private static final long LAST_SECOND = 253_402_300_799L;

  private static final DateTimeFormatter COMPACT =
      DateTimeFormatter.ofPattern("yyyyMMddHHmmss").withZone(ZoneOffset.UTC);

  private long second = Long.MIN_VALUE;
  private String iso;
  private String compact;

  private Timestamps() {}

  /** Returns {@code date.toString()}. */
  static String warcDate(Instant date) {
    int nanos = date.getNano();
    if (nanos % 1_000_000 != 0 || !formattable(date)) {
      return date.toString();
    }
    Timestamps t = PER_THREAD.get().at(date.getEpochSecond());
    int millis = nanos / 1_000_000;
    if (millis == 0) {
      return t.iso + 'Z';
    }
    StringBuilder s = new StringBuilder(24).append(t.iso).append('.');
    if (millis < 100) {
      s.append('0');
    }
    if (millis < 10) {
      s.append('0');
    }
    return s.append(millis).append('Z').toString();
  }

  /** Returns {@code yyyyMMddHHmmss} in UTC. */
  static String cdxj(Instant date) {
    if (!formattable(date)) {
      return COMPACT.format(date);
    }
    return PER_THREAD.get().at(date.getEpochSecond()).compact;
  }

  private static boolean formattable(Instant date) {
    long s = date.getEpochSecond();
    return s >= FIRST_SECOND && s <= LAST_SECOND;
  }

  private Timestamps at(long epochSecond) {
    if (epochSecond != second) {
      LocalDateTime t = LocalDateTime.ofEpochSecond(epochSecond, 0, ZoneOffset.UTC);
      StringBuilder s = new StringBuilder(19);
      pad(s, t.getYear(), 4).append('-');
      pad(s, t.getMonthValue(), 2).append('-');
      pad(s, t.getDayOfMonth(), 2).append('T');
      pad(s, t.getHour(), 2).append(':');
      pad(s, t.getMinute(), 2).append(':');
      pad(s, t.getSecond(), 2);
      iso = s.toString();
      compact =
          new StringBuilder(14)
              .append(iso, 0, 4)
              .append(iso, 5, 7)
              .append(iso, 8, 10)
              .append(iso, 11, 13)
              .append(iso, 14, 16)
              .append(iso, 17, 19)
              .toString();
      second = epochSecond;
    }
    return this;
  }

  private static StringBuilder pad(StringBuilder s, int value, int width) {
    String digits = Integer.toString(value);
    for (int i = digits.length(); i < width; i++) {
      s.append('0');
    }
    return s.append(digits);
  }
}
