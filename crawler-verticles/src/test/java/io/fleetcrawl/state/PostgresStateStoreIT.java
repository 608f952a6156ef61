package io.fleetcrawl.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fleetcrawl.testing.TestPostgres;
import java.util.ArrayList;
import java.util.List;
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
  void aDatabaseThatDoesNotExistIsRefusedByName() {
    String url = server.url().replace("/postgres?", "/no_such_db?");
    StateException e = assertThrows(StateException.class, () -> JdbcStateStore.postgresql(url));
    assertTrue(e.getMessage().contains("no_such_db"), e.getMessage());
  }
}
