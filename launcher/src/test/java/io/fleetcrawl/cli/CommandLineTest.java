package io.fleetcrawl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
    for (String command : new String[] {"crawl", "node", "submit", "status"}) {
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

  @Test
  void headerWithLineBreakIsRefusedAtStartNamingIt() {
    Run run =
        run(
            "crawl",
            "--seeds",
            "https://example.com/",
            "--out",
            "x",
            "--header",
            "X-Evil: a\r\nInjected: b");
    assertEquals(2, run.status());
    assertTrue(run.err().contains("--header"), run.err());
    assertTrue(run.err().contains("'X-Evil' has a line break"), run.err());
  }

  @Test
  void hopByHopAndHostHeadersAreRefusedNamingThem() {
    for (String header : List.of("Connection: close", "Host: other.example", "TE: trailers")) {
      Run run = run("crawl", "--seeds", "https://example.com/", "--out", "x", "--header", header);
      assertEquals(2, run.status(), header);
      String name = header.substring(0, header.indexOf(':'));
      assertTrue(run.err().contains("header '" + name + "' cannot be set"), run.err());
    }
  }

  @Test
  void malformedAuthFileIsRefusedNamingTheLineButNotTheSecret(@TempDir Path dir) throws Exception {
    Path auth = dir.resolve("auth");
    Files.writeString(auth, "# sites we own\nintranet.example basic\n");
    Run missingPassword =
        run("crawl", "--seeds", "https://example.com/", "--out", "x", "--auth-file", "" + auth);
    assertEquals(2, missingPassword.status());
    assertTrue(missingPassword.err().contains(auth + " line 2"), missingPassword.err());

    Files.writeString(auth, "intranet.example digest hunter2-secret\n");
    Run unknownScheme =
        run("crawl", "--seeds", "https://example.com/", "--out", "x", "--auth-file", "" + auth);
    assertEquals(2, unknownScheme.status());
    assertTrue(unknownScheme.err().contains("unknown scheme 'digest'"), unknownScheme.err());
    assertFalse(unknownScheme.err().contains("hunter2-secret"), unknownScheme.err());
  }
}
