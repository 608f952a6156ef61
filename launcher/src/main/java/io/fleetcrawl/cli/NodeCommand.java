package io.fleetcrawl.cli;

import io.fleetcrawl.bus.Addresses;
import io.fleetcrawl.config.CrawlConfig;
import io.fleetcrawl.config.OutputConfig;
import io.fleetcrawl.model.InvalidInputException;
import io.fleetcrawl.model.SubmitBatch;
import io.fleetcrawl.model.SubmitReply;
import io.fleetcrawl.node.ClusterSettings;
import io.fleetcrawl.node.CrawlNode;
import io.fleetcrawl.output.JsonlResultSink;
import io.fleetcrawl.output.ResultSink;
import io.fleetcrawl.settings.SettingLayers;
import io.fleetcrawl.status.StatusServer;
import io.vertx.core.eventbus.DeliveryOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code fleetcrawl node}: one long-running cluster member. It works the crawl's frontier with its
 * fetch workers, accepts URL lists on the event bus, serves its status, writes its own rotating
 * results files, and on SIGTERM leaves gracefully: claims nothing more, lets its fetches finish,
 * gives back what it still holds, then leaves the cluster.
 */
@Command(
    name = "node",
    mixinStandardHelpOptions = true,
    description =
        "Run one cluster member: fetch workers, URL intake, status on HTTP. Writes"
            + " OUT/CRAWL/pages-NODE-NNNNNN.jsonl. Stop it with SIGTERM (Ctrl-C).")
final class NodeCommand implements Callable<Integer> {
  private static final int SEED_BATCH = 1_000;

  @Option(
      names = "--out",
      paramLabel = "DIR",
      description = "Directory for the results (default: ${DEFAULT-VALUE}).")
  Path out;

  @Option(
      names = "--node-name",
      paramLabel = "NAME",
      description = "Name of this node in status and file names (default: node-PID).")
  String nodeName;

  @Option(
      names = "--status-host",
      paramLabel = "ADDRESS",
      description = "Address the status endpoint binds (default: ${DEFAULT-VALUE}).")
  String statusHost;

  @Option(
      names = "--status-token-file",
      paramLabel = "FILE",
      description =
          "File holding the bearer token /, /status and /metrics require (or set"
              + " FLEETCRAWL_STATUS_TOKEN); needed when --status-host is not loopback.")
  Path statusTokenFile;

  @Option(
      names = "--status-port",
      paramLabel = "PORT",
      description = "Port of /status; 0 picks a free one (default: ${DEFAULT-VALUE}).")
  int statusPort;

  @Option(
      names = "--rotate-mb",
      paramLabel = "MB",
      description = "Start a new results file after this many MiB (default: ${DEFAULT-VALUE}).")
  long rotateMb;

  @Option(
      names = "--lease-seconds",
      paramLabel = "N",
      description = "How long a claimed URL stays leased (default: 2 x fetch timeout + 60).")
  Integer leaseSeconds;

  @Option(
      names = "--seeds",
      arity = "1..*",
      paramLabel = "FILE|URL",
      description = "URLs to submit once joined (more can be fed with 'fleetcrawl submit').")
  List<String> seeds;

  @Option(
      names = "--crawls",
      paramLabel = "FILE",
      description =
          "YAML (or JSON) list of crawls to run, each a name and settings that override the"
              + " crawl flags, keyed as in the config file: scope, include, exclude, max-depth,"
              + " max-pages, allow-private-networks, allow-network, follow-nofollow, user-agent,"
              + " contact, max-attempts, max-urls-per-host, max-url-length, max-links-per-page,"
              + " max-segment-repeats, max-query-params, strip-param, max-redirects,"
              + " follow-canonical, politeness-key, sitemaps, max-sitemap-bytes, header, cookies.")
  Path crawlsFile;

  @Mixin CrawlOptions options;

  @Mixin ConfigFlag config;

  private List<CrawlConfig> readCrawls() {
    List<Map<String, Object>> entries;
    try {
      entries =
          SettingLayers.YAML.readValue(
              crawlsFile.toFile(),
              new com.fasterxml.jackson.core.type.TypeReference<List<Map<String, Object>>>() {});
    } catch (java.io.IOException e) {
      throw new InvalidInputException(
          "invalid --crawls " + crawlsFile + ": " + e.getMessage().split("\n")[0]);
    }
    if (entries == null || entries.isEmpty()) {
      throw new InvalidInputException("invalid --crawls " + crawlsFile + ": no crawl in it");
    }
    List<CrawlConfig> configs = new ArrayList<>();
    java.util.Set<String> names = new java.util.HashSet<>();
    for (int i = 0; i < entries.size(); i++) {
      CrawlConfig c =
          options.crawlConfig(
              entries.get(i), "invalid --crawls " + crawlsFile + " entry " + (i + 1));
      if (!names.add(c.name())) {
        throw new InvalidInputException(
            "invalid --crawls " + crawlsFile + ": crawl '" + c.name() + "' appears twice");
      }
      configs.add(c);
    }
    return configs;
  }

