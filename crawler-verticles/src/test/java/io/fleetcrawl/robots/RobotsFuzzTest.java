package io.fleetcrawl.robots;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.code_intelligence.jazzer.mutation.annotation.NotNull;
import java.util.List;

/**
 * robots.txt files from strangers under Jazzer: any body a server answers with 200 becomes rules
 * the crawler can ask about any path, with a crawl-delay that is never negative. Regression inputs
 * live in {@code src/test/resources/io/fleetcrawl/robots/RobotsFuzzTestInputs/}.
 */
class RobotsFuzzTest {
  private static final crawlercommons.robots.SimpleRobotRulesParser PARSER =
      RobotsCache.newParser();

  @FuzzTest(maxDuration = "45s")
  void anyRobotsTxtGivesRulesThatAnswerForAnyPath(byte @NotNull [] body, @NotNull String path) {
    RobotsRules rules =
        RobotsCache.fromBody(
            PARSER,
            "http://fuzz.example/robots.txt",
            body,
            "text/plain",
            List.of("fleetcrawl"),
            Long.MAX_VALUE);
    rules.allows("http://fuzz.example/" + path);
    rules.allows("http://fuzz.example/");
    assertTrue(rules.crawlDelayMs() >= 0);
  }
}
