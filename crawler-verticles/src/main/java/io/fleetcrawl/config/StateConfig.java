package io.fleetcrawl.config;

import static io.fleetcrawl.model.InvalidInputException.requireSetting;

import java.nio.file.Path;

/**
 * Where a node keeps its crawls' state so that they outlive the cluster. Immutable; validated at
 * start-up.
 *
 * @param directory the embedded store's directory (SQLite), or null
 * @param database a PostgreSQL JDBC URL for the shared store, or null; wins over the directory
 * @param checkpointMs how often each member saves what changed: the most a crash of the whole
 *     cluster takes back (those pages are fetched again; none is lost)
 * @param fresh drop the crawls' saved state at start instead of resuming it
 */
public record StateConfig(Path directory, String database, long checkpointMs, boolean fresh) {
  public static final long DEFAULT_CHECKPOINT_MS = 100;

  public StateConfig {
    requireSetting(
        checkpointMs >= 50 && checkpointMs <= 600_000,
        "checkpoint-ms",
        "must be 50..600000, was " + checkpointMs);
    requireSetting(
        database == null || database.startsWith("jdbc:postgresql://"),
        "state-db",
        "must be a PostgreSQL JDBC URL (jdbc:postgresql://HOST[:PORT]/DATABASE[?user=...])");
  }

  /** No state kept: the crawls live in the cluster's memory only. */
  public static StateConfig off() {
    return new StateConfig(null, null, DEFAULT_CHECKPOINT_MS, false);
  }

  /** Returns these settings, dropping the saved state at start or not. */
  public StateConfig startingAnew(boolean anew) {
    return new StateConfig(directory, database, checkpointMs, anew);
  }

  /** Returns whether a store is configured. */
  public boolean enabled() {
    return directory != null || database != null;
  }
}
