package io.fleetcrawl.cli;

import java.util.List;

/**
 * Commands a jar adds to {@code fleetcrawl} beside the product's own, found with {@link
 * java.util.ServiceLoader}: the test kit adds the demo, the generated sites and the benchmark
 * drivers this way, so the product's jar (and its container image) does without them.
 */
public interface CommandSet {
  /** Returns new instances of picocli {@code @Command} classes. */
  List<Object> commands();
}
