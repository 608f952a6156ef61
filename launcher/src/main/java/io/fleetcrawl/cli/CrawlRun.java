package io.fleetcrawl.cli;

import io.fleetcrawl.bus.Addresses;
import io.fleetcrawl.bus.Json;
import io.fleetcrawl.config.CrawlConfig;
import io.fleetcrawl.config.FetchConfig;
import io.fleetcrawl.config.OutputConfig;
import io.fleetcrawl.config.StateConfig;
import io.fleetcrawl.crawl.RunningCrawl;
import io.fleetcrawl.metrics.CrawlStats;
import io.fleetcrawl.model.InvalidInputException;
import io.fleetcrawl.model.Rejection;
import io.fleetcrawl.model.SubmitBatch;
import io.fleetcrawl.model.SubmitReply;
import io.fleetcrawl.node.ClusterSettings;
import io.fleetcrawl.node.CrawlNode;
import io.fleetcrawl.output.JsonlResultSink;
import io.fleetcrawl.output.ResultSink;
import io.fleetcrawl.output.SinkChain;
import io.fleetcrawl.ratecontrol.BudgetConfig;
import io.fleetcrawl.state.CrawlState;
import io.vertx.core.eventbus.DeliveryOptions;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Runs one crawl to completion on a single node: start the node, feed the seeds through the event
 * bus in batches, show progress until the frontier is drained, then write the summary.
 */
public final class CrawlRun {
  private static final int BATCH = 1_000;
  private static final long TICK_MS = 100;

  private final ClusterSettings cluster;
  private final CrawlConfig config;
  private final FetchConfig fetch;
  private final Path out;
  private final PrintStream err;
  private final boolean progress;
  private BudgetConfig budgets = BudgetConfig.FIXED;
  private final OutputConfig output;
  private final List<ResultSink> extraSinks = new ArrayList<>();
  private StateConfig state = StateConfig.off();
  private boolean resume;

  public CrawlRun(
      ClusterSettings cluster,
      CrawlConfig config,
      FetchConfig fetch,
      OutputConfig output,
      Path out,
      PrintStream err,
      boolean progress) {
    this.cluster = cluster;
    this.config = config;
    this.fetch = fetch;
    this.output = output;
    this.out = out;
    this.err = err;
    this.progress = progress;
  }

  /**
   * Adds a sink written after the crawl's own (WARC, JSONL), for a program that embeds the crawler
   * and wants the results elsewhere too; returns this.
   */
  CrawlRun alsoWriteTo(ResultSink sink) {
    extraSinks.add(sink);
    return this;
  }

  /**
   * Sets where the crawl's state is saved (nowhere by default) and whether the crawl resumes the
   * state saved there (else any is dropped and the crawl starts anew); returns this.
   */
  public CrawlRun state(StateConfig state, boolean resume) {
    this.state = state;
    this.resume = resume;
    return this;
  }

  /** Sets how per-host budgets are set (fixed by default); returns this. */
  public CrawlRun budgets(BudgetConfig budgets) {
    this.budgets = budgets;
    return this;
  }

