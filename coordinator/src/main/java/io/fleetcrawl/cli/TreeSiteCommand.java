package io.fleetcrawl.cli;

import io.fleetcrawl.demo.TreeSite;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code fleetcrawl tree-site}: serves a many-host site on loopback with a fixed delay per
 * response, for the scaling benchmark; runs until its standard input closes.
 */
@Command(
    name = "tree-site",
    hidden = true,
    description = "Serve a latency-bound site of many loopback hosts; exits when stdin closes.")
final class TreeSiteCommand implements Callable<Integer> {
  @Option(names = "--hosts", defaultValue = "200")
  int hosts;

  @Option(names = "--pages-per-host", defaultValue = "50")
  int pagesPerHost;

  @Option(names = "--delay-ms", defaultValue = "50")
  long delayMs;

  @Option(names = "--seeds-file", required = true)
  Path seedsFile;

  @Override
  public Integer call() throws Exception {
    if (pagesPerHost < 1 || delayMs < 0) {
      throw new IllegalArgumentException("invalid tree-site option: pages >= 1, delay >= 0");
    }
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
    TreeSite site = TreeSite.start(vertx, hosts, pagesPerHost, delayMs);
    Files.write(seedsFile, site.seeds());
    System.out.println("tree-site ready: " + hosts * pagesPerHost + " pages");
    System.out.flush();
    try {
      while (System.in.read() >= 0) {
        // Serve until the benchmark closes our stdin.
      }
    } finally {
      System.out.println("tree-site served " + site.requests().size() + " URLs");
      site.close().await(10, TimeUnit.SECONDS);
      vertx.close().await(10, TimeUnit.SECONDS);
    }
    return 0;
  }
}
