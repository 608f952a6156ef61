package io.fleetcrawl.state;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.query.Predicates;
import io.fleetcrawl.frontier.FrontierStore;
import io.fleetcrawl.membership.MemberTrust;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One crawl's state on disk: what the cluster's maps hold (the frontier's keys, the seed scope, the
 * operator's commands, the payloads archived so far and, under address politeness keys, the address
 * each host was pinned to) saved to a {@link StateStore} and put back after the whole cluster
 * stopped.
 *
 * <p>Saving: each member saves the keys it owns that changed since its last save (their version
 * moved), in one transaction; the store keeps the newest version of a key, so two members saving
 * the same key around a migration cannot go back in time. Restoring: when the cluster holds nothing
 * of the crawl (every member stopped), the oldest member reads every saved row and puts it back on
 * the key's current owner, whichever member that now is; the others wait for it. A member joining a
 * running cluster restores nothing: the state is in the cluster already.
 *
 * <p>Every method blocks: call them off the event loop.
 */
public final class CrawlState {
  private static final Logger LOG = LoggerFactory.getLogger(CrawlState.class);

  /** Row kinds in the store. */
  static final String FRONTIER = "frontier";

  /**
   * A large key's journal: what changed since its last whole copy, one row per save, keyed by the
   * frontier key, a space and the journal's version (see {@link #journalRowKey}).
   */
  static final String JOURNAL = "frontier-journal";

  static final String SCOPE = "scope";

  static final String CONTROL = "control";

  /**
   * A host's address key: the key its URLs and seen set live under. A resumed crawl must give the
   * host the same one whatever DNS answers now, or it fetches the host's pages again under a new
   * key.
   */
  static final String ADDRESS_KEYS = "address-keys";

  /**
   * An archived payload (digest to where it was first archived, see the WARC sink's payload index):
   * written once, when its record is written, so a resumed crawl writes a revisit of it rather than
   * a second copy.
   */
  static final String PAYLOADS = "payloads";

  /**
   * Archived payloads saved together: one row per save holds every payload this member archived
   * since its last save (see {@link #packPayloads}). A row per payload, as {@link #PAYLOADS} was
   * written before, cost a random insert into the store's index for every page archived, which grew
   * with the crawl (30 µs a page after 160,000 pages on SQLite); rows of the old kind are still
   * restored.
   */
  static final String PAYLOAD_CHUNKS = "payload-chunks";

  /** Most payloads in one saved row, so that no row grows past about a MiB. */
  static final int PAYLOADS_PER_CHUNK = 4_096;

  /** Archived payloads put back per call on a restore. */
  private static final int PAYLOAD_BATCH = 2_000;

  /** Restores in flight at once: enough to keep every partition busy, bounded in memory. */
  private static final int RESTORE_WINDOW = 256;

  /** How long a member waits for the oldest to restore the state. */
  private static final long RESTORE_WAIT_MS = TimeUnit.MINUTES.toMillis(30);

  private final StateStore store;
  private final String crawl;
  private final HazelcastInstance hazelcast;
  private final FrontierStore frontier;
  private final IMap<String, Boolean> scope;
  private final IMap<String, String> control;
  private IMap<String, String> addressKeys;
  private final Set<String> savedAddressKeys = ConcurrentHashMap.newKeySet();
  private IMap<String, String> payloads;

  /** Payloads added on this member's partitions since the last save (a listener's queue). */
  private final Queue<Map.Entry<String, String>> unsavedPayloads = new ConcurrentLinkedQueue<>();

  /**
   * Names this member's payload rows: unique across members and restarts, so no save overwrites
   * another's.
   */
  private final String chunkPrefix = UUID.randomUUID() + "-";

  private final AtomicLong chunkSequence = new AtomicLong();

  private final AtomicLong savedPayloads = new AtomicLong();
  private volatile long restoredPayloads;
  private final IMap<String, Boolean> restored;
  private final AtomicLong controlVersion = new AtomicLong();
  private final Set<String> savedScope = ConcurrentHashMap.newKeySet();
  private final AtomicLong savedKeys = new AtomicLong();
  private final AtomicLong savedBytes = new AtomicLong();
  private final AtomicLong savedJournals = new AtomicLong();
  private final AtomicLong saves = new AtomicLong();
  private volatile long lastSaveMs;
  // What a save takes bounds what a crash costs as much as the interval does: the state a crash
  // falls back to is the one captured at the start of the last save that committed.
  private final AtomicLong saveNanosTotal = new AtomicLong();
  private volatile long saveNanosMax;
  private volatile long restoredKeys;
  private MemberTrust trust = MemberTrust.everyone();

