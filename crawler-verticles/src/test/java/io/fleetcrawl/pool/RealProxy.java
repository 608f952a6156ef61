package io.fleetcrawl.pool;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real proxy server from Debian's packages, started in the foreground for one test with its
 * configuration and log in a temporary directory, and stopped (with its children) afterwards.
 * {@code .ci/run} installs the packages and the SOCKS user.
 */
final class RealProxy implements AutoCloseable {
  static final String SOCKS_USER = "fcsocks";
  static final String SOCKS_PASSWORD = "s0cks-pass";
  static final String HTTP_USER = "bench";
  static final String HTTP_PASSWORD = "s3cret";

  final Path log;
  final int port;
  private final Process process;

  private RealProxy(Process process, Path log, int port) {
    this.process = process;
    this.log = log;
    this.port = port;
  }

  /** Starts tinyproxy with Basic auth on 127.0.0.1:{@code port}. */
  static RealProxy tinyproxy(Path dir, int port) throws Exception {
    Path log = dir.resolve("tinyproxy.log");
    Path conf = dir.resolve("tinyproxy.conf");
    Files.writeString(
        conf,
        String.join(
            "\n",
            "Port " + port,
            "Listen 127.0.0.1",
            "Timeout 60",
            "MaxClients 200",
            "Allow 127.0.0.0/8",
            "BasicAuth " + HTTP_USER + " " + HTTP_PASSWORD,
            "LogLevel Connect",
            "LogFile \"" + log + "\"",
            "PidFile \"" + dir.resolve("tinyproxy.pid") + "\"",
            isRoot() ? "User nobody\nGroup nogroup" : "",
            ""));
    Files.createFile(log);
    if (isRoot()) {
      Files.setPosixFilePermissions(
          dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
      Files.setPosixFilePermissions(
          log, java.nio.file.attribute.PosixFilePermissions.fromString("rw-rw-rw-"));
    }
    return start(
        List.of(binary("/usr/bin/tinyproxy", "tinyproxy"), "-d", "-c", conf.toString()), log, port);
  }

  /** Starts Dante with username (system password) authentication on 127.0.0.1:{@code port}. */
  static RealProxy dante(Path dir, int port) throws Exception {
    if (!isRoot()) {
      throw new IllegalStateException(
          "Dante's username method reads system passwords: run the tests as root (as CI does)");
    }
    Path log = dir.resolve("danted.log");
    Path conf = dir.resolve("danted.conf");
    Files.writeString(
        conf,
        String.join(
            "\n",
            "logoutput: " + log,
            "internal: 127.0.0.1 port = " + port,
            "external: 127.0.0.1",
            "socksmethod: username",
            "clientmethod: none",
            "user.privileged: root",
            "user.unprivileged: nobody",
            // Dante wants each rule keyword on its own line.
            "client pass {",
            "  from: 127.0.0.0/8 to: 0.0.0.0/0",
            "  log: error",
            "}",
            "socks pass {",
            "  from: 127.0.0.0/8 to: 127.0.0.0/8",
            "  command: connect",
            "  log: connect error",
            "}",
            ""));
    return start(
        List.of(
            binary("/usr/sbin/danted", "dante-server"),
            "-f",
            conf.toString(),
            "-p",
            dir.resolve("danted.pid").toString(),
            "-N",
            "1"),
        log,
        port);
  }

  private static RealProxy start(List<String> command, Path log, int port) throws Exception {
    Process process =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(log.resolveSibling("stdout.txt").toFile())
            .start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
        return new RealProxy(process, log, port);
      } catch (IOException notYet) {
        if (!process.isAlive()) {
          break;
        }
        Thread.sleep(50);
      }
    }
    process.destroyForcibly();
    throw new IllegalStateException(
        command.get(0) + " did not start: " + Files.readString(log.resolveSibling("stdout.txt")));
  }

  private static String binary(String path, String debianPackage) {
    if (!Files.isExecutable(Path.of(path))) {
      throw new IllegalStateException(
          path + " missing: install Debian's " + debianPackage + " (.ci/run does)");
    }
    return path;
  }

  static boolean isRoot() {
    return "root".equals(System.getProperty("user.name"));
  }

  /** Returns the lines of the proxy's log that contain {@code marker}. */
  long logLines(String marker) throws IOException {
    return Files.readAllLines(log).stream().filter(l -> l.contains(marker)).count();
  }

  /** Returns the whole log. */
  String logText() throws IOException {
    return Files.readString(log);
  }

  /** Returns a free loopback port. */
  static int freePort() throws IOException {
    try (var socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  @Override
  public void close() throws Exception {
    process.descendants().forEach(ProcessHandle::destroy);
    process.destroy();
    if (!process.waitFor(5, TimeUnit.SECONDS)) {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
    }
  }
}
