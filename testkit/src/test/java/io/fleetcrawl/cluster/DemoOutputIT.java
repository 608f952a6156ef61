package io.fleetcrawl.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a newcomer sees on the README's first command: the demo, as its own JVM with the logging
 * configuration the jar ships (not the tests' one), prints its progress and summary and no warning
 * or error they could not act on.
 */
@Tag("integration")
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class DemoOutputIT {
  @TempDir Path dir;

  @Test
  void theDemoPrintsNoWarningANewcomerCannotActOn() throws Exception {
    Path log = dir.resolve("demo.log");
    // The jar's own logging configuration: the tests' logback-test.xml would hide what it shows.
    String logging =
        "-Dlogback.configurationFile="
            + Path.of("../launcher/src/main/resources/logback.xml").toAbsolutePath();
    List<String> cmd =
        NodeProcess.command(
            List.of(),
            List.of(logging),
            List.of("demo", "--pages-per-host", "200", "--out", dir.resolve("out").toString()));
    Process demo =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      assertTrue(demo.waitFor(150, TimeUnit.SECONDS), "the demo ends");
    } finally {
      demo.destroyForcibly();
    }
    String output = Files.readString(log, StandardCharsets.UTF_8);
    assertEquals(0, demo.exitValue(), output);
    assertTrue(output.contains("done: "), "the summary line is printed:\n" + output);
    List<String> alarming =
        output.lines().filter(l -> l.matches(".*\\b(WARN|ERROR)\\b.*")).toList();
    assertEquals(List.of(), alarming, "warnings or errors in the demo's output");
  }
}