  public CrawlState(
      StateStore store,
      String crawl,
      HazelcastInstance hazelcast,
      FrontierStore frontier,
      IMap<String, Boolean> scope,
      IMap<String, String> control) {
    this.store = store;
    this.control = control;
    this.crawl = crawl;
    this.hazelcast = hazelcast;
    this.frontier = frontier;
    this.scope = scope;
    this.restored = hazelcast.getMap("state." + crawl);
  }

  /** Saves and restores the crawl's address keys too (politeness keys by IP address). */
  public CrawlState withAddressKeys(IMap<String, String> addressKeys) {
    this.addressKeys = addressKeys;
    return this;
  }

  /**
   * Saves and restores the crawl's archived payloads too (the WARC sink's payload index), so that
   * revisits keep pointing at records archived before a restart.
   */
  public CrawlState withPayloads(IMap<String, String> payloads) {
    this.payloads = payloads;
    return this;
  }

  /** Leaves restoring and saving to the oldest member that proved it holds the cluster key. */
  public CrawlState withTrust(MemberTrust trust) {
    this.trust = trust;
    return this;
  }

  /**
   * Makes sure the cluster holds the crawl's saved state before this member works on it: restores
   * it when this member is the oldest and the cluster has none, else waits for the member that
   * does. Returns how many frontier keys this member restored.
   *
   * @throws StateException naming the store when it cannot be read or a row is unreadable
   */
  public long restoreOrWait(LongSupplier clock) throws InterruptedException {
    long keys = restoreOrWaitForIt(clock);
    if (payloads != null) {
      // Listened to only now, so the entries just restored are not saved again (a few whose
      // events arrive late are, harmlessly: a restore puts the same digest twice). Only this
      // member's own entries: each payload is saved once, by the member that owns it when it is
      // archived.
      payloads.addLocalEntryListener(
          (EntryAddedListener<String, String>)
              e -> unsavedPayloads.add(Map.entry(e.getKey(), e.getValue())),
          Predicates.alwaysTrue(),
          true);
    }
    return keys;
  }

  private long restoreOrWaitForIt(LongSupplier clock) throws InterruptedException {
    if (Boolean.TRUE.equals(restored.get("restored"))) {
      return 0;
    }
    if (oldest()) {
      long keys = restore();
      restored.set("restored", Boolean.TRUE);
      return keys;
    }
    long deadline = clock.getAsLong() + RESTORE_WAIT_MS;
    long nextLog = clock.getAsLong() + 10_000;
    while (!Boolean.TRUE.equals(restored.get("restored"))) {
      if (oldest()) {
        // The member that was restoring left: this one is the oldest now and starts again (a
        // restore only ever puts newer versions, so a partial one before it does no harm).
        return restoreOrWaitForIt(clock);
      }
      long now = clock.getAsLong();
      if (now >= deadline) {
        throw new IllegalStateException(
            "crawl " + crawl + ": the oldest member did not restore the saved state in time");
      }
      if (now >= nextLog) {
        LOG.info("crawl {}: waiting for the oldest member to restore the saved state", crawl);
        nextLog = now + 10_000;
      }
      Thread.sleep(100);
    }
    return 0;
  }

