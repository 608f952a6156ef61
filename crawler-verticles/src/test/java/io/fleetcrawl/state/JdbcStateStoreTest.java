package io.fleetcrawl.state;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JdbcStateStoreTest {
  @TempDir Path dir;

  static Map<String, StateStore.Row> loadAll(StateStore store, String crawl, String kind) {
    Map<String, StateStore.Row> rows = new HashMap<>();
    store.load(crawl, kind, r -> rows.put(r.key(), r));
    return rows;
  }

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** The behaviour both stores must share; the PostgreSQL test runs it on a real server. */
  static void keepsTheNewestVersionOfEachKeyAndCrawlsApart(StateStore store) {
    store.save(
        "c1", "frontier", List.of(new StateStore.Row("a", 5, bytes("a5")), row("b", 1, "b1")));
    // An older version arriving late (a member that saved before a migration) changes nothing.
    store.save("c1", "frontier", List.of(row("a", 4, "a4"), row("b", 2, "b2")));
    store.save("c2", "frontier", List.of(row("a", 1, "other crawl")));
    Map<String, StateStore.Row> rows = loadAll(store, "c1", "frontier");
    assertEquals(2, rows.size());
    assertEquals(5, rows.get("a").version());
    assertArrayEquals(bytes("a5"), rows.get("a").value());
    assertArrayEquals(bytes("b2"), rows.get("b").value());
    assertEquals(2, store.count("c1", "frontier"));
    assertEquals(0, store.count("c1", "scope"));
    store.drop("c1");
    assertEquals(0, store.count("c1", "frontier"));
    assertEquals(1, store.count("c2", "frontier"), "dropping a crawl keeps the others");
  }

  /** Also shared with the PostgreSQL test: journal rows deleted by key prefix and version. */
  static void deletesTheRowsOfAKeyPrefixUpToAVersion(StateStore store) {
    store.save(
        "c1",
        "journal",
        List.of(
            row("a.test 0001", 1, "x"),
            row("a.test 0002", 2, "x"),
            row("a.test 0003", 3, "x"),
            row("a.test.other 0001", 1, "a longer key with the same start"),
            row("a_test 0001", 1, "a '_' is no wildcard"),
            row("b.test 0001", 1, "x")));
    store.save("c2", "journal", List.of(row("a.test 0001", 1, "other crawl")));
    store.deleteUpTo("c1", "journal", Map.of("a.test ", 2L, "b.test ", 1L));
    assertEquals(
        java.util.Set.of("a.test 0003", "a.test.other 0001", "a_test 0001"),
        loadAll(store, "c1", "journal").keySet());
    assertEquals(1, store.count("c2", "journal"));
    store.drop("c1");
    store.drop("c2");
  }

  @Test
  void sqliteDeletesTheRowsOfAKeyPrefixUpToAVersion() {
    try (StateStore store = JdbcStateStore.sqlite(dir)) {
      deletesTheRowsOfAKeyPrefixUpToAVersion(store);
    }
  }

  static StateStore.Row row(String key, long version, String value) {
    return new StateStore.Row(key, version, bytes(value));
  }

  @Test
  void sqliteKeepsTheNewestVersionOfEachKeyAndCrawlsApart() {
    try (StateStore store = JdbcStateStore.sqlite(dir)) {
      keepsTheNewestVersionOfEachKeyAndCrawlsApart(store);
    }
  }

  @Test
  void whatWasSavedIsThereAfterTheStoreIsOpenedAgain() {
    byte[] big = new byte[300_000];
    for (int i = 0; i < big.length; i++) {
      big[i] = (byte) i;
    }
    try (StateStore store = JdbcStateStore.sqlite(dir)) {
      store.save("c", "frontier", List.of(new StateStore.Row("host", 7, big)));
    }
    try (StateStore store = JdbcStateStore.sqlite(dir)) {
      StateStore.Row row = loadAll(store, "c", "frontier").get("host");
      assertEquals(7, row.version());
      assertArrayEquals(big, row.value());
    }
  }

  @Test
  void twoProcessesWorthOfStoresShareOneDirectory() {
    // Nodes on one machine share the directory: each has its own connection to the one file.
    try (StateStore a = JdbcStateStore.sqlite(dir);
        StateStore b = JdbcStateStore.sqlite(dir)) {
      a.save("c", "frontier", List.of(row("x", 1, "from a")));
      b.save("c", "frontier", List.of(row("y", 1, "from b")));
      assertEquals(2, a.count("c", "frontier"));
      assertEquals(2, b.count("c", "frontier"));
    }
  }

  @Test
  void nodesStartedTogetherOnANewDirectoryAllOpenTheirStore() throws Exception {
    // Three nodes of a benchmark, started at once on one --out directory, once failed to start:
    // "[SQLITE_BUSY] The database file is locked" while the first one created the file.
    int stores = 6;
    ExecutorService pool = Executors.newFixedThreadPool(stores);
    try {
      for (int round = 0; round < 20; round++) {
        Path shared = dir.resolve("round-" + round);
        CyclicBarrier together = new CyclicBarrier(stores);
        List<Future<Long>> opened = new ArrayList<>();
        for (int i = 0; i < stores; i++) {
          String key = "node-" + i;
          opened.add(
              pool.submit(
                  () -> {
                    together.await();
                    try (StateStore store = JdbcStateStore.sqlite(shared)) {
                      store.save("c", "frontier", List.of(row(key, 1, key)));
                      return store.count("c", "frontier");
                    }
                  }));
        }
        for (Future<Long> f : opened) {
          assertTrue(f.get(60, TimeUnit.SECONDS) >= 1, "round " + round);
        }
        try (StateStore store = JdbcStateStore.sqlite(shared)) {
          assertEquals(stores, store.count("c", "frontier"), "round " + round);
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aFileThatIsNotADatabaseIsRefusedByName() throws Exception {
    Path file = dir.resolve(JdbcStateStore.SQLITE_FILE);
    Files.writeString(file, "not a database, only some text that is long enough to look like one");
    StateException e = assertThrows(StateException.class, () -> JdbcStateStore.sqlite(dir));
    assertTrue(e.getMessage().contains(file.toAbsolutePath().toString()), e.getMessage());
  }

  @Test
  void aDirectoryThatCannotBeCreatedIsRefusedByName() throws Exception {
    Path blocker = dir.resolve("file");
    Files.writeString(blocker, "x");
    StateException e =
        assertThrows(StateException.class, () -> JdbcStateStore.sqlite(blocker.resolve("state")));
    assertTrue(e.getMessage().contains(blocker.resolve("state").toString()), e.getMessage());
  }

  @Test
  void anUnreachableDatabaseIsRefusedWithoutItsPassword() {
    StateException e =
        assertThrows(
            StateException.class,
            () ->
                JdbcStateStore.postgresql(
                    "jdbc:postgresql://127.0.0.1:1/crawl?user=u&password=s3cret&connectTimeout=2"));
    assertTrue(e.getMessage().contains("127.0.0.1:1/crawl"), e.getMessage());
    assertTrue(!e.getMessage().contains("s3cret"), e.getMessage());
  }
}
