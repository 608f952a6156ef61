package io.fleetcrawl.cli;

import io.fleetcrawl.bus.Addresses;
import io.fleetcrawl.model.InvalidInputException;
import io.fleetcrawl.node.ClusterClient;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code fleetcrawl control}: an operator's command to a running crawl, answered once every node
 * obeys it. Each is saved with the crawl's state, so it holds after a restart too.
 */
@Command(
    name = "control",
    mixinStandardHelpOptions = true,
    description = {
      "Tell a running crawl, on every node at once: pause | resume | cancel | block PATTERN |"
          + " unblock PATTERN | budget HOST N[@RATE]|clear.",
      "pause: nothing is fetched until resume (URLs claimed already go back to their queues).",
      "cancel: nothing more is fetched and the URLs left are dropped; the results stay.",
      "block: a host (example.com) or a domain's hosts (*.example.com) are not fetched again; each"
          + " URL of theirs left ends with the reason \"excluded: host blocked by the operator\".",
      "budget: the host's requests in flight (and pace) from now on, over the learned budget and"
          + " --budget-override; clear gives the host back.",
      "It returns once every node applied the command, and the command outlives a restart."
    })
final class ControlCommand implements Callable<Integer> {
  @Parameters(
      index = "0",
      paramLabel = "ACTION",
      description = "pause, resume, cancel, block, unblock, budget.")
  String action;

  @Parameters(
      index = "1",
      arity = "0..1",
      paramLabel = "PATTERN",
      description = "For block and unblock: example.com or *.example.com; for budget: the host.")
  String target;

  @Parameters(
      index = "2",
      arity = "0..1",
      paramLabel = "BUDGET",
      description =
          "For budget: N (requests in flight), N@RATE (and requests per second), or clear.")
  String value;

  @Option(names = "--crawl", description = "Crawl to control (default: ${DEFAULT-VALUE}).")
  String crawl;

  @Mixin ClusterFlags cluster;

  @Mixin ConfigFlag config;

  @Override
  public Integer call() throws Exception {
    Vertx vertx =
        ClusterClient.connect(cluster.settings())
            .toCompletionStage()
            .toCompletableFuture()
            .get(120, TimeUnit.SECONDS);
    try {
      JsonObject command =
          new JsonObject().put("action", action).put("target", target).put("value", value);
      JsonObject reply;
      try {
        reply =
            vertx
                .eventBus()
                .<JsonObject>request(
                    Addresses.control(crawl), command, new DeliveryOptions().setSendTimeout(60_000))
                .toCompletionStage()
                .toCompletableFuture()
                .get(90, TimeUnit.SECONDS)
                .body();
      } catch (ExecutionException e) {
        if (e.getCause() instanceof ReplyException r) {
          if (r.failureType() == ReplyFailure.NO_HANDLERS) {
            throw new IllegalStateException("no node of the cluster runs crawl '" + crawl + "'");
          }
          if (r.failureCode() == 400) {
            throw new InvalidInputException(r.getMessage());
          }
        }
        throw new IllegalStateException(e.getCause().getMessage());
      }
      System.out.printf(
          "%s%s%s: applied on %d nodes; crawl %s now %s%n",
          action,
          target == null ? "" : " " + target,
          value == null ? "" : " " + value,
          reply.getInteger("appliedOn"),
          crawl,
          reply.getJsonObject("controls").encode());
      return 0;
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }
  }
}
