package io.fleetcrawl.output;

import com.hazelcast.map.IMap;
import java.time.Instant;
import java.util.Map;
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
   * Records {@code candidate} as the first capture of {@code digest} unless one was recorded
   * before. Blocking (a cluster round trip).
   *
   * @return null when the candidate is the first, else the earlier capture
   */
  Original firstOrPrevious(String digest, Original candidate);

  /** An index for one process: a map in memory. */
  static PayloadIndex local() {
    Map<String, String> seen = new ConcurrentHashMap<>();
    return (digest, candidate) -> {
      String before = seen.putIfAbsent(digest, candidate.encode());
      return before == null ? null : Original.decode(before);
    };
  }

  /**
   * An index shared by every member of the cluster: a Hazelcast map, so a payload archived by one
   * node is a revisit on every other. Each entry costs about 150 bytes plus the URL's length.
   */
  static PayloadIndex shared(IMap<String, String> map) {
    return (digest, candidate) -> {
      String before = map.putIfAbsent(digest, candidate.encode());
      return before == null ? null : Original.decode(before);
    };
  }
}
