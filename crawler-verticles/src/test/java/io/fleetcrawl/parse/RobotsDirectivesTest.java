package io.fleetcrawl.parse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.Test;

class RobotsDirectivesTest {
  @Test
  void noneMeansNoindexAndNofollow() {
    assertEquals(new RobotsDirectives(true, true), RobotsDirectives.parse("NONE"));
    assertEquals(new RobotsDirectives(true, false), RobotsDirectives.parse("noindex, follow"));
    assertEquals(RobotsDirectives.NONE, RobotsDirectives.parse("all"));
  }

  @Test
  void xRobotsTagAppliesUnprefixedValuesAndThoseForThisAgentOnly() {
    assertEquals(
        new RobotsDirectives(false, true),
        RobotsDirectives.fromHeaders(List.of("otherbot: noindex", "nofollow"), "fleetcrawl"));
    assertEquals(
        new RobotsDirectives(true, false),
        RobotsDirectives.fromHeaders(List.of("FleetCrawl: noindex"), "fleetcrawl"));
    assertEquals(
        new RobotsDirectives(true, false),
        RobotsDirectives.fromHeaders(
            List.of("unavailable_after: 25 Jun 2010 15:00:00 PST, noindex"), "fleetcrawl"),
        "a directive with a value is not an agent name");
  }

  @Test
  void listsOnlyTheDirectivesGiven() {
    assertNull(RobotsDirectives.NONE.asList());
    assertEquals(List.of("noindex", "nofollow"), new RobotsDirectives(true, true).asList());
  }
}