  private long restore() {
    long start = System.nanoTime();
    store.load(crawl, CONTROL, row -> control.set(row.key(), new String(row.value(), UTF_8)));
    store.load(
        crawl,
        SCOPE,
        row -> {
          scope.set(row.key(), Boolean.TRUE);
          savedScope.add(row.key());
        });
    if (addressKeys != null) {
      store.load(
          crawl,
          ADDRESS_KEYS,
          row -> {
            addressKeys.set(row.key(), new String(row.value(), UTF_8));
            savedAddressKeys.add(row.key());
          });
    }
    restorePayloads();
    List<CompletableFuture<Boolean>> window = new ArrayList<>(RESTORE_WINDOW);
    long[] counts = new long[2];
    store.load(
        crawl,
        FRONTIER,
        row -> {
          window.add(frontier.restore(row.key(), row.value()).toCompletableFuture());
          counts[0]++;
          counts[1] += row.value().length;
          if (window.size() >= RESTORE_WINDOW) {
            drain(window);
          }
        });
    drain(window);
    long journals = replayJournals();
    restoredKeys = counts[0];
    if (counts[0] > 0) {
      LOG.info(
          "crawl {}: restored {} frontier keys ({} bytes, {} journals replayed) and {} scope keys"
              + " from {} in {} ms",
          crawl,
          counts[0],
          counts[1],
          journals,
          savedScope.size(),
          store.describe(),
          (System.nanoTime() - start) / 1_000_000);
    }
    return counts[0];
  }

  /** Puts the archived payloads back, in batches (one call per batch visits every partition). */
  private void restorePayloads() {
    if (payloads == null) {
      return;
    }
    Map<String, String> batch = new HashMap<>();
    long[] count = new long[1];
    BiConsumer<String, String> put =
        (digest, original) -> {
          batch.put(digest, original);
          count[0]++;
          if (batch.size() >= PAYLOAD_BATCH) {
            payloads.putAll(batch);
            batch.clear();
          }
        };
    // Rows a build before the chunks wrote: one payload each.
    store.load(crawl, PAYLOADS, row -> put.accept(row.key(), new String(row.value(), UTF_8)));
    store.load(
        crawl,
        PAYLOAD_CHUNKS,
        row -> {
          // Read whole before any is put, so a failure to put is not taken for a damaged row.
          Map<String, String> packed = new HashMap<>();
          try {
            unpackPayloads(row.value(), packed::put);
          } catch (IOException | RuntimeException e) {
            throw new StateException(
                "cannot restore crawl "
                    + crawl
                    + " from "
                    + store.describe()
                    + ": unreadable archived-payload row "
                    + row.key()
                    + " ("
                    + e
                    + ")",
                e);
          }
          packed.forEach(put);
        });
    if (!batch.isEmpty()) {
      payloads.putAll(batch);
    }
    restoredPayloads = count[0];
    if (count[0] > 0) {
      LOG.info("crawl {}: restored {} archived payloads", crawl, count[0]);
    }
  }

  /**
   * Replays the large keys' journals on the whole copies just restored; returns how many were newer
   * than their key's copy. The others are skipped, and deleted by the key's next whole save.
   */
  private long replayJournals() {
    Map<String, List<byte[]>> journals = new HashMap<>();
    store.load(
        crawl,
        JOURNAL,
        row ->
            journals
                .computeIfAbsent(frontierKeyOf(row.key()), k -> new ArrayList<>())
                .add(row.value()));
    List<CompletableFuture<Integer>> window = new ArrayList<>(RESTORE_WINDOW);
    long replayed = 0;
    for (Map.Entry<String, List<byte[]>> e : journals.entrySet()) {
      window.add(frontier.replay(e.getKey(), e.getValue()).toCompletableFuture());
      if (window.size() >= RESTORE_WINDOW) {
        replayed += drain(window).stream().mapToLong(Integer::longValue).sum();
      }
    }
    return replayed + drain(window).stream().mapToLong(Integer::longValue).sum();
  }

  /** The row key of a journal: the frontier key, a space (no key holds one) and the version. */
  static String journalRowKey(String key, long version) {
    return key + " " + String.format(java.util.Locale.ROOT, "%019d", version);
  }

  private static String frontierKeyOf(String journalRowKey) {
    return journalRowKey.substring(0, journalRowKey.lastIndexOf(' '));
  }

  private <T> List<T> drain(List<CompletableFuture<T>> window) {
    List<T> answers = new ArrayList<>(window.size());
    for (CompletableFuture<T> f : window) {
      try {
        answers.add(f.join());
      } catch (RuntimeException e) {
        throw new StateException(
            "cannot restore crawl " + crawl + " from " + store.describe() + ": " + e.getMessage(),
            e);
      }
    }
    window.clear();
    return answers;
  }

