package io.fleetcrawl.node;

import java.io.ObjectInputFilter;

/**
 * The process-wide Java deserialization filter of a node or client: every {@code ObjectInputStream}
 * in the JVM (Hazelcast's Java-serialized entry processors and exceptions, Vert.x's serializable
 * messages) accepts only the crawler's own classes and the JDK, Hazelcast and Vert.x types they are
 * made of, within size limits. A member or a rogue process on the cluster port can then not
 * instantiate a gadget class from the classpath.
 */
public final class SerialFilter {
  /** The filter pattern, in {@code jdk.serialFilter} syntax. */
  static final String PATTERN =
      "maxdepth=64;maxrefs=1000000;maxarray=67108864;maxbytes=268435456;"
          + "io.fleetcrawl.**;com.hazelcast.**;io.vertx.**;"
          + "java.lang.*;java.lang.invoke.SerializedLambda;java.util.**;java.time.*;"
          + "java.net.*;java.math.*;!*";

  static final ObjectInputFilter FILTER = ObjectInputFilter.Config.createFilter(PATTERN);

  private SerialFilter() {}

  /**
   * Installs the filter for the whole JVM unless one was given on the command line ({@code
   * -Djdk.serialFilter}), which then wins.
   */
  public static void install() {
    if (ObjectInputFilter.Config.getSerialFilter() == null) {
      ObjectInputFilter.Config.setSerialFilter(FILTER);
    }
  }
}
