package io.fleetcrawl.frontier;

import java.util.Arrays;

/**
 * An open-addressing set of 64-bit fingerprints: 8 bytes a slot at a load of at most 3/4, so about
 * 11 to 21 bytes per member, against some 100 for a {@code HashSet<Long>}. Not thread-safe.
 *
 * <p>Invariant: {@code size} counts the non-zero slots; zero is stored out of band in {@code
 * hasZero} because it marks an empty slot.
 */
public final class FingerprintSet {

  private long[] slots;
  private int size;
  private boolean hasZero;

  public FingerprintSet() {
    this(16);
  }

  public FingerprintSet(int expected) {
    slots = new long[Math.max(16, Integer.highestOneBit(Math.max(1, expected) * 2 - 1) << 1)];
  }

  /** Adds a fingerprint; returns true when it was not yet present. */
  public boolean add(long fingerprint) {
    if (fingerprint == 0) {
      boolean added = !hasZero;
      hasZero = true;
      return added;
    }
    if ((size + 1) * 4L > slots.length * 3L) {
      grow();
    }
    return insert(slots, fingerprint) && ++size > 0;
  }

  /** Returns whether the fingerprint is present. */
  public boolean contains(long fingerprint) {
    if (fingerprint == 0) {
      return hasZero;
    }
    int mask = slots.length - 1;
    for (int i = (int) Fingerprint.mix(fingerprint) & mask; ; i = (i + 1) & mask) {
      long slot = slots[i];
      if (slot == fingerprint) {
        return true;
      }
      if (slot == 0) {
        return false;
      }
    }
  }

  /** Returns the number of fingerprints held. */
  public int size() {
    return size + (hasZero ? 1 : 0);
  }

  /** Removes every fingerprint, keeping the allocated capacity. */
  public void clear() {
    Arrays.fill(slots, 0);
    size = 0;
    hasZero = false;
  }

  /** Returns the bytes the slot array occupies. */
  public long footprintBytes() {
    return 8L * slots.length;
  }

  /** Writes the set, for the frontier's binary form. */
  void writeTo(java.io.DataOutput out) throws java.io.IOException {
    out.writeBoolean(hasZero);
    out.writeInt(size);
    Wire.writeLongs(out, slots);
  }

  /** Replaces this set's content with one written by {@link #writeTo}. */
  void readFrom(java.io.DataInput in) throws java.io.IOException {
    hasZero = in.readBoolean();
    size = in.readInt();
    slots = Wire.readLongs(in);
  }

  private static boolean insert(long[] table, long fingerprint) {
    int mask = table.length - 1;
    for (int i = (int) Fingerprint.mix(fingerprint) & mask; ; i = (i + 1) & mask) {
      long slot = table[i];
      if (slot == fingerprint) {
        return false;
      }
      if (slot == 0) {
        table[i] = fingerprint;
        return true;
      }
    }
  }

  private void grow() {
    long[] bigger = new long[slots.length * 2];
    for (long slot : slots) {
      if (slot != 0) {
        insert(bigger, slot);
      }
    }
    slots = bigger;
  }
}