  /**
   * Saves what changed on this member's keys since their last save, those due at {@code now} for an
   * interval of {@code intervalMs} (0: all of them). Returns how many rows it saved (whole keys and
   * large keys' journals).
   *
   * @throws StateException naming the store when it refuses the write
   */
  public synchronized int save(long now, long intervalMs) {
    long started = System.nanoTime();
    // Pins first: a host is pinned before any URL of it is queued, so on one node a frontier row
    // saved is never without its host's pin. Across nodes the pin may live on another member; a
    // pin its member died before saving is saved by the member that takes over its partition.
    saveAddressKeys();
    Map<String, byte[]> changed = frontier.saveLocalChanges(now, intervalMs);
    List<StateStore.Row> rows = new ArrayList<>(changed.size());
    List<StateStore.Row> journals = new ArrayList<>();
    Map<String, Long> obsolete = new HashMap<>();
    long bytes = 0;
    for (Map.Entry<String, byte[]> e : changed.entrySet()) {
      String key = e.getKey();
      byte[] saved = e.getValue();
      long version = FrontierStore.versionOf(saved);
      if (FrontierStore.isJournal(saved)) {
        journals.add(new StateStore.Row(journalRowKey(key, version), version, saved));
      } else {
        rows.add(new StateStore.Row(key, version, saved));
        if (FrontierStore.mayHaveJournals(saved)) {
          // Journals up to this copy's version are in it now (also those a member that owned the
          // key before, or a restore, left behind).
          obsolete.put(key + " ", version);
        }
      }
      bytes += saved.length;
    }
    // Journals first: one follows a whole copy committed by an earlier save, and a crash between
    // the two writes leaves nothing that a restore would misread.
    store.save(crawl, JOURNAL, journals);
    store.save(crawl, FRONTIER, rows);
    store.deleteUpTo(crawl, JOURNAL, obsolete);
    List<StateStore.Row> scopeRows = new ArrayList<>();
    for (String key : unsaved(scope, savedScope)) {
      scopeRows.add(new StateStore.Row(key, 1, new byte[0]));
    }
    saveOnce(SCOPE, scopeRows, savedScope);
    bytes += savePayloads();
    savedKeys.addAndGet(rows.size());
    savedJournals.addAndGet(journals.size());
    savedBytes.addAndGet(bytes);
    lastSaveMs = now;
    long took = System.nanoTime() - started;
    saveNanosTotal.addAndGet(took);
    saveNanosMax = Math.max(saveNanosMax, took);
    saves.incrementAndGet();
    return rows.size() + journals.size();
  }

  /** Saves the payloads archived on this member's partitions since the last save; their bytes. */
  private long savePayloads() {
    List<Map.Entry<String, String>> entries = new ArrayList<>();
    for (var e = unsavedPayloads.poll(); e != null; e = unsavedPayloads.poll()) {
      entries.add(e);
    }
    if (entries.isEmpty()) {
      return 0;
    }
    List<StateStore.Row> rows = new ArrayList<>();
    long bytes = 0;
    for (int from = 0; from < entries.size(); from += PAYLOADS_PER_CHUNK) {
      byte[] packed =
          packPayloads(entries.subList(from, Math.min(entries.size(), from + PAYLOADS_PER_CHUNK)));
      rows.add(new StateStore.Row(chunkPrefix + chunkSequence.incrementAndGet(), 1, packed));
      bytes += packed.length;
    }
    try {
      store.save(crawl, PAYLOAD_CHUNKS, rows);
    } catch (RuntimeException e) {
      // Kept for the next save: a refused save stops the crawl, but a final save may follow.
      unsavedPayloads.addAll(entries);
      throw e;
    }
    savedPayloads.addAndGet(entries.size());
    return bytes;
  }

