package io.fleetcrawl.state;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.function.Consumer;

/**
 * The state store on SQL: SQLite for the embedded default, PostgreSQL for a shared server. One
 * table, one upsert that keeps the newest version of a key (the same statement in both dialects),
 * one connection used by one thread at a time.
 *
 * <p>SQLite runs in WAL mode with {@code synchronous=NORMAL}: a save is one transaction appended to
 * the log, readers never wait for writers, and several node processes on one machine can share the
 * file (SQLite serialises their writes; a writer waits up to {@link #BUSY_MS} for another, and a
 * node that loses the race to create the file opens it again for as long).
 */
public final class JdbcStateStore implements StateStore {
  /** The file the embedded store keeps in its directory. */
  public static final String SQLITE_FILE = "fleetcrawl-state.db";

  /** How long a SQLite writer waits for another process's transaction to end. */
  static final int BUSY_MS = 30_000;

  /** SQLite's primary result code for a database file locked by another connection. */
  private static final int SQLITE_BUSY = 5;

  /** Rows per batched statement. */
  private static final int BATCH = 500;

  private enum Dialect {
    SQLITE("BLOB"),
    POSTGRESQL("BYTEA");

    final String blob;

    Dialect(String blob) {
      this.blob = blob;
    }
  }

  /** The advisory lock every node takes to create the schema on PostgreSQL ("fleetcr"). */
  private static final long MIGRATION_LOCK = 0x666c656574637200L;

  private final Connection connection;
  private final Dialect dialect;
  private final String description;

  private JdbcStateStore(Connection connection, Dialect dialect, String description) {
    this.connection = connection;
    this.dialect = dialect;
    this.description = description;
  }

  /** Opens the store a node's settings name: the database when given, else the directory. */
  public static JdbcStateStore open(io.fleetcrawl.config.StateConfig config) {
    return config.database() != null ? postgresql(config.database()) : sqlite(config.directory());
  }

  /**
   * Opens (creating as needed) the embedded store in {@code directory}.
   *
   * @throws StateException naming the file when it cannot be created, opened or is not a database
   */
  public static JdbcStateStore sqlite(Path directory) {
    Path file = directory.resolve(SQLITE_FILE).toAbsolutePath();
    String description = "state file " + file;
    try {
      Files.createDirectories(directory);
      if (System.getProperty("org.sqlite.tmpdir") == null) {
        // SQLite's JDBC driver copies its native library out of the jar; into the state directory,
        // so a killed process leaves no copy in /tmp (the next start there removes stale ones).
        System.setProperty("org.sqlite.tmpdir", directory.toAbsolutePath().toString());
      }
    } catch (IOException e) {
      throw new StateException("cannot open " + description + ": " + e.getMessage(), e);
    }
    // Nodes started together on one directory race to create the file, switch it to WAL and make
    // the table, and SQLite answers a loser SQLITE_BUSY at once, not after busy_timeout (a journal
    // mode switch or a transaction whose snapshot another connection changed cannot wait): one
    // node of three failed to start so in a benchmark run. Opening again shortly after succeeds.
    long deadline = System.nanoTime() + BUSY_MS * 1_000_000L;
    for (int attempt = 1; ; attempt++) {
      try {
        return openSqlite(file, description);
      } catch (SQLException e) {
        if ((e.getErrorCode() & 0xff) != SQLITE_BUSY || System.nanoTime() > deadline) {
          throw new StateException("cannot open " + description + ": " + e.getMessage(), e);
        }
      }
      try {
        Thread.sleep(Math.min(200, 10L * attempt));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new StateException("interrupted while opening " + description, e);
      }
    }
  }

