package io.fleetcrawl.frontier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FingerprintSetTest {
  @Test
  void behavesLikeASetOfLongsThroughGrowthIncludingZero() {
    FingerprintSet set = new FingerprintSet();
    Set<Long> reference = new HashSet<>();
    Random random = new Random(42);
    for (int i = 0; i < 100_000; i++) {
      long value = i % 1000 == 0 ? 0 : random.nextLong() % 50_000;
      assertEquals(reference.add(value), set.add(value), "add " + value);
    }
    assertEquals(reference.size(), set.size());
    for (long v : reference) {
      assertTrue(set.contains(v));
    }
    assertFalse(set.contains(Long.MAX_VALUE));
  }

  @Test
  void usesAtMostSixteenBytesPerMemberOnAverageWhenFull() {
    FingerprintSet set = new FingerprintSet();
    for (int i = 1; i <= 1_000_000; i++) {
      set.add(Fingerprint.of("http://example.com/" + i));
    }
    assertEquals(1_000_000, set.size());
    assertTrue(
        set.footprintBytes() / set.size() <= 17,
        "bytes per member " + set.footprintBytes() / set.size());
  }
}
