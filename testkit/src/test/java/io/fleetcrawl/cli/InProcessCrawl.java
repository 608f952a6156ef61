package io.fleetcrawl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.JsonNode;
import io.fleetcrawl.bus.Json;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs {@code fleetcrawl crawl} in the test's JVM, as a user would run it, and reads what it left.
 */
final class InProcessCrawl {
  private InProcessCrawl() {}

  /**
   * Runs the command line, asserts that it succeeded, and returns what it printed on stderr (the
   * summary and every refusal).
   */
  static String run(List<String> args) {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream original = System.err;
    int status;
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      status = Fleetcrawl.commandLine().execute(args.toArray(String[]::new));
    } finally {
      System.setErr(original);
    }
    String messages = err.toString(StandardCharsets.UTF_8);
    assertEquals(0, status, messages);
    return messages;
  }

  /**
   * Crawls from one seed into {@code out} on loopback (private networks allowed, no progress line,
   * no WARC) with the extra flags given, and returns the result lines by URL.
   */
  static Map<String, JsonNode> crawl(String seed, Path out, String... extra) throws Exception {
    List<String> args =
        new java.util.ArrayList<>(
            List.of(
                "crawl",
                "--seeds",
                seed,
                "--out",
                out.toString(),
                "--allow-private-networks",
                "--no-progress",
                "--no-warc"));
    args.addAll(List.of(extra));
    run(args);
    return results(out);
  }

  /** Returns the result lines of {@code out/pages.jsonl} by URL; two lines for one URL fail. */
  static Map<String, JsonNode> results(Path out) throws Exception {
    Map<String, JsonNode> results = new HashMap<>();
    for (String line : Files.readAllLines(out.resolve("pages.jsonl"))) {
      JsonNode result = Json.MAPPER.readTree(line);
      JsonNode previous = results.put(result.path("url").asText(), result);
      assertNull(previous, "two results for " + result.path("url"));
    }
    return results;
  }
}
