package io.fleetcrawl.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fleetcrawl.bus.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The image's entrypoint and launcher, run outside any container: environment variables become a
 * real node's settings, a missing one is named, and SIGTERM stops it; the compose file's shape is
 * checked. The image and compose file themselves run in docker/e2e/compose-e2e.sh (.ci/run).
 */
@Tag("integration")
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class EntrypointIT {
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final Path ENTRYPOINT = ROOT.resolve("docker/entrypoint.sh");
  private static final Path LAUNCHER = ROOT.resolve("docker/fleetcrawl.sh");

  @TempDir Path dir;

  private Process start(Map<String, String> env, Path log) throws Exception {
    ProcessBuilder pb =
        new ProcessBuilder("bash", ENTRYPOINT.toString())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    pb.environment().putAll(env);
    return pb.start();
  }

  private static Map<String, String> env(String... pairs) {
    Map<String, String> env = new java.util.HashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      env.put(pairs[i], pairs[i + 1]);
    }
    return env;
  }

  @Test
  void missingMemberListIsNamed() throws Exception {
    Path log = dir.resolve("missing.log");
    Process p = start(Map.of("FLEETCRAWL_INTERFACE", "127.0.0.1"), log);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(2, p.exitValue());
    assertTrue(Files.readString(log).contains("FLEETCRAWL_MEMBERS is required"));
  }

  @Test
  void environmentConfiguresARealNodeAndSigtermStopsIt() throws Exception {
    Path log = dir.resolve("node.log");
    String java = Path.of(System.getProperty("java.home"), "bin").toString();
    Process p =
        start(
            env(
                "PATH", java + ":" + System.getenv("PATH"),
                "FLEETCRAWL_NODE_NAME", "dock1",
                "FLEETCRAWL_CRAWL", "compose",
                "FLEETCRAWL_CLUSTER_NAME", "entrypoint-" + UUID.randomUUID(),
                "FLEETCRAWL_MEMBERS", "127.0.0.1",
                "FLEETCRAWL_INTERFACE", "127.0.0.1",
                "FLEETCRAWL_STATUS_HOST", "127.0.0.1",
                "FLEETCRAWL_STATUS_PORT", "0",
                "FLEETCRAWL_OUT", dir.resolve("results").toString(),
                "FLEETCRAWL_JAVA_OPTS", "-Xmx256m -XX:+UseSerialGC",
                "FLEETCRAWL_CLASSPATH", System.getProperty("java.class.path"),
                "FLEETCRAWL_LAUNCHER", LAUNCHER.toString()),
            log);
    try {
      Matcher m = Pattern.compile("status http://127\\.0\\.0\\.1:(\\d+)/status").matcher("");
      long deadline = System.currentTimeMillis() + 120_000;
      while (!m.reset(Files.readString(log)).find()) {
        assertTrue(p.isAlive(), Files.readString(log));
        assertTrue(System.currentTimeMillis() < deadline, "node did not start");
        Thread.sleep(100);
      }
      String body =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + m.group(1) + "/status"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString())
              .body();
      JsonNode status = Json.MAPPER.readTree(body);
      assertEquals("dock1", status.get("node").get("name").asText());
      assertEquals("compose", status.get("crawl").asText());
      assertTrue(
          status
              .get("node")
              .get("resultsFile")
              .asText()
              .startsWith(dir.resolve("results").resolve("compose").toString()));

      p.destroy();
      assertTrue(p.waitFor(60, TimeUnit.SECONDS), "SIGTERM stops the node");
      assertTrue(Files.readString(log).contains("node dock1: leaving the cluster"));
    } finally {
      p.destroyForcibly();
    }
  }

  @Test
  void composeFileRunsThreeNodesAndAPrometheusConfiguredByEnvironment() throws Exception {
    // Parsed with Debian's python3-yaml: Docker's own `compose config` is not available here.
    Path out = dir.resolve("compose.json");
    Process p =
        new ProcessBuilder(
                "python3",
                "-c",
                "import json,sys,yaml; json.dump(yaml.safe_load(open(sys.argv[1])), open(sys.argv[2],'w'))",
                ROOT.resolve("docker/docker-compose.yml").toString(),
                out.toString())
            .inheritIO()
            .start();
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), "docker-compose.yml is valid YAML");
    JsonNode services = Json.MAPPER.readTree(out.toFile()).get("services");
    String entrypoint = Files.readString(ENTRYPOINT) + Files.readString(LAUNCHER);
    for (String node : List.of("node1", "node2", "node3")) {
      JsonNode service = services.get(node);
      assertTrue(service.has("environment"), node);
      assertTrue(!service.has("command") && !service.has("entrypoint"), node + ": env only");
      service
          .get("environment")
          .fieldNames()
          .forEachRemaining(
              key -> assertTrue(entrypoint.contains(key), key + " is read by the entrypoint"));
      // Listed by service name, with node4 (compose.node4.yml) as a spare.
      assertEquals(
          "node1,node2,node3,node4", service.get("environment").get("FLEETCRAWL_MEMBERS").asText());
    }
    String prometheus = Files.readString(ROOT.resolve("docker/prometheus.yml"));
    for (String node : List.of("node1:7070", "node2:7070", "node3:7070")) {
      assertTrue(prometheus.contains(node), "Prometheus scrapes " + node);
    }
    String dockerfile = Files.readString(ROOT.resolve("docker/Dockerfile"));
    assertTrue(dockerfile.contains("USER 10001:10001"), "runs as non-root");
    assertTrue(dockerfile.contains("ENTRYPOINT [\"/app/entrypoint.sh\"]"));
  }
}
