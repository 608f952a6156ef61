package io.fleetcrawl.output;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fleetcrawl.bus.Json;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a crawl's archive with readers that are not the crawler's own: webrecorder's warcio (Node,
 * {@code crawler-verticles/src/test/warc-check}) and jwarc's validator in a JVM of its own.
 */
public final class WarcCheck {
  private static final Path CHECKER = Path.of("../crawler-verticles/src/test/warc-check");

  private WarcCheck() {}

  /**
   * Runs the warcio checker over every finished file of a directory, requiring an index beside
   * each; returns its report ({@code problems} empty when all is well).
   *
   * @param expect a JSON file of URL to the path of the bytes served, or null
   */
  public static JsonNode warcio(Path warcs, Path expect) throws Exception {
    assertTrue(
        Files.isDirectory(CHECKER.resolve("node_modules/warcio")),
        "warcio is not installed: run npm ci in " + CHECKER.toAbsolutePath() + " (.ci/run does)");
    Path report = Files.createTempFile("warcio", ".json");
    try {
      List<String> command =
          new ArrayList<>(List.of("node", CHECKER.resolve("check.mjs").toString()));
      command.add(warcs.toString());
      if (expect != null) {
        command.add(expect.toString());
      }
      command.add("--require-cdxj");
      Process p =
          new ProcessBuilder(command)
              .redirectOutput(report.toFile())
              .redirectError(ProcessBuilder.Redirect.INHERIT)
              .start();
      assertTrue(p.waitFor(300, TimeUnit.SECONDS), "warcio check finished");
      JsonNode node = Json.MAPPER.readTree(Files.readString(report, StandardCharsets.UTF_8));
      assertTrue(p.exitValue() == 0 || node.get("problems").size() > 0, "checker exit");
      return node;
    } finally {
      Files.deleteIfExists(report);
    }
  }

  /** What jwarc's validator said: its errors and the offsets of the records it failed. */
  public record Validation(List<String> errors, Set<Long> failedOffsets, String output) {}

  /** Runs jwarc's own validator in a JVM of its own. */
  public static Validation jwarcValidate(List<Path> files) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx128m");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add("org.netpreserve.jwarc.tools.ValidateTool");
    files.forEach(f -> command.add(f.toString()));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS));
    List<String> errors = new ArrayList<>();
    Set<Long> failed = new HashSet<>();
    Pattern failedRecord = Pattern.compile("offset (\\d+) \\(length \\d+\\) .* failed$");
    for (String line : output.split("\n")) {
      if (line.contains("ERROR")) {
        errors.add(line);
      }
      Matcher m = failedRecord.matcher(line);
      if (m.find()) {
        failed.add(Long.parseLong(m.group(1)));
      }
    }
    assertEquals(errors.isEmpty(), p.exitValue() == 0, output);
    return new Validation(errors, failed, output);
  }
}
