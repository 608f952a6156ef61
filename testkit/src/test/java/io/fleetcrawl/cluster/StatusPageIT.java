package io.fleetcrawl.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fleetcrawl.bus.Json;
import io.fleetcrawl.testkit.site.TreeSite;
import io.vertx.core.Vertx;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Renders a node's status page in Debian's headless Chromium while a crawl runs, and checks that
 * what the page shows and charts is the node's live data, and that the screenshot has charts drawn.
 */
@Tag("integration")
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class StatusPageIT {
  @TempDir Path dir;
  private final Vertx vertx = Vertx.vertx();
  private TreeSite site;
  private ClusterRun cluster;

  @AfterEach
  void stopAll() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
    if (site != null) {
      site.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void statusPageChartsTheNodesLiveFigures() throws Exception {
    // About 100 pages/s: the crawl is still running while Chromium renders the page.
    site = TreeSite.start(vertx, 5, 400, 100);
    cluster = new ClusterRun(dir, List.of("--per-host-concurrency", "2"));
    NodeProcess node = cluster.start("n1").get(0);
    assertEquals(0, cluster.submit(site.seeds()).exit());
    ClusterRun.await(
        node, s -> s.get("frontier").get("done").asLong() >= 50, 60_000, "the crawl to start");

    long doneBefore = node.status().get("frontier").get("done").asLong();
    String dom = chromium(List.of("--virtual-time-budget=8000", "--dump-dom"), node);
    long doneAfter = node.status().get("frontier").get("done").asLong();
    Path png = Path.of("target", "status-page.png");
    chromium(
        List.of(
            "--virtual-time-budget=5000",
            "--window-size=1280,1000",
            "--screenshot=" + png.toAbsolutePath()),
        node);

    int samples = Integer.parseInt(attribute(dom, "<body[^>]*data-samples=\"(\\d+)\""));
    assertTrue(samples >= 3, "the page polled /status several times: " + samples);
    assertTrue(dom.contains("<b id=\"node\">n1</b>"), "node name shown");
    assertTrue(dom.contains("<b id=\"crawl\">it</b>"), "crawl name shown");
    long shownDone = Long.parseLong(attribute(dom, "id=\"done\" data-value=\"(\\d+)\""));
    assertTrue(
        shownDone >= doneBefore && shownDone <= doneAfter,
        "shown done " + shownDone + " within " + doneBefore + ".." + doneAfter);

    JsonNode frontierSeries =
        Json.MAPPER.readTree(
            attribute(dom, "id=\"frontierChart\"[^>]*data-points=\"([^\"]*)\"")
                .replace("&quot;", "\""));
    JsonNode done = frontierSeries.get(1);
    assertEquals(samples, done.size(), "one charted point per poll");
    assertEquals(
        shownDone, done.get(done.size() - 1).asLong(), "the chart ends at the shown value");
    for (int i = 1; i < done.size(); i++) {
      assertTrue(done.get(i).asLong() >= done.get(i - 1).asLong(), "done never goes back");
    }
    // Chromium runs the page's timers in virtual time, so its polls may all fall within one of
    // the node's one-second refreshes: the live figure checked is the throughput the node
    // reported while crawling, which is above zero only while pages are being fetched.
    JsonNode rates =
        Json.MAPPER
            .readTree(
                attribute(dom, "id=\"rateChart\"[^>]*data-points=\"([^\"]*)\"")
                    .replace("&quot;", "\""))
            .get(0);
    assertEquals(samples, rates.size());
    assertTrue(rates.get(rates.size() - 1).asDouble() > 0, "live throughput charted: " + rates);
    assertTrue(dom.contains("<td>127.0.1."), "busiest hosts listed");

    BufferedImage image = ImageIO.read(png.toFile());
    assertEquals(1280, image.getWidth());
    // The throughput chart's canvas lies in the left half below the cards: it must hold the
    // line colour, not only background.
    int lineColour = 0;
    for (int y = 200; y < image.getHeight(); y++) {
      for (int x = 0; x < image.getWidth() / 2; x++) {
        int rgb = image.getRGB(x, y) & 0xFFFFFF;
        if (near(rgb, 0x4cc38a)) {
          lineColour++;
        }
      }
    }
    assertTrue(lineColour > 50, "the throughput line is drawn: " + lineColour + " pixels");
    cluster.terminateAll();
  }

  private static boolean near(int rgb, int target) {
    int dr = Math.abs(((rgb >> 16) & 0xFF) - ((target >> 16) & 0xFF));
    int dg = Math.abs(((rgb >> 8) & 0xFF) - ((target >> 8) & 0xFF));
    int db = Math.abs((rgb & 0xFF) - (target & 0xFF));
    return dr + dg + db < 60;
  }

  private static String attribute(String dom, String regex) {
    Matcher m = Pattern.compile(regex).matcher(dom);
    assertTrue(m.find(), "page has " + regex);
    return m.group(1);
  }

  private String chromium(List<String> args, NodeProcess node) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Files.exists(Path.of("/usr/bin/chromium")) ? "/usr/bin/chromium" : "chromium");
    cmd.addAll(
        List.of(
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--user-data-dir=" + Files.createTempDirectory(dir, "chromium")));
    cmd.addAll(args);
    cmd.add(node.baseUrl() + "/");
    Path out = Files.createTempFile(dir, "chromium", ".out");
    Process p =
        new ProcessBuilder(cmd)
            .redirectOutput(out.toFile())
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    try {
      assertTrue(p.waitFor(90, TimeUnit.SECONDS), "chromium finished");
      assertEquals(0, p.exitValue(), "chromium exit status");
      return Files.readString(out);
    } finally {
      p.destroyForcibly();
    }
  }
}
