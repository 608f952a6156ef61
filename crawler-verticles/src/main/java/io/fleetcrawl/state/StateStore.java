package io.fleetcrawl.state;

import java.util.List;
import java.util.function.Consumer;

/**
 * Where a crawl's state outlives the cluster: rows of (crawl, kind, key, version, bytes), the
 * newest version of each key kept. Every call blocks; callers run them off the event loop.
 *
 * <p>Two implementations behind one interface, both in {@link JdbcStateStore}: SQLite in a
 * directory on the node's disk (the default; nodes on one machine share it) and PostgreSQL for
 * nodes on different machines.
 */
public interface StateStore extends AutoCloseable {
  /** One saved entry. */
  record Row(String key, long version, byte[] value) {}

  /**
   * Saves rows of one kind in one transaction; a row whose key already holds the same or a newer
   * version is ignored, so a slow writer never overwrites a newer state with an older one.
   *
   * @throws StateException naming the store when it refuses (full disk, lost connection)
   */
  void save(String crawl, String kind, List<Row> rows);

  /** Hands every saved row of one kind to {@code each}, in no particular order. */
  void load(String crawl, String kind, Consumer<Row> each);

  /** Returns how many rows of one kind are saved. */
  long count(String crawl, String kind);

  /**
   * Deletes, in one transaction, the rows of one kind whose key starts with a prefix of {@code
   * upTo} and whose version is at most the version it maps to.
   */
  void deleteUpTo(String crawl, String kind, java.util.Map<String, Long> upTo);

  /** Deletes every row of a crawl. */
  void drop(String crawl);

  /** Deletes every row of one kind of a crawl. */
  void drop(String crawl, String kind);

  /** Names the store for messages: the file or the database. */
  String describe();

  @Override
  void close();
}
