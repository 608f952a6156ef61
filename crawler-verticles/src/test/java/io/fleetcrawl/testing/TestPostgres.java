package io.fleetcrawl.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.sql.DriverManager;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real PostgreSQL server (Debian's package) in a temporary directory, on a free loopback port,
 * with trust authentication for user {@code postgres}. PostgreSQL refuses to run as root, so when
 * the tests run as root the server runs as the package's {@code postgres} user through {@code
 * runuser}. {@link #close} stops it by its PID and removes the directory.
 */
public final class TestPostgres implements AutoCloseable {
  private final Path dir;
  private final int port;
  private final Process launcher;

  private TestPostgres(Path dir, int port, Process launcher) {
    this.dir = dir;
    this.port = port;
    this.launcher = launcher;
  }

  /**
   * Returns the directory of Debian's newest PostgreSQL binaries, or null when none is installed.
   */
  public static Path binaries() {
    Path root = Path.of("/usr/lib/postgresql");
    if (!Files.isDirectory(root)) {
      return null;
    }
    try (Stream<Path> versions = Files.list(root)) {
      return versions
          .map(v -> v.resolve("bin"))
          .filter(b -> Files.isExecutable(b.resolve("postgres")))
          .max(Comparator.comparing(b -> Integer.parseInt(b.getParent().getFileName().toString())))
          .orElse(null);
    } catch (IOException | NumberFormatException e) {
      return null;
    }
  }

  /** Starts a server; fails when PostgreSQL is not installed (.ci/run installs it). */
  public static TestPostgres start() throws Exception {
    Path bin = binaries();
    if (bin == null) {
      throw new IllegalStateException("PostgreSQL is not installed (apt-get install postgresql)");
    }
    Path dir = Files.createTempDirectory("fleetcrawl-pg-");
    boolean root = "root".equals(System.getProperty("user.name"));
    if (root) {
      UserPrincipal postgres =
          dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postgres");
      Files.setOwner(dir, postgres);
    }
    Path data = dir.resolve("data");
    run(
        as(
            root,
            bin.resolve("initdb").toString(),
            "-D",
            data.toString(),
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",
            "-E",
            "UTF8"),
        dir.resolve("initdb.log"));
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    Process launcher =
        new ProcessBuilder(
                as(
                    root,
                    bin.resolve("postgres").toString(),
                    "-D",
                    data.toString(),
                    "-k",
                    dir.toString(),
                    "-p",
                    Integer.toString(port),
                    "-c",
                    "listen_addresses=127.0.0.1",
                    "-c",
                    "fsync=off"))
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("server.log").toFile())
            .start();
    TestPostgres server = new TestPostgres(dir, port, launcher);
    long deadline = System.currentTimeMillis() + 30_000;
    while (true) {
      try (var c = DriverManager.getConnection(server.url())) {
        return server;
      } catch (java.sql.SQLException e) {
        if (System.currentTimeMillis() > deadline || !launcher.isAlive()) {
          String log = Files.exists(dir.resolve("server.log")) ? server.log() : "";
          server.close();
          throw new IllegalStateException("PostgreSQL did not start: " + e + "\n" + log);
        }
        Thread.sleep(100);
      }
    }
  }

  private static List<String> as(boolean root, String... command) {
    List<String> cmd = new ArrayList<>();
    if (root) {
      cmd.addAll(List.of("runuser", "-u", "postgres", "--"));
    }
    cmd.addAll(List.of(command));
    return cmd;
  }

  private static void run(List<String> command, Path log) throws Exception {
    Process p =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IllegalStateException(command.get(0) + " failed:\n" + Files.readString(log));
    }
  }

  /** Returns the JDBC URL of the server's {@code postgres} database. */
  public String url() {
    return "jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=postgres";
  }

  /** Returns the server's log. */
  public String log() throws IOException {
    return Files.readString(dir.resolve("server.log"));
  }

  /** Stops the server (fast shutdown) by the PID it wrote, and removes its directory. */
  @Override
  public void close() throws Exception {
    Path pidFile = dir.resolve("data").resolve("postmaster.pid");
    if (Files.exists(pidFile)) {
      long pid = Long.parseLong(Files.readAllLines(pidFile).get(0).trim());
      // SIGINT is PostgreSQL's fast shutdown: it ends the sessions left and stops.
      new ProcessBuilder("kill", "-INT", Long.toString(pid)).start().waitFor();
      ProcessHandle.of(pid).ifPresent(h -> h.onExit().join());
    }
    if (!launcher.waitFor(30, TimeUnit.SECONDS)) {
      launcher.destroyForcibly();
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
