package io.fleetcrawl.output;

import com.hazelcast.core.HazelcastInstanceNotActiveException;
import com.hazelcast.map.IMap;
import com.hazelcast.topic.ITopic;
import com.hazelcast.topic.Message;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The payload index every member of the cluster shares: a Hazelcast map of digest to first capture
 * (saved with the crawl's state), with two things in front of it that keep the cluster off the
 * archive's path for most pages.
 *
 * <ul>
 *   <li><b>A filter of every digest registered.</b> Each member announces the digests it registers
 *       on a topic, and every member adds them to its {@link PayloadFilter}. A digest the filter
 *       has never seen is new: no look-up. Only the filter's "maybe"s (true copies and about 1 % of
 *       the rest) are looked up in the map. The filter is only trusted when the map was empty when
 *       this member subscribed, so that it has seen every digest; a member that joins a crawl under
 *       way, or resumes one from saved state, looks every digest up, as before.
 *   <li><b>Registrations in batches.</b> A member's new digests are kept locally (its own look-ups
 *       find them at once) and sent every {@value #FLUSH_MS} ms as one {@code setAllAsync} (one
 *       operation per partition instead of one per digest) and one topic message.
 * </ul>
 *
 * <p>What the batching costs: another member that archives the same payload before this member's
 * batch has arrived archives it whole too (both records exist, so nothing points at a missing
 * record). That was already the case while a registration was in flight.
 */
final class SharedPayloadIndex implements PayloadIndex {
  private static final Logger LOG = LoggerFactory.getLogger(SharedPayloadIndex.class);

  /** How long a member keeps new digests to itself before sending them. */
  static final long FLUSH_MS = 500;

  /** Sent sooner when this many are waiting. */
  static final int FLUSH_ENTRIES = 5_000;

  private final IMap<String, String> map;
  private final ITopic<String> topic;
  private final LongSupplier clock;
  private final PayloadFilter filter = new PayloadFilter(1 << 20);
  private final boolean filterComplete;
  private final UUID listener;

  /** Registered here and not yet in the map (sent or not). */
  private final Map<String, Original> notLanded = new ConcurrentHashMap<>();

  private final ConcurrentLinkedQueue<String> toSend = new ConcurrentLinkedQueue<>();
  private final AtomicInteger waiting = new AtomicInteger();
  private volatile long lastFlush;

  private final LongAdder askedCluster = new LongAdder();
  private final LongAdder answeredByFilter = new LongAdder();
  private final LongAdder batchesSent = new LongAdder();

  /** The topic's name for a crawl's payload map. */
  static String topicName(String mapName) {
    return mapName + ".added";
  }

  /** Blocking: subscribes and asks the cluster whether the map is empty. */
  SharedPayloadIndex(IMap<String, String> map, ITopic<String> topic, LongSupplier clock) {
    this.map = map;
    this.topic = topic;
    this.clock = clock;
    this.lastFlush = clock.getAsLong();
    // Subscribed before the map is asked, so no digest falls between the two.
    this.listener = topic.addMessageListener(this::announced);
    this.filterComplete = map.isEmpty();
  }

  private void announced(Message<String> message) {
    if (message.getPublishingMember() != null && message.getPublishingMember().localMember()) {
      return;
    }
    String digests = message.getMessageObject();
    int from = 0;
    while (from < digests.length()) {
      int end = digests.indexOf('\n', from);
      if (end < 0) {
        end = digests.length();
      }
      filter.add(digests.substring(from, end));
      from = end + 1;
    }
  }

  /** True when the filter has seen every digest in the crawl and answers "new" by itself. */
  boolean filterComplete() {
    return filterComplete;
  }

  @Override
  public Map<String, Original> lookup(Set<String> digests) {
    Map<String, Original> found = new HashMap<>();
    Set<String> ask = new HashSet<>();
    for (String d : digests) {
      Original mine = notLanded.get(d);
      if (mine != null) {
        found.put(d, mine);
      } else if (!filterComplete || filter.mightContain(d)) {
        ask.add(d);
      } else {
        answeredByFilter.increment();
      }
    }
    if (!ask.isEmpty()) {
      askedCluster.add(ask.size());
      map.getAll(ask).forEach((d, encoded) -> found.put(d, Original.decode(encoded)));
    }
    flushIfDue();
    return found;
  }

  @Override
  public void register(Map<String, Original> written) {
    written.forEach(
        (digest, original) -> {
          filter.add(digest);
          if (notLanded.put(digest, original) == null) {
            toSend.add(digest);
            waiting.incrementAndGet();
          }
        });
    flushIfDue();
  }

  private void flushIfDue() {
    int n = waiting.get();
    if (n > 0 && (n >= FLUSH_ENTRIES || clock.getAsLong() - lastFlush >= FLUSH_MS)) {
      send(false);
    }
  }

  /** Sends what waits; with {@code wait}, returns once the map holds it. */
  private synchronized void send(boolean wait) {
    lastFlush = clock.getAsLong();
    Map<String, Original> batch = new HashMap<>();
    for (String d = toSend.poll(); d != null; d = toSend.poll()) {
      waiting.decrementAndGet();
      Original o = notLanded.get(d);
      if (o != null) {
        batch.put(d, o);
      }
    }
    if (batch.isEmpty()) {
      return;
    }
    batchesSent.increment();
    var stage =
        map.setAllAsync(PayloadIndex.encode(batch))
            .whenComplete(
                (v, e) -> {
                  if (e != null && !clusterGone(e)) {
                    LOG.warn(
                        "{} payload digests not shared with the cluster: {}",
                        batch.size(),
                        e.toString());
                  }
                  batch.forEach(notLanded::remove);
                });
    topic
        .publishAsync(String.join("\n", batch.keySet()))
        .whenComplete(
            (v, e) -> {
              if (e != null && !clusterGone(e)) {
                LOG.warn("payload digests not announced to the cluster: {}", e.toString());
              }
            });
    if (wait) {
      stage.toCompletableFuture().join();
    }
  }

  @Override
  public Map<String, Object> status() {
    Map<String, Object> status = new LinkedHashMap<>();
    status.put("payloadFilterTrusted", filterComplete);
    status.put("payloadLookupsInCluster", askedCluster.sum());
    status.put("payloadLookupsAnsweredByFilter", answeredByFilter.sum());
    status.put("payloadBatchesSent", batchesSent.sum());
    return status;
  }

  /** Whether a failure only says that this member's Hazelcast has shut down. */
  private static boolean clusterGone(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof HazelcastInstanceNotActiveException) {
        return true;
      }
    }
    return false;
  }

  /** Sends what waits and waits for it, so that the crawl's last state save can hold it. */
  @Override
  public void share() {
    try {
      send(true);
    } catch (RuntimeException e) {
      if (clusterGone(e)) {
        LOG.debug("payload digests kept local: the cluster has gone");
      } else {
        LOG.warn("payload digests not shared with the cluster: {}", e.toString());
      }
    }
  }

  /**
   * Sends what still waits, if the cluster is still there, and stops listening. A node that stops
   * has shared its payloads before its last save (see {@link #share}); when the cluster has already
   * gone, what waits stays local: the records are written, only later revisits of them are lost.
   */
  @Override
  public void close() {
    if (waiting.get() > 0) {
      share();
    }
    try {
      topic.removeMessageListener(listener);
    } catch (RuntimeException e) {
      LOG.debug("payload announcements: listener not removed: {}", e.toString());
    }
  }
}
