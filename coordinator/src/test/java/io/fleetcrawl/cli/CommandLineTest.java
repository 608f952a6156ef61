package io.fleetcrawl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** Bad arguments are refused before anything starts, with exit status 2 and the argument named. */
class CommandLineTest {
  private record Run(int status, String err, String out) {}

  private static Run run(String... args) {
    StringWriter err = new StringWriter();
    StringWriter out = new StringWriter();
    int status =
        Fleetcrawl.commandLine()
            .setErr(new PrintWriter(err, true))
            .setOut(new PrintWriter(out, true))
            .execute(args);
    return new Run(status, err.toString(), out.toString());
  }

  @Test
  void missingSeedsIsRefusedNamingTheOption() {
    Run run = run("crawl", "--out", "x");
    assertEquals(2, run.status());
    assertTrue(run.err().contains("--seeds"), run.err());
  }

  @Test
  void outOfRangeValueIsRefusedNamingTheOption() {
    Run run = run("crawl", "--seeds", "https://example.com/", "--out", "x", "--max-depth", "-1");
    assertEquals(2, run.status());
    assertTrue(run.err().contains("--max-depth"), run.err());
  }

  @Test
  void unreadableSeedFileIsRefusedNamingIt() {
    Run run = run("crawl", "--seeds", "/no/such/seeds.txt", "--out", "x");
    assertEquals(2, run.status());
    assertTrue(run.err().contains("/no/such/seeds.txt"), run.err());
  }

  @Test
  void invalidRegexIsRefusedNamingTheOption() {
    Run run = run("crawl", "--seeds", "https://example.com/", "--out", "x", "--include", "([");
    assertEquals(2, run.status());
    assertTrue(run.err().contains("--include"), run.err());
  }

  @Test
  void unknownScopeIsRefusedNamingTheOption() {
    Run run = run("crawl", "--seeds", "https://example.com/", "--out", "x", "--scope", "planet");
    assertEquals(2, run.status());
    assertTrue(run.err().contains("--scope"), run.err());
  }

  @Test
  void everyCommandHasHelp() {
    for (String command : new String[] {"crawl", "demo", "fetch-bench"}) {
      Run run = run(command, "--help");
      assertEquals(0, run.status());
      assertTrue(run.out().contains("Usage: fleetcrawl " + command), run.out());
    }
  }

  @Test
  void malformedProxyIsRefusedNamingTheFlagButNotThePassword() {
    Run run =
        run(
            "crawl",
            "--seeds",
            "https://example.com/",
            "--out",
            "x",
            "--proxy",
            "ftp://user:hunter2@proxy:21");
    assertEquals(2, run.status());
    assertTrue(run.err().contains("--proxy"), run.err());
    assertTrue(!run.err().contains("hunter2"), run.err());
  }

  @Test
  void outOfRangePoolSettingIsRefusedNamingTheFlag() {
    Run run =
        run("crawl", "--seeds", "https://example.com/", "--out", "x", "--max-wait-queue", "0");
    assertEquals(2, run.status());
    assertTrue(run.err().contains("--max-wait-queue"), run.err());
  }
}
