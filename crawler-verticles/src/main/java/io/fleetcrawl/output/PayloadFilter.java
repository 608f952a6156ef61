package io.fleetcrawl.output;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The payload digests archived anywhere in the cluster, as a Bloom filter: "never archived" for
 * certain, or "maybe", which only a look-up in the cluster's map settles. Almost every page's
 * payload is new, so the filter spares the archive a cluster look-up per page.
 *
 * <p>It grows with the crawl: when a segment holds its capacity a new one of twice the size is
 * added (10 bits and 7 hashes an entry: about 1 % false "maybe"s a segment). A crawl of ten million
 * pages needs about 18 MiB (segments of 1, 2, 4 and 8 million). Thread-safe and lock-free apart
 * from growing.
 */
final class PayloadFilter {
  private static final int HASHES = 7;
  private static final int BITS_PER_ENTRY = 10;

  private final List<Segment> segments = new CopyOnWriteArrayList<>();
  private volatile Segment current;

  PayloadFilter(int initialCapacity) {
    if (initialCapacity < 1) {
      throw new IllegalArgumentException("capacity must be >= 1, was " + initialCapacity);
    }
    current = new Segment(initialCapacity);
    segments.add(current);
  }

  void add(String digest) {
    long h = hash(digest);
    Segment s = current;
    if (s.count.incrementAndGet() > s.capacity) {
      s = grow(s);
    }
    s.set(h);
  }

  boolean mightContain(String digest) {
    long h = hash(digest);
    for (Segment s : segments) {
      if (s.has(h)) {
        return true;
      }
    }
    return false;
  }

  /** Returns the number of segments (for tests). */
  int segments() {
    return segments.size();
  }

  private synchronized Segment grow(Segment full) {
    if (current == full) {
      Segment next = new Segment((int) Math.min(Integer.MAX_VALUE / 2, 2L * full.capacity));
      segments.add(next);
      current = next;
    }
    current.count.incrementAndGet();
    return current;
  }

  /**
   * A 64-bit hash of the digest's text. Its base-32 SHA-1 is already uniform, so FNV-1a and a final
   * mix are enough.
   */
  static long hash(String digest) {
    long h = 0xcbf29ce484222325L;
    for (int i = 0; i < digest.length(); i++) {
      h ^= digest.charAt(i);
      h *= 0x100000001b3L;
    }
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    return h ^ (h >>> 33);
  }

  private static final class Segment {
    final int capacity;
    final long bitCount;
    final AtomicLongArray words;
    final AtomicInteger count = new AtomicInteger();

    Segment(int capacity) {
      this.capacity = capacity;
      long words = ((long) capacity * BITS_PER_ENTRY + 63) / 64;
      this.words = new AtomicLongArray((int) words);
      this.bitCount = words * 64;
    }

    /** The {@code i}th of the entry's bits: double hashing from the two halves of its hash. */
    private long bit(long h, int i) {
      return (((int) h) + (long) i * ((int) (h >>> 32)) & Long.MAX_VALUE) % bitCount;
    }

    void set(long h) {
      for (int i = 1; i <= HASHES; i++) {
        long bit = bit(h, i);
        int word = (int) (bit >>> 6);
        long mask = 1L << bit;
        long old = words.get(word);
        while ((old & mask) == 0 && !words.compareAndSet(word, old, old | mask)) {
          old = words.get(word);
        }
      }
    }

    boolean has(long h) {
      for (int i = 1; i <= HASHES; i++) {
        long bit = bit(h, i);
        if ((words.get((int) (bit >>> 6)) & (1L << bit)) == 0) {
          return false;
        }
      }
      return true;
    }
  }
}
