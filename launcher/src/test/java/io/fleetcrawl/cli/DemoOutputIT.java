package io.fleetcrawl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"));
    // The jar's own logging configuration: the tests' logback-test.xml would hide what it shows.
    cmd.add(
        "-Dlogback.configurationFile="
            + Path.of("src/main/resources/logback.xml").toAbsolutePath());
    cmd.addAll(
        List.of(
            "--add-modules",
            "java.se",
            "--add-exports",
            "java.base/jdk.internal.ref=ALL-UNNAMED",
            "--add-opens",
            "java.base/java.lang=ALL-UNNAMED",
            "--add-opens",
            "java.base/sun.nio.ch=ALL-UNNAMED",
            "--add-opens",
            "java.management/sun.management=ALL-UNNAMED",
            "--add-opens",
            "jdk.management/com.sun.management.internal=ALL-UNNAMED",
            "-cp",
            System.getProperty("java.class.path"),
            "io.fleetcrawl.cli.Fleetcrawl",
            "demo",
            "--pages-per-host",
            "200",
            "--out",
            dir.resolve("out").toString()));
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
