package io.fleetcrawl.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class CrawlControlsTest {
  private final CrawlControls controls = new CrawlControls();

  @Test
  void aBlockedHostOrDomainIsRecognisedWhateverThePortOrCase() {
    controls.apply(
        Map.of("block:example.com", "1", "block:*.ads.test", "1", "block:gone.test", "0"));
    assertEquals("example.com", controls.blockedBy("https://EXAMPLE.com:8443/a"));
    assertEquals("*.ads.test", controls.blockedBy("http://x.ads.test/"));
    assertNull(controls.blockedBy("http://ads.test/"), "*.d names the subdomains, not d");
    assertNull(controls.blockedBy("http://gone.test/"), "unblocked");
    assertNull(controls.blockedBy("http://www.example.com/"));
  }

  @Test
  void pausedOrCancelledHaltsAndResumeLifts() {
    assertFalse(controls.halted());
    controls.apply(Map.of("paused", "1"));
    assertTrue(controls.halted());
    controls.apply(Map.of("paused", "0"));
    assertFalse(controls.halted());
    controls.apply(Map.of("paused", "0", "cancelled", "1"));
    assertTrue(controls.halted());
    assertTrue(controls.cancelled());
  }

  @Test
  void aBudgetIsInFlightWithAnOptionalRateAndClearRemovesIt() {
    controls.apply(Map.of("budget:a.test", "2@5", "budget:b.test", "3", "budget:c.test", "0"));
    assertEquals(2, controls.budgetFor("a.test").concurrency());
    assertEquals(200_000, controls.budgetFor("a.test").spacingMicros());
    assertEquals(0, controls.budgetFor("b.test").spacingMicros());
    assertNull(controls.budgetFor("c.test"));
    assertNull(CrawlControls.parseBudget("clear"));
    org.junit.jupiter.api.Assertions.assertThrows(
        io.fleetcrawl.model.InvalidInputException.class, () -> CrawlControls.parseBudget("fast"));
  }
}
