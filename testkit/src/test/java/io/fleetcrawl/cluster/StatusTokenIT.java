package io.fleetcrawl.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node whose status endpoint is reachable beyond loopback refuses to start without a token, and
 * with one answers nothing (page, /status, /metrics) to a caller that does not present it.
 */
@Tag("integration")
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class StatusTokenIT {
  private static final String TOKEN = "t0ken-for-the-status-port-7f3a9c";
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @TempDir Path dir;
  private ClusterRun cluster;

  @AfterEach
  void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static int get(String url, String authorization) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10));
    if (authorization != null) {
      request.header("Authorization", authorization);
    }
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  @Test
  void statusBeyondLoopbackNeedsATokenAndAnswersOnlyToIt() throws Exception {
    cluster = new ClusterRun(dir, List.of("--status-host", "0.0.0.0"));
    NodeProcess open = NodeProcess.startNode("open", dir, cluster.nodeArgs);
    cluster.nodes.add(open);
    assertTrue(open.process.waitFor(60, TimeUnit.SECONDS), "refused at once");
    assertEquals(2, open.process.exitValue(), open.tail());
    assertTrue(
        open.tail().contains("status and metrics would be open to the network"), open.tail());

    cluster.close();
    Path tokenFile = dir.resolve("status-token");
    Files.writeString(tokenFile, TOKEN + "\n");
    cluster =
        new ClusterRun(
            dir, List.of("--status-host", "0.0.0.0", "--status-token-file", tokenFile.toString()));
    NodeProcess node = cluster.start("guarded").get(0);
    String base = node.baseUrl();
    for (String path : List.of("/", "/status", "/metrics")) {
      assertEquals(401, get(base + path, null), path + " without a token");
      assertEquals(401, get(base + path, "Bearer wrong-token-of-the-same-sort"), path);
      assertEquals(200, get(base + path, "Bearer " + TOKEN), path + " with the token");
    }
    assertEquals(200, get(base + "/status?token=" + TOKEN, null), "the page's query string");
    cluster.terminateAll();
  }
}
