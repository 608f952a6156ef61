package io.fleetcrawl.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import io.fleetcrawl.bus.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real {@code fleetcrawl} JVM started from the test's classpath, with a small heap and the flags
 * Hazelcast needs; its output goes to a file in the test's directory. Tests end it themselves
 * (SIGTERM, SIGKILL); {@link #close} makes sure none outlives the test.
 */
final class NodeProcess implements AutoCloseable {
  private static final Pattern STATUS = Pattern.compile("status http://([0-9.]+):(\\d+)/status");
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  /**
   * The node JVMs' {@code java.io.tmpdir}: brotli4j unpacks its native library there, and a node
   * the test kills with SIGKILL leaves that behind. This JVM deletes the directory when it exits.
   */
  private static final Path NODE_TMP = nodeTmp();

  final String name;
  final Process process;
  final Path log;
  private int statusPort = -1;

  private NodeProcess(String name, Process process, Path log) {
    this.name = name;
    this.process = process;
    this.log = log;
  }

  private static Path nodeTmp() {
    try {
      Path dir = Files.createTempDirectory("fleetcrawl-node-tmp");
      Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(dir)));
      return dir;
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static void deleteTree(Path dir) {
    try (java.util.stream.Stream<Path> paths = Files.walk(dir)) {
      paths
          .sorted(java.util.Comparator.reverseOrder())
          .forEach(
              p -> {
                try {
                  Files.deleteIfExists(p);
                } catch (IOException e) {
                  // Best effort at exit: a file still held open stays.
                }
              });
    } catch (IOException e) {
      // Nothing to delete, or no longer readable.
    }
  }

  /** Returns the java command line running {@code fleetcrawl} with these arguments. */
  static List<String> command(List<String> args) {
    return command(List.of(), List.of(), args);
  }

  /**
   * Returns the command line running {@code fleetcrawl} under a wrapper (such as {@code ip netns
   * exec NS}), with extra JVM flags, and these arguments.
   */
  static List<String> command(List<String> wrapper, List<String> jvmFlags, List<String> args) {
    return java(wrapper, jvmFlags, "io.fleetcrawl.cli.Fleetcrawl", args);
  }

  /**
   * Returns the command line running a main class of the test's class path in a JVM set up as a
   * node's is (small heap, its own temp directory).
   */
  static List<String> java(
      List<String> wrapper, List<String> jvmFlags, String mainClass, List<String> args) {
    List<String> cmd = new ArrayList<>(wrapper);
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvmFlags);
    cmd.add("-Xmx256m");
    cmd.add("-XX:+UseSerialGC");
    cmd.add("-XX:TieredStopAtLevel=1");
    cmd.add("-Djava.io.tmpdir=" + NODE_TMP);
    for (String flag :
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
            "jdk.management/com.sun.management.internal=ALL-UNNAMED")) {
      cmd.add(flag);
    }
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(mainClass);
    cmd.addAll(args);
    return cmd;
  }

  /** Starts {@code fleetcrawl node} with these extra arguments; does not wait for it to join. */
  static NodeProcess startNode(String name, Path dir, List<String> args) throws IOException {
    return startNode(name, List.of(), List.of(), args);
  }

  /** Starts {@code fleetcrawl node} under a wrapper command, with extra JVM flags. */
  static NodeProcess startNode(
      String name, List<String> wrapper, List<String> jvmFlags, List<String> args)
      throws IOException {
    List<String> all = new ArrayList<>(List.of("node", "--node-name", name, "--status-port", "0"));
    all.addAll(args);
    // Logs outlive the test's temporary directory, for reading after a failure.
    Path logs = Path.of("target", "node-logs");
    Files.createDirectories(logs);
    Path log = Files.createTempFile(logs, name + "-", ".log");
    Process process =
        new ProcessBuilder(command(wrapper, jvmFlags, all))
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    return new NodeProcess(name, process, log);
  }

  /** Waits until the node printed its joined line; returns this. */
  NodeProcess awaitJoined(long timeoutMs) throws Exception {
    long deadline = System.currentTimeMillis() + timeoutMs;
    while (System.currentTimeMillis() < deadline) {
      Matcher m = STATUS.matcher(Files.readString(log));
      if (m.find()) {
        statusPort = Integer.parseInt(m.group(2));
        return this;
      }
      if (!process.isAlive()) {
        throw new IllegalStateException(name + " exited " + process.exitValue() + ":\n" + tail());
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException(name + " did not join in " + timeoutMs + " ms:\n" + tail());
  }

  /** Returns the node's /status document. */
  JsonNode status() throws Exception {
    return statusWith("");
  }

  /** Returns the node's /status document for a query string such as {@code ?invariants=1}. */
  JsonNode statusWith(String query) throws Exception {
    HttpResponse<byte[]> response =
        HTTP.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + statusPort + "/status" + query))
                .timeout(Duration.ofSeconds(10))
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    if (response.statusCode() != 200) {
      throw new IllegalStateException(name + " /status answered " + response.statusCode());
    }
    return Json.MAPPER.readTree(response.body());
  }

  /** Returns the node's status endpoint, {@code http://127.0.0.1:PORT}. */
  String baseUrl() {
    return "http://127.0.0.1:" + statusPort;
  }

  /** Returns the body of a GET on the node's status port. */
  String get(String path) throws Exception {
    HttpResponse<String> response =
        HTTP.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + statusPort + path))
                .timeout(Duration.ofSeconds(10))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IllegalStateException(name + " " + path + " answered " + response.statusCode());
    }
    return response.body();
  }

  long pid() {
    return process.pid();
  }

  /** Sends a signal by name (STOP, CONT) with the system's kill command. */
  void signal(String signal) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid())).start();
    if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new IllegalStateException("kill -" + signal + " " + pid() + " failed");
    }
  }

  /** Returns the end of the node's output, for failure messages. */
  String tail() {
    try {
      String text = Files.readString(log);
      return text.substring(Math.max(0, text.length() - 4_000));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  @Override
  public void close() throws Exception {
    if (process.isAlive()) {
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
    }
  }
}
