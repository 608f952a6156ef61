package io.fleetcrawl.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;

/** Waits in a test for something another thread does, failing with what it waited for. */
public final class Eventually {
  private Eventually() {}

  /** A condition that may read files or sockets to answer. */
  @FunctionalInterface
  public interface Condition {
    boolean holds() throws Exception;
  }

  /** Polls {@code condition} until it holds, failing the test after {@code timeout}. */
  public static void await(String what, Duration timeout, Condition condition) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.holds()) {
      assertTrue(System.nanoTime() < deadline, "timed out waiting: " + what);
      Thread.sleep(10);
    }
  }
}