  /** Crawls the seeds; returns the summary written to {@code out/summary.json}. */
  public Map<String, Object> run(List<String> seeds) throws Exception {
    if (fetch.pool().insecureTls()) {
      err.println("WARNING: --insecure-tls: TLS certificates are not verified");
    }
    if (resume && !state.enabled()) {
      throw new InvalidInputException("invalid --resume: it needs the saved state, not --no-state");
    }
    Files.createDirectories(out);
    JsonlResultSink jsonl;
    if (resume) {
      // Results of the runs before are kept: this one writes pages-000001.jsonl, the next -000002.
      jsonl = JsonlResultSink.rotating(out, "pages", Long.MAX_VALUE);
    } else {
      Files.deleteIfExists(out.resolve("pages.jsonl"));
      jsonl = new JsonlResultSink(out.resolve("pages.jsonl"));
    }
    Path results = jsonl.file();
    // A crawl of its own is a cluster of its own: a private name keeps other nodes from joining it.
    ClusterSettings ownCluster = cluster.withClusterName("fleetcrawl-crawl-" + UUID.randomUUID());
    long start = System.nanoTime();
    CrawlNode node =
        CrawlNode.start(
                ownCluster,
                List.of(config),
                fetch,
                Map.of(config.name(), sinks(jsonl)),
                0,
                budgets,
                output,
                state.startingAnew(!resume))
            .toCompletionStage()
            .toCompletableFuture()
            .get(120, TimeUnit.SECONDS);
    long startupMs = (System.nanoTime() - start) / 1_000_000;
    // SIGTERM (Ctrl-C): the fetches in flight finish and are written, the state is saved, the
    // files are closed; `crawl --resume` then continues with nothing fetched twice.
    Thread onSignal =
        new Thread(
            () -> {
              err.println("crawl: stopping; resume it with: fleetcrawl crawl --resume " + out);
              try {
                node.leave().toCompletionStage().toCompletableFuture().get(45, TimeUnit.SECONDS);
              } catch (Exception e) {
                err.println("crawl: could not finish the fetches in flight: " + e);
              }
              try {
                node.stop().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
              } catch (Exception e) {
                err.println("crawl: stopping failed: " + e);
              }
            },
            "fleetcrawl-stop");
    Runtime.getRuntime().addShutdownHook(onSignal);
    boolean signalled = false;
    try {
      long crawlStart = System.nanoTime();
      if (resume) {
        long restored = outstandingInFrontier(node.crawl());
        if (restored == 0 && seeds.isEmpty()) {
          // The file opened for this run's results stays empty: it is not left behind.
          Files.deleteIfExists(results);
          throw new InvalidInputException(
              "nothing to resume in "
                  + out
                  + ": no URL is left in the saved state ("
                  + node.crawls().get(0).state().status().get("store")
                  + ")");
        }
        // Counted as admitted here, so the crawl runs until they are all done.
        node.crawl().stats().admitted.add(restored);
        err.println("resuming: " + restored + " URLs left in the saved frontier");
      }
      int rejected = submit(node, seeds);
      awaitDrained(node.crawl(), crawlStart);
      Map<String, Object> summary = summary(node.crawl(), crawlStart, rejected, results);
      CrawlState state = node.crawls().get(0).state();
      if (state != null) {
        // Saves so far (the last one, as the node leaves, is not counted): what keeping the
        // crawl resumable cost in writes.
        summary.put("state", state.status());
      }
      if (output.warc()) {
        // What the archive wrote, and how often its payload index needed the cluster.
        Map<String, Object> archive = new LinkedHashMap<>();
        node.crawl()
            .sink()
            .status()
            .forEach(
                (k, v) -> {
                  if ((k.startsWith("warc") || k.startsWith("payload")) && !k.equals("warcFile")) {
                    archive.put(k, v);
                  }
                });
        summary.put("archive", archive);
      }
      summary.put("startupMs", startupMs);
      Files.write(
          out.resolve("summary.json"),
          Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(summary));
      return summary;
    } finally {
      try {
        Runtime.getRuntime().removeShutdownHook(onSignal);
      } catch (IllegalStateException shuttingDown) {
        signalled = true;
      }
      if (!signalled) {
        node.stop().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
      }
    }
  }

  /** Returns the URLs the frontier holds, queued or leased. Blocking; not on an event loop. */
  private static long outstandingInFrontier(RunningCrawl crawl) {
    long n = 0;
    for (var key : crawl.frontier().stats()) {
      n += key.queued() + key.leased();
    }
    return n;
  }

  private ResultSink sinks(JsonlResultSink jsonl) {
    ResultSink own = ResultSinks.open(out, "crawl", config, output, jsonl);
    if (extraSinks.isEmpty()) {
      return own;
    }
    List<ResultSink> all = new ArrayList<>();
    all.add(own);
    all.addAll(extraSinks);
    return new SinkChain(all);
  }

  private int submit(CrawlNode node, List<String> seeds) throws Exception {
    int rejected = 0;
    for (int i = 0; i < seeds.size(); i += BATCH) {
      SubmitBatch batch =
          new SubmitBatch(config.name(), seeds.subList(i, Math.min(seeds.size(), i + BATCH)));
      SubmitReply reply =
          node.vertx()
              .eventBus()
              .<SubmitReply>request(
                  Addresses.intake(config.name()),
                  batch,
                  new DeliveryOptions().setSendTimeout(60_000))
              .toCompletionStage()
              .toCompletableFuture()
              .get(90, TimeUnit.SECONDS)
              .body();
      for (Rejection r : reply.rejected()) {
        err.println("seed rejected (" + r.reason() + "): " + r.url() + ": " + r.detail());
      }
      rejected += reply.rejected().size();
    }
    return rejected;
  }