  private static JdbcStateStore openSqlite(Path file, String description) throws SQLException {
    Properties properties = new Properties();
    properties.setProperty("journal_mode", "WAL");
    properties.setProperty("synchronous", "NORMAL");
    properties.setProperty("busy_timeout", Integer.toString(BUSY_MS));
    Connection connection = DriverManager.getConnection("jdbc:sqlite:" + file, properties);
    try {
      JdbcStateStore store = new JdbcStateStore(connection, Dialect.SQLITE, description);
      store.migrate();
      return store;
    } catch (SQLException e) {
      try {
        connection.close();
      } catch (SQLException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  /**
   * Opens the shared store on a PostgreSQL server and creates its table when missing.
   *
   * @param url a JDBC URL, {@code jdbc:postgresql://HOST:PORT/DB?user=...} (the password may come
   *     from {@code PGPASSWORD}-style properties of the URL or the server's trust rules)
   * @throws StateException naming the server (never the password) when it cannot be reached
   */
  public static JdbcStateStore postgresql(String url) {
    String description = "state database " + redact(url);
    try {
      Properties properties = new Properties();
      properties.setProperty("connectTimeout", "10");
      properties.setProperty("ApplicationName", "fleetcrawl");
      String password = System.getenv("FLEETCRAWL_STATE_DB_PASSWORD");
      if (password != null && !password.isBlank()) {
        properties.setProperty("password", password);
      }
      Connection connection = DriverManager.getConnection(url, properties);
      JdbcStateStore store = new JdbcStateStore(connection, Dialect.POSTGRESQL, description);
      store.migrate();
      return store;
    } catch (SQLException e) {
      throw new StateException("cannot open " + description + ": " + e.getMessage(), e);
    }
  }

  /** Returns the URL with any password parameter hidden. */
  static String redact(String url) {
    return url.replaceAll("(?i)(password=)[^&]*", "$1***");
  }

  /** Creates the table and index when missing; a later schema change adds its step here. */
  private void migrate() throws SQLException {
    connection.setAutoCommit(false);
    try (Statement s = connection.createStatement()) {
      if (dialect == Dialect.POSTGRESQL) {
        // Nodes started together against one server: PostgreSQL's CREATE TABLE IF NOT EXISTS is
        // not safe against a concurrent one (the second fails on pg_type's unique index), so the
        // schema is made one node at a time, under a lock released at commit.
        s.execute("SELECT pg_advisory_xact_lock(" + MIGRATION_LOCK + ")");
      }
      s.execute(
          "CREATE TABLE IF NOT EXISTS fleetcrawl_state ("
              + "crawl TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL,"
              + " version BIGINT NOT NULL, value "
              + dialect.blob
              + " NOT NULL, PRIMARY KEY (crawl, kind, key))");
      s.execute(
          "CREATE TABLE IF NOT EXISTS fleetcrawl_schema (version INTEGER NOT NULL PRIMARY KEY)");
      s.execute(
          dialect == Dialect.SQLITE
              ? "INSERT OR IGNORE INTO fleetcrawl_schema (version) VALUES (1)"
              : "INSERT INTO fleetcrawl_schema (version) VALUES (1) ON CONFLICT DO NOTHING");
      connection.commit();
    } catch (SQLException e) {
      rollbackQuietly();
      throw e;
    } finally {
      autoCommitQuietly();
    }
    // A file that is not a database, or a table of another shape, fails here, before any crawl.
    try (Statement s = connection.createStatement();
        ResultSet r =
            s.executeQuery(
                "SELECT crawl, kind, key, version, value FROM fleetcrawl_state LIMIT 1")) {
      r.next();
    }
  }

  @Override
  public synchronized void save(String crawl, String kind, List<Row> rows) {
    if (rows.isEmpty()) {
      return;
    }
    String sql =
        "INSERT INTO fleetcrawl_state (crawl, kind, key, version, value) VALUES (?, ?, ?, ?, ?)"
            + " ON CONFLICT (crawl, kind, key) DO UPDATE SET version = excluded.version,"
            + " value = excluded.value WHERE excluded.version > fleetcrawl_state.version";
    inTransaction(
        () -> {
          try (PreparedStatement insert = connection.prepareStatement(sql)) {
            int pending = 0;
            for (Row row : rows) {
              insert.setString(1, crawl);
              insert.setString(2, kind);
              insert.setString(3, row.key());
              insert.setLong(4, row.version());
              insert.setBytes(5, row.value());
              insert.addBatch();
              if (++pending == BATCH) {
                insert.executeBatch();
                pending = 0;
              }
            }
            if (pending > 0) {
              insert.executeBatch();
            }
          }
        });
  }

  /** Statements to run in one transaction. */
  private interface Work {
    void run() throws SQLException;
  }

  /** Runs {@code work} in one transaction; a failure rolls it back and names the store. */
  private void inTransaction(Work work) {
    try {
      connection.setAutoCommit(false);
      work.run();
      connection.commit();
    } catch (SQLException e) {
      rollbackQuietly();
      throw new StateException("cannot write " + description + ": " + e.getMessage(), e);
    } finally {
      autoCommitQuietly();
    }
  }

  @Override
  public synchronized void load(String crawl, String kind, Consumer<Row> each) {
    try (PreparedStatement select =
        connection.prepareStatement(
            "SELECT key, version, value FROM fleetcrawl_state WHERE crawl = ? AND kind = ?")) {
      select.setString(1, crawl);
      select.setString(2, kind);
      if (dialect == Dialect.POSTGRESQL) {
        // Streams the rows (a cursor) instead of holding the whole frontier in the driver.
        connection.setAutoCommit(false);
        select.setFetchSize(BATCH);
      }
      try (ResultSet rows = select.executeQuery()) {
        while (rows.next()) {
          each.accept(new Row(rows.getString(1), rows.getLong(2), rows.getBytes(3)));
        }
      }
      if (dialect == Dialect.POSTGRESQL) {
        connection.commit();
      }
    } catch (SQLException e) {
      rollbackQuietly();
      throw new StateException("cannot read " + description + ": " + e.getMessage(), e);
    } finally {
      autoCommitQuietly();
    }
  }

  @Override
  public synchronized long count(String crawl, String kind) {
    try (PreparedStatement select =
        connection.prepareStatement(
            "SELECT COUNT(*) FROM fleetcrawl_state WHERE crawl = ? AND kind = ?")) {
      select.setString(1, crawl);
      select.setString(2, kind);
      try (ResultSet r = select.executeQuery()) {
        r.next();
        return r.getLong(1);
      }
    } catch (SQLException e) {
      throw new StateException("cannot read " + description + ": " + e.getMessage(), e);
    }
  }

  @Override
  public synchronized void deleteUpTo(String crawl, String kind, java.util.Map<String, Long> upTo) {
    if (upTo.isEmpty()) {
      return;
    }
    // substr rather than LIKE (a key may hold '_') or a range (PostgreSQL orders text by locale).
    String sql =
        "DELETE FROM fleetcrawl_state WHERE crawl = ? AND kind = ? AND substr(key, 1, ?) = ?"
            + " AND version <= ?";
    inTransaction(
        () -> {
          try (PreparedStatement delete = connection.prepareStatement(sql)) {
            for (java.util.Map.Entry<String, Long> e : upTo.entrySet()) {
              delete.setString(1, crawl);
              delete.setString(2, kind);
              delete.setInt(3, e.getKey().codePointCount(0, e.getKey().length()));
              delete.setString(4, e.getKey());
              delete.setLong(5, e.getValue());
              delete.addBatch();
            }
            delete.executeBatch();
          }
        });
  }

  @Override
  public synchronized void drop(String crawl) {
    try (PreparedStatement delete =
        connection.prepareStatement("DELETE FROM fleetcrawl_state WHERE crawl = ?")) {
      delete.setString(1, crawl);
      delete.executeUpdate();
    } catch (SQLException e) {
      throw new StateException("cannot write " + description + ": " + e.getMessage(), e);
    }
  }

  @Override
  public synchronized void drop(String crawl, String kind) {
    try (PreparedStatement delete =
        connection.prepareStatement("DELETE FROM fleetcrawl_state WHERE crawl = ? AND kind = ?")) {
      delete.setString(1, crawl);
      delete.setString(2, kind);
      delete.executeUpdate();
    } catch (SQLException e) {
      throw new StateException("cannot write " + description + ": " + e.getMessage(), e);
    }
  }

  @Override
  public String describe() {
    return description;
  }

  @Override
  public synchronized void close() {
    try {
      connection.close();
    } catch (SQLException e) {
      throw new StateException("cannot close " + description + ": " + e.getMessage(), e);
    }
  }

  private void rollbackQuietly() {
    try {
      if (!connection.getAutoCommit()) {
        connection.rollback();
      }
    } catch (SQLException ignored) {
      // The failure being reported is the one that matters.
    }
  }

  private void autoCommitQuietly() {
    try {
      connection.setAutoCommit(true);
    } catch (SQLException ignored) {
      // The next call reports a broken connection.
    }
  }

  /** Returns "sqlite" or "postgresql", for status. */
  public String kind() {
    return dialect.name().toLowerCase(Locale.ROOT);
  }
}
