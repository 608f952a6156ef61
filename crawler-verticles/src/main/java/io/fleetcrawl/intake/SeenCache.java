package io.fleetcrawl.intake;

import io.fleetcrawl.frontier.FingerprintSet;

/**
 * A node-local, bounded memory of URLs this node already sent to the frontier, so that the common
 * case, a link seen before, costs no round trip. The frontier stays the authority on duplicates:
 * when the cache is full it forgets everything and the frontier answers for a while.
 */
public final class SeenCache {
  private final int capacity;
  private final FingerprintSet set;

  public SeenCache(int capacity) {
    this.capacity = capacity;
    this.set = new FingerprintSet(capacity);
  }

  /** Returns true when the fingerprint was not in the cache (and remembers it now). */
  public synchronized boolean firstSighting(long fingerprint) {
    if (set.size() >= capacity) {
      set.clear();
    }
    return set.add(fingerprint);
  }
}