  private void awaitDrained(RunningCrawl crawl, long start) throws InterruptedException {
    CrawlStats stats = crawl.stats();
    ProgressLine line = new ProgressLine(start);
    long nextLine = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
    while (!stats.drained()) {
      if (stats.fatal() != null) {
        throw new IllegalStateException("crawl stopped: " + stats.fatal());
      }
      Thread.sleep(TICK_MS);
      if (progress && System.nanoTime() >= nextLine) {
        err.println(line.format(stats, crawl.poolMetrics(), System.nanoTime()));
        nextLine += TimeUnit.SECONDS.toNanos(1);
      }
    }
  }

  private Map<String, Object> summary(
      RunningCrawl crawl, long start, int rejectedSeeds, Path results) {
    CrawlStats stats = crawl.stats();
    // From the first seed to the drain: node start-up (Hazelcast joining) is reported apart.
    long durationMs = (System.nanoTime() - start) / 1_000_000;
    long pages = stats.terminal.sum();
    Map<String, Object> summary = new LinkedHashMap<>();
    summary.put("crawl", config.name());
    summary.put("pagesFetched", stats.pages.sum());
    summary.put("results", pages);
    summary.put("durationMs", durationMs);
    summary.put(
        "pagesPerSecond",
        Math.round(stats.pages.sum() * 10_000.0 / Math.max(1, durationMs)) / 10.0);
    summary.put("rejectedSeeds", rejectedSeeds);
    summary.putAll(stats.snapshot());
    summary.put("pool", crawl.poolMetrics().snapshot());
    summary.put("resultsFile", results.toAbsolutePath().toString());
    if (output.warc()) {
      summary.put(
          "warcDirectory", out.resolve(ResultSinks.WARC_DIRECTORY).toAbsolutePath().toString());
    }
    return summary;
  }

  /** Prints the summary for a person. */
  public static void print(Map<String, Object> summary, PrintStream err) {
    err.printf(
        "done: %s results, %s pages fetched in %.1f s (%s pages/s); 2xx %s 3xx %s 4xx %s 5xx %s,"
            + " 429/503 %s, errors %s, retries %s, robots-excluded %s, connections opened %s%n"
            + "%s"
            + "results: %s%n"
            + "%s",
        summary.get("results"),
        summary.get("pagesFetched"),
        ((Number) summary.get("durationMs")).longValue() / 1000.0,
        summary.get("pagesPerSecond"),
        summary.get("status2xx"),
        summary.get("status3xx"),
        summary.get("status4xx"),
        summary.get("status5xx"),
        summary.get("throttled429or503"),
        summary.get("fetchErrors"),
        summary.get("retries"),
        summary.get("robotsExcluded"),
        ((Map<?, ?>) summary.get("pool")).get("connectionsOpened"),
        refusals(summary),
        summary.get("resultsFile"),
        summary.containsKey("warcDirectory")
            ? "archive: " + summary.get("warcDirectory") + " (WARC 1.1, one .cdxj index per file)\n"
            : "");
  }

  /** Returns a line naming the URLs intake refused by reason, or "" when none was. */
  private static String refusals(Map<String, Object> summary) {
    Object refused = summary.get("refused");
    if (!(refused instanceof Map<?, ?> byReason) || byReason.isEmpty()) {
      return "";
    }
    StringBuilder line = new StringBuilder("refused URLs:");
    byReason.forEach((reason, n) -> line.append(' ').append(reason).append(' ').append(n));
    Object capped = summary.get("linksCapped");
    if (capped instanceof Number n && n.longValue() > 0) {
      line.append("; links beyond --max-links-per-page ").append(n);
    }
    return line.append('\n').toString();
  }

  /** Reads seeds: each value is a URL, or a file of URLs one per line ('#' starts a comment). */
  static List<String> readSeeds(List<String> values) {
    List<String> seeds = new java.util.ArrayList<>();
    for (String value : values) {
      if (value.matches("(?i)^[a-z][a-z0-9+.-]*://.*")) {
        seeds.add(value);
        continue;
      }
      Path file = Path.of(value);
      if (!Files.isReadable(file)) {
        throw new InvalidInputException(
            "invalid --seeds: '" + value + "' is neither a URL nor a readable file");
      }
      try (var in = Files.newInputStream(file)) {
        seeds.addAll(
            UrlLines.read(in, "seeds file " + file, why -> System.err.println("rejected " + why)));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read seeds file " + file + ": " + e.getMessage(), e);
      }
    }
    if (seeds.isEmpty()) {
      throw new InvalidInputException("invalid --seeds: no URL given");
    }
    return seeds;
  }
}
