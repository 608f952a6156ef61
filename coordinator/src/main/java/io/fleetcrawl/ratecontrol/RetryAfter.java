package io.fleetcrawl.ratecontrol;

import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/** Reads the Retry-After header, which is either delta-seconds or an HTTP-date (RFC 9110). */
public final class RetryAfter {
  /** The longest pause a server can impose through one header: an hour. */
  public static final long MAX_MS = 3_600_000L;

  private RetryAfter() {}

  /**
   * Returns the pause in milliseconds the header asks for, capped at {@link #MAX_MS}, or -1 when
   * the header is absent or unreadable.
   *
   * @param nowMs epoch milliseconds, for HTTP-dates
   */
  public static long parseMs(String header, long nowMs) {
    if (header == null || header.isBlank()) {
      return -1;
    }
    String value = header.trim();
    if (value.chars().allMatch(Character::isDigit)) {
      try {
        return Math.min(MAX_MS, Math.multiplyExact(Long.parseLong(value), 1000L));
      } catch (ArithmeticException | NumberFormatException e) {
        return MAX_MS;
      }
    }
    try {
      long at =
          ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME)
              .toInstant()
              .toEpochMilli();
      return Math.min(MAX_MS, Math.max(0, at - nowMs));
    } catch (DateTimeParseException e) {
      return -1;
    }
  }

  /**
   * Returns when a 429/503's Retry-After lets requests resume (epoch ms), or 0 when the status is
   * no throttle or the header is absent or unreadable. The one reading of the header: the worker's
   * outcome policy and the coordinator's reports both use it.
   */
  public static long until(int status, String header, long nowMs) {
    if (!HostSignal.isThrottle(status)) {
      return 0;
    }
    long pause = parseMs(header, nowMs);
    return pause >= 0 ? nowMs + pause : 0;
  }
}
