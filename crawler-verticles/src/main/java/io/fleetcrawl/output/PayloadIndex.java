package io.fleetcrawl.output;

import com.hazelcast.map.IMap;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The first capture of each payload archived in a crawl, by payload digest, so that a later capture
 * of the same bytes becomes a {@code revisit} record pointing at it instead of a second copy.
 */
public interface PayloadIndex {
  /** Where registration failures are reported. */
  Logger LOG = LoggerFactory.getLogger(PayloadIndex.class);

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
   * An index shared by every member of the cluster: a Hazelcast map, so a payload archived by one
   * node is a revisit on every other. One batched look-up before a batch is archived and
   * asynchronous writes after it; each entry costs about 150 bytes plus the URL's length.
   */
  static PayloadIndex shared(IMap<String, String> map) {
    return new PayloadIndex() {
      @Override
      public Map<String, Original> lookup(Set<String> digests) {
        Map<String, Original> found = new HashMap<>();
        map.getAll(digests).forEach((d, encoded) -> found.put(d, Original.decode(encoded)));
        return found;
      }

      @Override
      public void register(Map<String, Original> written) {
        // One asynchronous set per digest, not waited for: putAll visits every partition, and a
        // registration that arrives late only makes a later copy a response instead of a revisit.
        // The failure callback runs on the answering thread (Hazelcast's default async executor
        // would start a thread per callback on a small machine).
        encode(written)
            .forEach(
                (digest, original) ->
                    map.setAsync(digest, original)
                        .whenCompleteAsync(
                            (v, e) -> {
                              if (e != null) {
                                LOG.warn(
                                    "payload digest not shared with the cluster: {}", e.toString());
                              }
                            },
                            Runnable::run));
      }
    };
  }

  /** Returns the map form the indexes store. */
  static Map<String, String> encode(Map<String, Original> originals) {
    Map<String, String> encoded = new HashMap<>();
    originals.forEach((d, o) -> encoded.put(d, o.encode()));
    return encoded;
  }
}
