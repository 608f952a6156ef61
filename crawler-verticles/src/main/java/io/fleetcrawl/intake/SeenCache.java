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

  /** Returns whether the fingerprint is in the cache. */
  public synchronized boolean contains(long fingerprint) {
    return set.contains(fingerprint);
  }

  /** Remembers a fingerprint. */
  public void remember(long fingerprint) {
    firstSighting(fingerprint);
  }
}
