package io.fleetcrawl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fleetcrawl.bus.Json;
import io.fleetcrawl.config.CrawlConfig;
import io.fleetcrawl.config.FetchConfig;
import io.fleetcrawl.config.OutputConfig;
import io.fleetcrawl.config.PoolConfig;
import io.fleetcrawl.config.ScopeMode;
import io.fleetcrawl.node.ClusterSettings;
import io.fleetcrawl.testkit.site.DemoSite;
import io.fleetcrawl.testkit.site.DemoSite.HostSpec;
import io.vertx.core.Vertx;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crawls a real four-host site (HTTP/1.1 and HTTPS with h2) end to end on one clustered node, and
 * checks what the servers saw against what the crawler wrote.
 */
@Tag("integration")
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class SingleNodeCrawlIT {
  private static final int PAGES_PER_HOST = 520;

  @TempDir Path dir;
  private Vertx siteVertx;
  private DemoSite site;

  @BeforeEach
  void startSite() throws Exception {
    siteVertx = Vertx.vertx();
    List<HostSpec> hosts =
        List.of(
            new HostSpec(false, 0),
            new HostSpec(true, 0),
            new HostSpec(false, 0),
            new HostSpec(true, 0));
    site =
        DemoSite.start(siteVertx, hosts, PAGES_PER_HOST)
            .toCompletionStage()
            .toCompletableFuture()
            .get(30, TimeUnit.SECONDS);
  }

  @AfterEach
  void stopSite() throws Exception {
    siteVertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  void crawlFetchesEveryReachablePageExactlyOnceAndNothingElse() throws Exception {
    Path cert = dir.resolve("cert.pem");
    Files.write(cert, DemoSite.certificatePem().getBytes());
    CrawlConfig config =
        new CrawlConfig(
            "it",
            ScopeMode.HOST,
            List.of(),
            List.of(),
            1000,
            Long.MAX_VALUE,
            io.fleetcrawl.network.NetworkPolicy.of(true, List.of()),
            true,
            CrawlConfig.DEFAULT_USER_AGENT,
            3);
    FetchConfig fetch =
        new FetchConfig(
            2,
            256,
            8,
            20_000,
            FetchConfig.DEFAULT_MAX_BODY_BYTES,
            30_000,
            PoolConfig.defaults().withTlsTrustPem(cert),
            0);
    ByteArrayOutputStream err = new ByteArrayOutputStream();

    Map<String, Object> summary;
    try (BlockedThreadWatch watch = new BlockedThreadWatch()) {
      summary =
          new CrawlRun(
                  ClusterSettings.bundled(),
                  config,
                  fetch,
                  OutputConfig.defaults(),
                  dir.resolve("out"),
                  new PrintStream(err, true),
                  false)
              .run(site.seeds());
      assertEquals(List.of(), watch.warnings(), "event loops were blocked");
    }

    Map<String, Integer> served = site.requestCounts();
    int expectedPages = 4 * PAGES_PER_HOST;
    Set<String> expectedUrls = new HashSet<>();
    for (String origin : site.origins()) {
      for (int n = 0; n < PAGES_PER_HOST; n++) {
        String url = origin + DemoSite.pagePath(n);
        expectedUrls.add(url);
        assertEquals(1, served.getOrDefault(url, 0), "requests for " + url);
      }
      assertEquals(
          1, served.getOrDefault(origin + "/robots.txt", 0), "robots.txt requests of " + origin);
    }
    served.forEach(
        (url, count) -> {
          assertTrue(!url.contains("/private/"), "robots.txt-disallowed path requested: " + url);
          assertTrue(!url.contains("/nofollow/"), "nofollow link followed: " + url);
          assertTrue(!url.startsWith(site.strangerOrigin()), "out-of-scope host requested: " + url);
        });
    assertEquals(
        expectedPages + 4,
        served.values().stream().mapToInt(Integer::intValue).sum(),
        "requests served");

    Map<String, JsonNode> lines = new HashMap<>();
    Set<String> protocols = new HashSet<>();
    for (String line : Files.readAllLines(dir.resolve("out/pages.jsonl"))) {
      JsonNode node = Json.MAPPER.readTree(line);
      String url = node.get("url").asText();
      assertTrue(lines.put(url, node) == null, "two result lines for " + url);
      if (node.has("status")) {
        assertEquals(200, node.get("status").asInt(), line);
        assertTrue(node.get("links").asInt() >= 15, line);
        protocols.add(node.get("protocol").asText());
      } else {
        assertTrue(url.contains("/private/"), "unexpected failure: " + line);
        assertEquals("excluded: robots.txt disallows", node.get("error").asText());
      }
    }
    Set<String> fetchedUrls = new HashSet<>(lines.keySet());
    fetchedUrls.removeIf(u -> u.contains("/private/"));
    assertEquals(expectedUrls, fetchedUrls, "result lines for fetched pages");
    assertEquals(4 * 10, lines.size() - fetchedUrls.size(), "robots-excluded result lines");
    assertEquals(Set.of("HTTP/1.1", "HTTP/2"), protocols);
    assertEquals((long) expectedPages, ((Number) summary.get("pagesFetched")).longValue());
    assertEquals((long) lines.size(), ((Number) summary.get("results")).longValue());
    assertTrue(Files.exists(dir.resolve("out/summary.json")));
  }
}
