package io.fleetcrawl.cli;

import io.fleetcrawl.model.InvalidInputException;
import java.nio.file.Files;
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
      arity = "1..*",
      paramLabel = "FILE|URL",
      description = "Seed URLs, or files with one URL per line (optional with --resume).")
  List<String> seeds;

  @Option(
      names = "--out",
      paramLabel = "DIR",
      description =
          "Directory for pages.jsonl, summary.json, the WARC files and the saved state; a crawl"
              + " started there before is dropped and started anew.")
  Path out;

  @Option(
      names = "--resume",
      paramLabel = "DIR",
      description =
          "Continue the crawl stopped in DIR (its --out) from its saved state: nothing fetched"
              + " before is fetched again; results go to new files beside the old ones. Give the"
              + " same options as the first run.")
  Path resume;

  @Option(names = "--no-progress", description = "Do not print the progress line.")
  boolean noProgress;

  @Mixin CrawlOptions options;

  @Mixin ConfigFlag config;

  @Override
  public Integer call() throws Exception {
    if (resume != null && out != null && !resume.equals(out)) {
      throw new InvalidInputException(
          "invalid --out: --resume DIR writes to DIR; give one of them");
    }
    if (resume == null && out == null) {
      throw new InvalidInputException("missing --out DIR (or --resume DIR)");
    }
    if (resume == null && (seeds == null || seeds.isEmpty())) {
      throw new InvalidInputException("missing --seeds (only --resume may go without)");
    }
    Path dir = resume != null ? resume : out;
    if (resume != null && !Files.isDirectory(resume)) {
      throw new InvalidInputException("invalid --resume: " + resume + " is not a directory");
    }
    List<String> urls = seeds == null ? List.of() : CrawlRun.readSeeds(seeds);
    Map<String, Object> summary =
        new CrawlRun(
                options.clusterSettings(),
                options.crawlConfig(),
                options.fetchConfig(),
                options.outputConfig(),
                dir,
                System.err,
                !noProgress)
            .budgets(options.budgetConfig())
            .state(options.stateConfig(dir, resume == null), resume != null)
            .run(urls);
    CrawlRun.print(summary, System.err);
    return 0;
  }
}
