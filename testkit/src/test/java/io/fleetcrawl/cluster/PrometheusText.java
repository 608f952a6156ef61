package io.fleetcrawl.cluster;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict reader of the Prometheus text exposition format (0.0.4): every line is a comment ({@code
 * # HELP}, {@code # TYPE}) or a sample {@code name{label="value",...} number}; anything else fails
 * the test that reads it.
 */
final class PrometheusText {
  private static final Pattern SAMPLE =
      Pattern.compile(
          "([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(?:[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\]|\\\\.)*\",?)*\\})?"
              + " (-?[0-9.eE+-]+|NaN|\\+Inf|-Inf)( [0-9]+)?");
  private static final Pattern COMMENT =
      Pattern.compile(
          "# (HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*|TYPE [a-zA-Z_:][a-zA-Z0-9_:]* "
              + "(counter|gauge|histogram|summary|untyped))");

  private PrometheusText() {}

  /** Returns every sample, keyed by name and labels as written. */
  static Map<String, Double> parse(String text) {
    Map<String, Double> samples = new LinkedHashMap<>();
    int n = 0;
    for (String line : text.split("\n")) {
      n++;
      if (line.isEmpty() || COMMENT.matcher(line).matches()) {
        continue;
      }
      Matcher m = SAMPLE.matcher(line);
      if (!m.matches()) {
        throw new AssertionError("line " + n + " is not Prometheus text format: " + line);
      }
      String key = m.group(1) + (m.group(2) == null ? "" : m.group(2));
      samples.put(key, Double.parseDouble(m.group(3).replace("+Inf", "Infinity")));
    }
    if (samples.isEmpty()) {
      throw new AssertionError("no samples");
    }
    return samples;
  }
}