  /** Packs payload entries into one row: a count, then each digest and original, UTF-8. */
  static byte[] packPayloads(List<Map.Entry<String, String>> entries) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + 160 * entries.size());
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeInt(entries.size());
      for (Map.Entry<String, String> e : entries) {
        writeString(out, e.getKey());
        writeString(out, e.getValue());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /** Reads a row {@link #packPayloads} wrote, giving each digest and original to {@code each}. */
  static void unpackPayloads(byte[] row, BiConsumer<String, String> each) throws IOException {
    DataInputStream in = new DataInputStream(new ByteArrayInputStream(row));
    int count = in.readInt();
    if (count < 0) {
      throw new IOException("negative payload count " + count);
    }
    for (int i = 0; i < count; i++) {
      each.accept(readString(in), readString(in));
    }
    if (in.available() > 0) {
      throw new IOException(in.available() + " bytes after the last payload");
    }
  }

  // The frontier's Wire form (a length, then UTF-8), written here because Wire.readString trusts
  // the length it reads, as it may for the frontier's own copies; a row read back from disk may be
  // damaged, and a damaged length must fail naming the row, not allocate up to 2 GiB.
  private static void writeString(DataOutputStream out, String value) throws IOException {
    byte[] utf8 = value.getBytes(UTF_8);
    out.writeInt(utf8.length);
    out.write(utf8);
  }

  private static String readString(DataInputStream in) throws IOException {
    int length = in.readInt();
    if (length < 0 || length > in.available()) {
      throw new IOException("a string of " + length + " bytes with " + in.available() + " left");
    }
    return new String(in.readNBytes(length), UTF_8);
  }

  /** Saves the address keys pinned on this member's partitions since the last save. */
  private void saveAddressKeys() {
    if (addressKeys == null) {
      return;
    }
    Set<String> fresh = unsaved(addressKeys, savedAddressKeys);
    if (fresh.isEmpty()) {
      return;
    }
    List<StateStore.Row> rows = new ArrayList<>(fresh.size());
    // A pin never changes once set (putIfAbsent), so version 1 is every pin's only version.
    addressKeys
        .getAll(fresh)
        .forEach((host, address) -> rows.add(new StateStore.Row(host, 1, address.getBytes(UTF_8))));
    saveOnce(ADDRESS_KEYS, rows, savedAddressKeys);
  }

  /**
   * Returns the keys of a write-once map held on this member that were not saved yet. A member that
   * takes over a partition (its owner died) finds the entries the dead member had not saved.
   */
  private static Set<String> unsaved(IMap<String, ?> map, Set<String> saved) {
    Set<String> fresh = new HashSet<>();
    for (String key : map.localKeySet()) {
      if (!saved.contains(key)) {
        fresh.add(key);
      }
    }
    return fresh;
  }

  /** Saves rows of a write-once kind and remembers their keys as saved. */
  private void saveOnce(String kind, List<StateStore.Row> rows, Set<String> saved) {
    if (!rows.isEmpty()) {
      store.save(crawl, kind, rows);
      rows.forEach(r -> saved.add(r.key()));
    }
  }

  /**
   * Saves an operator's command at once (they are rare and must outlive a restart). Each save
   * carries a version above every earlier one from this member, so the last command wins.
   */
  public void saveControl(String key, String value) {
    long version =
        controlVersion.updateAndGet(v -> Math.max(v + 1, System.currentTimeMillis() * 1_000));
    store.save(crawl, CONTROL, List.of(new StateStore.Row(key, version, value.getBytes(UTF_8))));
  }

  /** Drops the saved frontier, scope and address keys of a cancelled crawl; its commands stay. */
  public void dropFrontier() {
    store.drop(crawl, FRONTIER);
    store.drop(crawl, JOURNAL);
    store.drop(crawl, SCOPE);
    store.drop(crawl, ADDRESS_KEYS);
    store.drop(crawl, PAYLOADS);
  }

  /** Returns what the status shows of the state: where, how much saved, when last. */
  public Map<String, Object> status() {
    Map<String, Object> status = new java.util.LinkedHashMap<>();
    status.put("store", store.describe());
    status.put("saves", saves.get());
    status.put("keysSaved", savedKeys.get());
    status.put("journalsSaved", savedJournals.get());
    status.put("bytesSaved", savedBytes.get());
    status.put("lastSaveAt", lastSaveMs);
    long count = saves.get();
    status.put(
        "saveMsMean", count == 0 ? 0.0 : Math.round(saveNanosTotal.get() / 1e5 / count) / 10.0);
    status.put("saveMsMax", saveNanosMax / 1_000_000);
    status.put("keysRestored", restoredKeys);
    status.put("payloadsSaved", savedPayloads.get());
    status.put("payloadsRestored", restoredPayloads);
    return status;
  }

  private boolean oldest() {
    return trust.isOldest(hazelcast);
  }
}
