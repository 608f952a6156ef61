package io.fleetcrawl.testkit.cli;

import io.fleetcrawl.model.InvalidInputException;
import io.fleetcrawl.testkit.site.TreeSite;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code fleetcrawl tree-site}: serves a many-host site on loopback with a fixed delay per
 * response, for the scaling benchmark; runs until its standard input closes. With {@code --listen}
 * it serves one server for a container network instead (each alias a host), until stopped.
 */
@Command(
    name = "tree-site",
    hidden = true,
    description =
        "Serve a latency-bound site of many loopback hosts; exits when stdin closes. With"
            + " --listen HOST:PORT, one server answering for any name, until stopped.")
public final class TreeSiteCommand implements Callable<Integer> {
  @Option(names = "--hosts", defaultValue = "200")
  int hosts;

  @Option(names = "--pages-per-host", defaultValue = "50")
  int pagesPerHost;

  @Option(names = "--delay-ms", defaultValue = "50")
  long delayMs;

  @Option(names = "--seeds-file")
  Path seedsFile;

  @Option(names = "--listen", description = "HOST:PORT to serve on, for a container network.")
  String listen;

  @Override
  public Integer call() throws Exception {
    if (pagesPerHost < 1 || delayMs < 0) {
      throw new InvalidInputException("invalid tree-site option: pages >= 1, delay >= 0");
    }
    if (listen != null) {
      return serveUntilStopped();
    }
    if (seedsFile == null) {
      throw new InvalidInputException("tree-site needs --seeds-file, or --listen HOST:PORT");
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

  private int serveUntilStopped() throws Exception {
    int colon = listen.lastIndexOf(':');
    int port;
    try {
      port = Integer.parseInt(listen.substring(colon + 1));
    } catch (NumberFormatException | IndexOutOfBoundsException e) {
      throw new InvalidInputException("invalid --listen '" + listen + "': expected HOST:PORT");
    }
    if (colon < 1 || port < 1 || port > 65_535) {
      throw new InvalidInputException("invalid --listen '" + listen + "': expected HOST:PORT");
    }
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
    TreeSite site = TreeSite.listen(vertx, listen.substring(0, colon), port, pagesPerHost, delayMs);
    System.out.println(
        "tree-site ready on " + listen + ": " + pagesPerHost + " pages per host name, from /p/0");
    System.out.flush();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    site.close().await(10, TimeUnit.SECONDS);
                    vertx.close().await(10, TimeUnit.SECONDS);
                  } catch (Exception e) {
                    System.err.println("tree-site: closing failed: " + e);
                  } finally {
                    stopped.countDown();
                  }
                }));
    stopped.await();
    return 0;
  }
}
