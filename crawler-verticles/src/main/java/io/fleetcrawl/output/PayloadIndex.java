package io.fleetcrawl.output;

import com.hazelcast.core.HazelcastInstance;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The first capture of each payload archived in a crawl, by payload digest, so that a later capture
 * of the same bytes becomes a {@code revisit} record pointing at it instead of a second copy.
 */
public interface PayloadIndex {
  /** Where a payload was first archived. */
  record Original(String recordId, String uri, Instant date) {
    String encode() {
      return recordId + ' ' + date.toEpochMilli() + ' ' + uri;
    }

    static Original decode(String encoded) {
      String[] parts = encoded.split(" ", 3);
      return new Original(parts[0], parts[2], Instant.ofEpochMilli(Long.parseLong(parts[1])));
    }
  }

  /**
   * The cluster map of a crawl's archived payloads, digest to {@link Original#encode}: shared by
   * the members' WARC sinks, and saved with the crawl's state so that a resumed crawl still writes
   * revisits of what it archived before the restart.
   */
  static String mapName(String crawl) {
    return "payloads." + crawl;
  }

  /** Returns the captures known for these digests (absent when none). Blocking. */
  Map<String, Original> lookup(Set<String> digests);

  /**
   * Records captures that are now written, so that later captures of the same payloads become
   * revisits of them. Blocking. A digest recorded twice keeps either capture: both exist.
   */
  void register(Map<String, Original> written);

  /** An index for one process: a map in memory. */
  static PayloadIndex local() {
    Map<String, String> seen = new ConcurrentHashMap<>();
    return new PayloadIndex() {
      @Override
      public Map<String, Original> lookup(Set<String> digests) {
        Map<String, Original> found = new HashMap<>();
        for (String d : digests) {
          String encoded = seen.get(d);
          if (encoded != null) {
            found.put(d, Original.decode(encoded));
          }
        }
        return found;
      }

      @Override
      public void register(Map<String, Original> written) {
        seen.putAll(encode(written));
      }
    };
  }

  /**
   * An index shared by every member of the cluster (see {@link SharedPayloadIndex}). Blocking: it
   * subscribes to the crawl's announcements and asks the cluster whether the map is empty.
   */
  static PayloadIndex shared(HazelcastInstance hazelcast, String crawl) {
    String name = mapName(crawl);
    return new SharedPayloadIndex(
        hazelcast.getMap(name),
        hazelcast.getTopic(SharedPayloadIndex.topicName(name)),
        System::currentTimeMillis);
  }

  /** Returns what the status page shows about the index (look-ups asked and spared). */
  default Map<String, Object> status() {
    return Map.of();
  }

  /** Sends what this member holds back to the cluster and waits until it is there. Blocking. */
  default void share() {}

  /** Sends what this member still holds to the cluster, and stops listening. Blocking. */
  default void close() {}

  /** Returns the map form the indexes store. */
  static Map<String, String> encode(Map<String, Original> originals) {
    Map<String, String> encoded = new HashMap<>();
    originals.forEach((d, o) -> encoded.put(d, o.encode()));
    return encoded;
  }
}
