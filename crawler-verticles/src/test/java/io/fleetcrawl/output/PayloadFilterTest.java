package io.fleetcrawl.output;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class PayloadFilterTest {
  private static String digest(String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    return WarcResultSink.sha1(bytes, 0, bytes.length).toString();
  }

  @Test
  void everyDigestAddedIsAMaybeAlsoAfterTheFilterGrew() {
    PayloadFilter filter = new PayloadFilter(10_000);
    for (int i = 0; i < 50_000; i++) {
      filter.add(digest("page " + i));
    }
    assertTrue(filter.segments() >= 3, "grew past its first capacity: " + filter.segments());
    for (int i = 0; i < 50_000; i++) {
      assertTrue(filter.mightContain(digest("page " + i)), "page " + i);
    }
  }

  @Test
  void fewDigestsNeverAddedAreMaybes() {
    PayloadFilter filter = new PayloadFilter(100_000);
    for (int i = 0; i < 100_000; i++) {
      filter.add(digest("archived " + i));
    }
    int maybes = 0;
    for (int i = 0; i < 100_000; i++) {
      if (filter.mightContain(digest("new " + i))) {
        maybes++;
      }
    }
    // 10 bits and 7 hashes an entry, at capacity: about 0.8 % in theory.
    assertTrue(maybes < 1_500, "false maybes at capacity: " + maybes + " of 100,000");
  }
}
