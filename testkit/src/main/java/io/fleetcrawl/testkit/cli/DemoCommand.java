package io.fleetcrawl.testkit.cli;

import io.fleetcrawl.cli.ConfigFlag;
import io.fleetcrawl.cli.CrawlOptions;
import io.fleetcrawl.cli.CrawlRun;
import io.fleetcrawl.model.InvalidInputException;
import io.fleetcrawl.testkit.site.DemoSite;
import io.fleetcrawl.testkit.site.DemoSite.HostSpec;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code fleetcrawl demo}: starts the demo site on loopback and crawls it with the real crawler.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description =
        "Serve a generated site on 127.0.0.x (HTTP/1.1, HTTPS with h2, one host answering 429 above 100 r/s) and crawl it.")
public final class DemoCommand implements Callable<Integer> {
  @Option(
      names = "--out",
      paramLabel = "DIR",
      description = "Output directory (default: ${DEFAULT-VALUE}).")
  Path out;

  @Option(
      names = "--pages-per-host",
      description = "Pages on each of the 4 hosts (default: ${DEFAULT-VALUE}).")
  int pagesPerHost;

  @Mixin CrawlOptions options;

  @Mixin ConfigFlag config;

  @Override
  public Integer call() throws Exception {
    if (pagesPerHost < 1) {
      throw new InvalidInputException(
          "invalid --pages-per-host: must be >= 1, was " + pagesPerHost);
    }
    List<HostSpec> hosts =
        List.of(
            new HostSpec(false, 0),
            new HostSpec(true, 0),
            new HostSpec(false, 0),
            new HostSpec(true, 100));
    Vertx siteVertx = Vertx.vertx();
    try {
      DemoSite site =
          DemoSite.start(siteVertx, hosts, pagesPerHost)
              .toCompletionStage()
              .toCompletableFuture()
              .get(30, TimeUnit.SECONDS);
      Files.createDirectories(out);
      Path cert = out.resolve("demo-cert.pem");
      Files.write(cert, DemoSite.certificatePem().getBytes());
      options.forLocalSite(cert);
      System.err.println(
          "demo site: " + String.join(" ", site.origins()) + " (429 above 100 r/s on the last)");
      Map<String, Object> summary =
          new CrawlRun(
                  options.clusterSettings(),
                  options.crawlConfig(),
                  options.fetchConfig(),
                  options.outputConfig(),
                  out,
                  System.err,
                  true)
              .budgets(options.budgetConfig())
              .run(site.seeds());
      CrawlRun.print(summary, System.err);
      System.err.println("the site answered " + site.throttledCount() + " requests with 429");
      if (summary.containsKey("warcDirectory")) {
        System.err.println(
            "read the archive with any WARC tool, e.g. jwarc (java -jar jwarc.jar ls FILE) or"
                + " warcio (npx warcio index FILE); replay it with pywb using the .cdxj indexes");
      }
      return 0;
    } finally {
      siteVertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }
}
