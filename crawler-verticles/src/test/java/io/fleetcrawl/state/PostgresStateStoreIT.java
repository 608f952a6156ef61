package io.fleetcrawl.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fleetcrawl.testing.TestPostgres;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The shared state store on a real PostgreSQL server that the test starts itself. */
@Tag("integration")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PostgresStateStoreIT {
  private static TestPostgres server;

  @BeforeAll
  static void startServer() throws Exception {
    server = TestPostgres.start();
  }

  @AfterAll
  static void stopServer() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void postgresqlKeepsTheNewestVersionOfEachKeyAndCrawlsApart() {
    try (StateStore store = JdbcStateStore.postgresql(server.url())) {
      JdbcStateStoreTest.keepsTheNewestVersionOfEachKeyAndCrawlsApart(store);
    }
  }

  @Test
  void postgresqlDeletesTheRowsOfAKeyPrefixUpToAVersion() {
    try (StateStore store = JdbcStateStore.postgresql(server.url())) {
      JdbcStateStoreTest.deletesTheRowsOfAKeyPrefixUpToAVersion(store);
    }
  }

  @Test
  void membersOnTwoConnectionsSeeOneStateAndTheSchemaIsCreatedOnce() {
    try (StateStore a = JdbcStateStore.postgresql(server.url());
        StateStore b = JdbcStateStore.postgresql(server.url())) {
      List<StateStore.Row> rows = new ArrayList<>();
      for (int i = 0; i < 1_200; i++) {
        rows.add(JdbcStateStoreTest.row("k" + i, 1, "v" + i));
      }
      a.save("shared", "frontier", rows);
      b.save("shared", "frontier", List.of(JdbcStateStoreTest.row("k7", 2, "newer")));
      assertEquals(1_200, b.count("shared", "frontier"));
      assertEquals(
          "newer",
          new String(
              JdbcStateStoreTest.loadAll(a, "shared", "frontier").get("k7").value(),
              java.nio.charset.StandardCharsets.UTF_8));
      a.drop("shared");
    }
  }

  @Test
  void nodesStartingTogetherOnAnEmptyDatabaseAllOpenTheStore() throws Exception {
    // CREATE TABLE IF NOT EXISTS is not safe against a concurrent one on PostgreSQL: the second
    // fails on pg_type's unique index (seen as a node of ClusterRestartIT exiting at start).
    for (int round = 0; round < 5; round++) {
      String db = "race_" + round;
      try (Connection admin = DriverManager.getConnection(server.url());
          Statement s = admin.createStatement()) {
        s.execute("CREATE DATABASE " + db);
      }
      String url = server.url().replace("/postgres?", "/" + db + "?");
      int nodes = 6;
      ExecutorService pool = Executors.newFixedThreadPool(nodes);
      try {
        CyclicBarrier together = new CyclicBarrier(nodes);
        List<Future<StateStore>> opened = new ArrayList<>();
        for (int i = 0; i < nodes; i++) {
          opened.add(
              pool.submit(
                  () -> {
                    together.await();
                    return JdbcStateStore.postgresql(url);
                  }));
        }
        for (Future<StateStore> f : opened) {
          try (StateStore store = f.get(60, TimeUnit.SECONDS)) {
            assertEquals(0, store.count("c", "frontier"));
          }
        }
      } finally {
        pool.shutdownNow();
      }
    }
  }

  @Test
  void aDatabaseThatDoesNotExistIsRefusedByName() {
    String url = server.url().replace("/postgres?", "/no_such_db?");
    StateException e = assertThrows(StateException.class, () -> JdbcStateStore.postgresql(url));
    assertTrue(e.getMessage().contains("no_such_db"), e.getMessage());
  }
}
