package io.fleetcrawl.testkit.cli;

import io.fleetcrawl.bus.Json;
import io.fleetcrawl.cli.BoundedRun;
import io.fleetcrawl.cli.ConfigFlag;
import io.fleetcrawl.cli.PoolFlags;
import io.fleetcrawl.config.PoolConfig;
import io.fleetcrawl.metrics.PoolMetrics;
import io.fleetcrawl.model.InvalidInputException;
import io.fleetcrawl.network.NetworkPolicy;
import io.fleetcrawl.pool.ClientPool;
import io.fleetcrawl.pool.DnsCache;
import io.fleetcrawl.pool.Exchange;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code fleetcrawl fetch-bench}: fetches a URL list through one worker's real pool (one event
 * loop) and prints one JSON line, so bench/pool-bench.sh can compare it with other clients.
 */
@Command(
    name = "fetch-bench",
    mixinStandardHelpOptions = true,
    description =
        "Fetch every URL of a file through one worker's pool and print the figures as JSON.")
public final class FetchBenchCommand implements Callable<Integer> {
  @Option(
      names = "--urls",
      required = true,
      paramLabel = "FILE",
      description = "URLs, one per line.")
  Path urls;

  @Option(names = "--concurrency", description = "Requests in flight (default: ${DEFAULT-VALUE}).")
  int concurrency;

  @Option(
      names = "--allow-network",
      paramLabel = "CIDR",
      description =
          "Refuse internal targets except these networks (repeatable): fetches then resolve and"
              + " check each address before connecting, as a crawl without"
              + " --allow-private-networks does. Default: every target allowed.")
  List<String> allowedNetworks = new java.util.ArrayList<>();

  @Mixin PoolFlags pool;

  @Mixin ConfigFlag config;

  @Override
  public Integer call() throws Exception {
    if (concurrency < 1) {
      throw new InvalidInputException("invalid --concurrency: must be >= 1, was " + concurrency);
    }
    if (!Files.isReadable(urls)) {
      throw new InvalidInputException("invalid --urls: cannot read " + urls);
    }
    List<String> list =
        Files.readAllLines(urls).stream().map(String::strip).filter(s -> !s.isEmpty()).toList();
    PoolConfig config = pool.poolConfig();
    Vertx vertx =
        Vertx.vertx(
            new VertxOptions()
                .setEventLoopPoolSize(1)
                .setAddressResolverOptions(DnsCache.resolverOptions(config)));
    try {
      PoolMetrics metrics = new PoolMetrics(new SimpleMeterRegistry(), 20);
      Context context = vertx.getOrCreateContext();
      // The pool is created on the event loop its connections will live on.
      Promise<ClientPool> created = Promise.promise();
      context.runOnContext(
          v ->
              created.complete(
                  ClientPool.create(
                      vertx,
                      config,
                      metrics,
                      "w0",
                      NetworkPolicy.of(allowedNetworks.isEmpty(), allowedNetworks))));
      ClientPool clients = created.future().await(10, TimeUnit.SECONDS);
      int[] ok = {0};
      String[] protocol = {null};
      long start = System.nanoTime();
      BoundedRun.run(
              context,
              list.size(),
              concurrency,
              i -> {
                String url = list.get(i);
                return new Exchange(
                        vertx,
                        clients,
                        URI.create(url),
                        url,
                        "fleetcrawl-bench",
                        1 << 20,
                        null,
                        30_000)
                    .start()
                    .onSuccess(
                        outcome -> {
                          if (outcome.status() >= 200 && outcome.status() < 400) {
                            ok[0]++;
                            protocol[0] = outcome.protocol();
                          }
                        });
              })
          .await(1, TimeUnit.HOURS);
      double seconds = (System.nanoTime() - start) / 1e9;
      Map<String, Object> result = new LinkedHashMap<>();
      result.put("requests", list.size());
      result.put("ok", ok[0]);
      result.put("errors", list.size() - ok[0]);
      result.put("seconds", Math.round(seconds * 1000) / 1000.0);
      result.put(
          "requestsPerSecond", Math.round(list.size() / Math.max(seconds, 1e-9) * 10) / 10.0);
      result.put("connectionsOpened", metrics.opened());
      result.put(
          "reusedShare",
          metrics.requests() == 0
              ? 0
              : Math.round(metrics.reusedRequests() * 10_000.0 / metrics.requests()) / 10_000.0);
      result.put("protocol", protocol[0]);
      Promise<Void> closed = Promise.promise();
      context.runOnContext(v -> clients.close().onComplete(closed));
      closed.future().await(30, TimeUnit.SECONDS);
      System.out.println(new String(Json.toBytes(result)));
      return 0;
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }
}
