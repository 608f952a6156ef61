package io.fleetcrawl.config;

import static io.fleetcrawl.model.InvalidInputException.requireSetting;

import java.util.List;
import java.util.Locale;

/**
 * What a crawl keeps of what it fetched. Immutable; validated at start-up.
 *
 * @param warc whether exchanges are archived in WARC files (beside {@code pages.jsonl})
 * @param warcRotateBytes size at which a WARC file is closed and the next started
 * @param storedTypes media-type patterns ({@code text/html}, {@code image/*}, {@code *}) whose
 *     bodies are read and stored whole; for other types the body is not read past the headers
 * @param maxOutlinks most extracted links listed per page in {@code pages.jsonl} and the WARC
 *     metadata record (all of them are still followed)
 */
public record OutputConfig(
    boolean warc, long warcRotateBytes, List<String> storedTypes, int maxOutlinks) {

  public static final long DEFAULT_WARC_ROTATE_BYTES = 1L << 30;
  public static final List<String> DEFAULT_STORED_TYPES = List.of("*");
  public static final int DEFAULT_MAX_OUTLINKS = 1_000;

  public OutputConfig {
    requireSetting(warcRotateBytes >= 1, "warc-rotate-mb", "must be >= 1, was " + warcRotateBytes);
    requireSetting(maxOutlinks >= 0, "max-outlinks", "must be >= 0, was " + maxOutlinks);
    requireSetting(!storedTypes.isEmpty(), "store-types", "must name at least one media type");
    storedTypes = storedTypes.stream().map(t -> t.trim().toLowerCase(Locale.ROOT)).toList();
    for (String type : storedTypes) {
      requireSetting(
          type.equals("*") || type.matches("[a-z0-9!#$&^_.+-]+/([a-z0-9!#$&^_.+-]+|\\*)"),
          "store-types",
          "'" + type + "' is not a media type such as text/html, image/* or *");
    }
  }

  /** Returns the defaults: WARC on, 1 GiB files, every media type stored, 1,000 outlinks. */
  public static OutputConfig defaults() {
    return new OutputConfig(
        true, DEFAULT_WARC_ROTATE_BYTES, DEFAULT_STORED_TYPES, DEFAULT_MAX_OUTLINKS);
  }

  /** Returns whether bodies of a media type (lower case, no parameters; "" if none) are stored. */
  public boolean stores(String mediaType) {
    for (String pattern : storedTypes) {
      if (pattern.equals("*") || pattern.equals(mediaType)) {
        return true;
      }
      if (pattern.endsWith("/*")
          && mediaType.startsWith(pattern.substring(0, pattern.length() - 1))) {
        return true;
      }
    }
    return false;
  }

  /** Returns whether every media type is stored (no check needed per response). */
  public boolean storesAll() {
    return storedTypes.contains("*");
  }
}