  /**
   * Returns the status token, or null; refuses to serve status beyond loopback without one, since
   * /status and /metrics describe the crawl to whoever can reach them.
   */
  private String statusToken() throws java.io.IOException {
    String token = System.getenv("FLEETCRAWL_STATUS_TOKEN");
    if (statusTokenFile != null) {
      if (!Files.isReadable(statusTokenFile)) {
        throw new InvalidInputException(
            "invalid --status-token-file: cannot read " + statusTokenFile);
      }
      token = Files.readString(statusTokenFile).strip();
    }
    if (token != null && token.isBlank()) {
      token = null;
    }
    if (token != null && (token.length() < 16 || !token.matches("[\\x21-\\x7e]+"))) {
      throw new InvalidInputException(
          "invalid status token: use at least 16 printable characters without spaces");
    }
    boolean loopback;
    try {
      loopback = java.net.InetAddress.getByName(statusHost).isLoopbackAddress();
    } catch (java.net.UnknownHostException e) {
      throw new InvalidInputException("invalid --status-host: cannot resolve " + statusHost);
    }
    if (!loopback && token == null) {
      throw new InvalidInputException(
          "invalid --status-host "
              + statusHost
              + ": status and metrics would be open to the network; set FLEETCRAWL_STATUS_TOKEN"
              + " or --status-token-file (clients then send 'Authorization: Bearer TOKEN')");
    }
    return token;
  }

  @Override
  public Integer call() throws Exception {
    String name = nodeName == null ? "node-" + ProcessHandle.current().pid() : nodeName;
    if (!name.matches("[A-Za-z0-9_.-]{1,64}")) {
      throw new InvalidInputException(
          "invalid --node-name: must be 1-64 letters, digits, '.', '_' or '-', was '" + name + "'");
    }
    if (statusPort < 0 || statusPort > 65_535) {
      throw new InvalidInputException("invalid --status-port: must be 0..65535");
    }
    if (leaseSeconds != null && leaseSeconds < 1) {
      throw new InvalidInputException("invalid --lease-seconds: must be >= 1");
    }
    String statusToken = statusToken();
    List<CrawlConfig> configs = crawlsFile == null ? List.of(options.crawlConfig()) : readCrawls();
    CrawlConfig config = configs.get(0);
    List<String> seedUrls = seeds == null ? List.of() : CrawlRun.readSeeds(seeds);
    if (rotateMb < 1) {
      throw new InvalidInputException("invalid --rotate-mb: must be >= 1");
    }
    // A node off its own member list stops here, before it creates any results file.
    ClusterSettings.requireListed(options.clusterSettings().toHazelcastConfig());
    OutputConfig output = options.outputConfig();
    Map<String, ResultSink> sinks = new LinkedHashMap<>();
    JsonlResultSink results = null;
    for (CrawlConfig c : configs) {
      JsonlResultSink jsonl =
          JsonlResultSink.rotating(out.resolve(c.name()), "pages-" + name, rotateMb << 20);
      if (c == config) {
        results = jsonl;
      }
      sinks.put(c.name(), ResultSinks.open(out.resolve(c.name()), name, c, output, jsonl));
    }
    CrawlNode node =
        CrawlNode.start(
                options.clusterSettings(),
                configs,
                options.fetchConfig(),
                sinks,
                leaseSeconds == null ? 0 : leaseSeconds * 1_000L,
                options.budgetConfig(),
                output,
                // A node restores what its crawls saved: a cluster resumes by starting again.
                options.stateConfig(out, false))
            .toCompletionStage()
            .toCompletableFuture()
            .get(120, TimeUnit.SECONDS);
    StatusServer status;
    try {
      status =
          StatusServer.start(node, name, statusHost, statusPort, statusToken)
              .toCompletionStage()
              .toCompletableFuture()
              .get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      node.stop().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
      throw new InvalidInputException(
          "cannot serve status on " + statusHost + ":" + statusPort + ": " + e.getMessage());
    }
    CountDownLatch left = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  System.err.println("node " + name + ": leaving the cluster");
                  try {
                    status.close();
                    node.leave()
                        .toCompletionStage()
                        .toCompletableFuture()
                        .get(45, TimeUnit.SECONDS);
                  } catch (Exception e) {
                    System.err.println("node " + name + ": could not hand back its work: " + e);
                  }
                  try {
                    // From this thread, not an event loop: closing Vert.x ends its event loops.
                    node.stop().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
                    System.err.println("node " + name + ": left");
                  } catch (Exception e) {
                    System.err.println("node " + name + ": leaving failed: " + e);
                  }
                  left.countDown();
                },
                "fleetcrawl-leave"));
    node.memberLost()
        .onSuccess(
            reason -> {
              System.err.println("node " + name + ": " + reason);
              // Status 1, as any failure; the shutdown hook saves what it still can.
              new Thread(() -> System.exit(1), "fleetcrawl-member-lost").start();
            });
    System.out.printf(
        "node %s joined crawl %s as member %s; members %s; status http://%s:%d/status;"
            + " results %s%n",
        name,
        config.name(),
        node.memberId(),
        node.members(),
        statusHost,
        status.port(),
        results.file().toAbsolutePath());
    System.out.flush();
    submitSeeds(node, config.name(), seedUrls);
    left.await();
    return 0;
  }

  private static void submitSeeds(CrawlNode node, String crawl, List<String> urls)
      throws Exception {
    for (int i = 0; i < urls.size(); i += SEED_BATCH) {
      SubmitReply reply =
          node.vertx()
              .eventBus()
              .<SubmitReply>request(
                  Addresses.intake(crawl),
                  new SubmitBatch(crawl, urls.subList(i, Math.min(urls.size(), i + SEED_BATCH))),
                  new DeliveryOptions().setSendTimeout(60_000))
              .toCompletionStage()
              .toCompletableFuture()
              .get(90, TimeUnit.SECONDS)
              .body();
      reply
          .rejected()
          .forEach(
              r ->
                  System.err.println(
                      "seed rejected (" + r.reason() + "): " + r.url() + ": " + r.detail()));
    }
  }
}
