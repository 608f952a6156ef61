package io.fleetcrawl.testkit.net;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A network namespace of one test's own, with loopback up and addresses assigned to it, so that
 * processes started in it bind addresses such as 10.0.0.1 or 169.254.169.254 without touching the
 * machine's network. Needs root and iproute2, as the integration profile does anyway. Deleted on
 * close.
 */
public final class NetworkNamespace implements AutoCloseable {
  private final String name;

  private NetworkNamespace(String name) {
    this.name = name;
  }

  /**
   * Makes the namespace {@code prefix-PID} with loopback up and each address (/32) on it.
   *
   * @throws AssertionError naming the command that failed
   */
  public static NetworkNamespace create(String prefix, List<String> addresses) throws Exception {
    String name = prefix + "-" + ProcessHandle.current().pid();
    assertEquals(
        0,
        run("ip", "netns", "add", name),
        "making a network namespace needs root and iproute2, as .ci/run has");
    NetworkNamespace namespace = new NetworkNamespace(name);
    try {
      assertEquals(0, run("ip", "-n", name, "link", "set", "lo", "up"), "lo up in " + name);
      for (String address : addresses) {
        assertEquals(
            0, run("ip", "-n", name, "addr", "add", address + "/32", "dev", "lo"), address);
      }
    } catch (Exception | AssertionError e) {
      namespace.close();
      throw e;
    }
    return namespace;
  }

  /** Returns the command prefix that runs a program in the namespace. */
  public List<String> exec() {
    return List.of("ip", "netns", "exec", name);
  }

  @Override
  public void close() throws Exception {
    run("ip", "netns", "del", name);
  }

  private static int run(String... command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    p.getInputStream().readAllBytes();
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return -1;
    }
    return p.exitValue();
  }
}
