package io.fleetcrawl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fleetcrawl.bus.Json;
import io.fleetcrawl.testkit.net.NetworkNamespace;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SSRF guard against the real addresses attackers aim at, not loopback stand-ins: in a network
 * namespace of the test's own, canaries listen on 169.254.169.254:80 (cloud metadata), 10.0.0.1:80,
 * [::1]:80 and 127.0.0.1:80, and a site links and redirects to them in every spelling ({@link
 * InternalTargets}). A real {@code fleetcrawl crawl} runs in the namespace with private networks
 * refused and only the site's addresses allowed. Every canary must count zero connections.
 */
@Tag("integration")
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class RealCanariesIT {
  private static final String SITE = "10.99.0.1";
  private static final String ROBOTS_REDIRECT = "10.99.0.2";

  @TempDir Path dir;
  private NetworkNamespace namespace;
  private Process targets;

  @AfterEach
  void cleanUp() throws Exception {
    if (targets != null) {
      targets.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
    if (namespace != null) {
      namespace.close();
    }
  }

  @Test
  void noConnectionReachesTheMetadataAddressPrivateNetworksOrLoopbackInAnySpellingOrPath()
      throws Exception {
    // Not skipped without root: the integration profile needs it anyway (proxies, tmpfs).
    namespace =
        NetworkNamespace.create(
            "fc-canaries", List.of("169.254.169.254", "10.0.0.1", SITE, ROBOTS_REDIRECT));
    Path counts = dir.resolve("canaries.txt");
    Path targetsLog = dir.resolve("targets.log");
    targets =
        new ProcessBuilder(
                java(
                    "io.fleetcrawl.cli.InternalTargets",
                    List.of(counts.toString(), SITE, ROBOTS_REDIRECT)))
            .redirectErrorStream(true)
            .redirectOutput(targetsLog.toFile())
            .start();
    long deadline = System.currentTimeMillis() + 60_000;
    while (!Files.readString(targetsLog).contains("ready")) {
      assertTrue(targets.isAlive(), "the canaries and site start: " + Files.readString(targetsLog));
      assertTrue(System.currentTimeMillis() < deadline, Files.readString(targetsLog));
      Thread.sleep(100);
    }

    Path out = dir.resolve("out");
    List<String> args =
        new ArrayList<>(
            List.of(
                "crawl",
                "--seeds",
                "http://" + SITE + "/",
                "http://169.254.169.254/seed",
                "http://[::1]/seed",
                "--out",
                out.toString(),
                "--allow-network",
                "10.99.0.0/30",
                "--sitemaps",
                // Every host the site links to is in scope: only the network guard stands between
                // the crawl and the canaries.
                "--scope",
                "any",
                "--total-timeout-ms",
                "10000"));
    Path crawlLog = dir.resolve("crawl.log");
    Process crawl =
        new ProcessBuilder(java("io.fleetcrawl.cli.Fleetcrawl", args))
            .redirectErrorStream(true)
            .redirectOutput(crawlLog.toFile())
            .start();
    try {
      assertTrue(crawl.waitFor(180, TimeUnit.SECONDS), "the crawl ends by itself");
    } finally {
      crawl.destroyForcibly();
    }
    String said = Files.readString(crawlLog);
    assertEquals(0, crawl.exitValue(), said);

    Map<String, JsonNode> results = new HashMap<>();
    for (String line : Files.readAllLines(out.resolve("pages.jsonl"))) {
      JsonNode r = Json.MAPPER.readTree(line);
      results.put(r.get("url").asText(), r);
    }
    List<String> countLines = Files.readAllLines(counts);
    assertEquals(InternalTargets.CANARIES.size(), countLines.size(), "" + countLines);
    for (String line : countLines) {
      assertTrue(line.endsWith(" 0"), "connections per canary: " + countLines + "\n" + said);
    }
    System.out.println(
        "canaries "
            + countLines
            + "; results "
            + results.size()
            + "; targets "
            + InternalTargets.TARGETS.size()
            + " spellings x (link, 301, 302, 307, 308, meta refresh, sitemap), robots.txt"
            + " redirect, seeds");

    assertEquals(200, results.get("http://" + SITE + "/").path("status").asInt(), "the site");
    Map<String, String> outcomes = new java.util.TreeMap<>();
    for (int t = 0; t < InternalTargets.TARGETS.size(); t++) {
      String target = InternalTargets.TARGETS.get(t);
      for (String via : List.of("/go/301/", "/go/302/", "/go/307/", "/go/308/", "/refresh/")) {
        String page = "http://" + SITE + via + t;
        JsonNode r = results.get(page);
        assertTrue(r != null, page + " has a result");
        // Spellings java.net.URI does not read as an address (octal) have no host to connect
        // to: refused as malformed, which is as safe; every other one as a private network.
        // A name that resolves inward (localhost) may be admitted and then end, unfetched, with
        // the private-network reason when it is resolved.
        String refused = r.path("redirectRefused").asText();
        JsonNode followed = results.get(target);
        String outcome =
            refused.isEmpty() && followed != null
                ? followed.path("error").asText().replaceAll(":.*", "")
                : refused.replaceAll(":.*", "");
        outcomes.put(target, outcome);
        assertTrue(
            List.of("PRIVATE_NETWORK", "MALFORMED", "private-network").contains(outcome),
            page + " -> " + target + ": " + r + " / " + followed);
      }
    }
    System.out.println("refusal per spelling: " + outcomes);
    JsonNode robots = results.get("http://" + ROBOTS_REDIRECT + "/page");
    assertTrue(
        robots != null && robots.path("error").asText().endsWith("where robots.txt redirects"),
        "a robots.txt redirecting inward ends the host with the reason: " + robots);
    for (String seed : List.of("http://169.254.169.254/seed", "http://[::1]/seed")) {
      assertTrue(said.contains(seed) || !results.containsKey(seed), seed + " refused: " + said);
    }
  }

  /** A JVM in the namespace running a main class of the test's class path, with a small heap. */
  private List<String> java(String mainClass, List<String> args) {
    List<String> cmd = new ArrayList<>(namespace.exec());
    cmd.addAll(
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx256m",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-Djava.io.tmpdir=" + dir,
            "-cp",
            System.getProperty("java.class.path"),
            mainClass));
    cmd.addAll(args);
    return cmd;
  }
}
