package io.fleetcrawl.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code fleetcrawl crawl}: crawls from seeds on one node until the frontier is drained. */
@Command(
    name = "crawl",
    mixinStandardHelpOptions = true,
    description =
        "Crawl from seeds on a single node until nothing is left, writing OUT/pages.jsonl and OUT/summary.json.")
final class CrawlCommand implements Callable<Integer> {
  @Option(
      names = "--seeds",
      required = true,
      arity = "1..*",
      paramLabel = "FILE|URL",
      description = "Seed URLs, or files with one URL per line.")
  List<String> seeds;

  @Option(
      names = "--out",
      required = true,
      paramLabel = "DIR",
      description = "Directory for pages.jsonl and summary.json.")
  Path out;

  @Option(names = "--no-progress", description = "Do not print the progress line.")
  boolean noProgress;

  @Mixin CrawlOptions options;

  @Mixin ConfigFlag config;

  @Override
  public Integer call() throws Exception {
    List<String> urls = CrawlRun.readSeeds(seeds);
    Map<String, Object> summary =
        new CrawlRun(
                options.clusterSettings(),
                options.crawlConfig(),
                options.fetchConfig(),
                options.outputConfig(),
                out,
                System.err,
                !noProgress)
            .budgets(options.budgetConfig())
            .run(urls);
    CrawlRun.print(summary, System.err);
    return 0;
  }
}
