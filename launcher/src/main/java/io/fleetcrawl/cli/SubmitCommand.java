package io.fleetcrawl.cli;

import io.fleetcrawl.bus.Addresses;
import io.fleetcrawl.model.InvalidInputException;
import io.fleetcrawl.model.Rejection;
import io.fleetcrawl.model.SubmitBatch;
import io.fleetcrawl.model.SubmitReply;
import io.fleetcrawl.node.ClusterClient;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code fleetcrawl submit}: feeds a URL list to a running cluster through the event bus, in
 * batches, and prints per batch what was accepted and why each other URL was refused.
 */
@Command(
    name = "submit",
    mixinStandardHelpOptions = true,
    description =
        "Send URLs (one per line, '#' comments) to a running cluster's crawl. Exit status: 0 all"
            + " accepted, 3 some rejected (each listed with its reason), 1 failed, 2 bad arguments.")
final class SubmitCommand implements Callable<Integer> {
  /** Exit status when the cluster refused some URLs. */
  static final int SOME_REJECTED = 3;

  @Option(
      names = "--file",
      paramLabel = "FILE",
      description = "File of URLs; '-' or no file reads standard input.")
  String file;

  @Parameters(arity = "0..1", paramLabel = "-", description = "Read URLs from standard input.")
  String dash;

  @Option(names = "--crawl", description = "Crawl to feed (default: ${DEFAULT-VALUE}).")
  String crawl;

  @Option(
      names = "--batch-size",
      description = "URLs per event-bus message (default: ${DEFAULT-VALUE}).")
  int batchSize;

  @Mixin ClusterFlags cluster;

  @Mixin ConfigFlag config;

  /** Lines of the input refused before sending (not UTF-8, too long). */
  private int refusedLines;

  @Override
  public Integer call() throws Exception {
    if (dash != null && !dash.equals("-")) {
      throw new InvalidInputException(
          "invalid argument '" + dash + "': use --file FILE, or '-' for standard input");
    }
    if (batchSize < 1 || batchSize > 10_000) {
      throw new InvalidInputException("invalid --batch-size: must be 1..10000");
    }
    List<String> urls = read();
    if (urls.isEmpty()) {
      throw new InvalidInputException("no URL to submit");
    }
    Vertx vertx =
        ClusterClient.connect(cluster.settings())
            .toCompletionStage()
            .toCompletableFuture()
            .get(120, TimeUnit.SECONDS);
    try {
      return submit(vertx, urls, System.out);
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }
  }

  private int submit(Vertx vertx, List<String> urls, PrintStream out) throws Exception {
    int accepted = 0;
    int rejected = 0;
    int batches = (urls.size() + batchSize - 1) / batchSize;
    for (int b = 0; b < batches; b++) {
      List<String> batch = urls.subList(b * batchSize, Math.min(urls.size(), (b + 1) * batchSize));
      SubmitReply reply;
      try {
        reply =
            vertx
                .eventBus()
                .<SubmitReply>request(
                    Addresses.intake(crawl),
                    new SubmitBatch(crawl, batch),
                    new DeliveryOptions().setSendTimeout(60_000))
                .toCompletionStage()
                .toCompletableFuture()
                .get(90, TimeUnit.SECONDS)
                .body();
      } catch (ExecutionException e) {
        if (e.getCause() instanceof ReplyException r
            && r.failureType() == ReplyFailure.NO_HANDLERS) {
          throw new IllegalStateException(
              "no node of the cluster runs crawl '" + crawl + "'; batches sent before: " + b);
        }
        throw new IllegalStateException(
            "batch " + (b + 1) + " of " + batches + " failed: " + e.getCause().getMessage());
      }
      accepted += reply.accepted();
      rejected += reply.rejected().size();
      out.printf(
          "batch %d/%d: %d accepted, %d rejected%n",
          b + 1, batches, reply.accepted(), reply.rejected().size());
      for (Rejection r : reply.rejected()) {
        out.printf("  rejected %s: %s (%s)%n", r.reason(), r.url(), r.detail());
      }
    }
    rejected += refusedLines;
    out.printf("total: %d accepted, %d rejected%n", accepted, rejected);
    return rejected == 0 ? 0 : SOME_REJECTED;
  }

  private List<String> read() throws IOException {
    boolean stdin = file == null || file.equals("-");
    if (!stdin && !Files.isReadable(Path.of(file))) {
      throw new InvalidInputException("invalid --file: cannot read " + file);
    }
    java.util.function.Consumer<String> refused =
        why -> {
          refusedLines++;
          System.out.println("  rejected MALFORMED: " + why);
        };
    if (stdin) {
      return UrlLines.read(System.in, "standard input", refused);
    }
    try (InputStream in = Files.newInputStream(Path.of(file))) {
      return UrlLines.read(in, file, refused);
    }
  }
}
