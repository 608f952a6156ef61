package io.fleetcrawl.control;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.fleetcrawl.bus.Addresses;
import io.fleetcrawl.config.HostPattern;
import io.fleetcrawl.frontier.FrontierStore;
import io.fleetcrawl.frontier.PolitenessKey;
import io.fleetcrawl.membership.MemberTrust;
import io.fleetcrawl.model.InvalidInputException;
import io.fleetcrawl.ratecontrol.DomainController;
import io.fleetcrawl.state.CrawlState;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes an operator's commands for one crawl ({@code pause}, {@code resume}, {@code cancel}, {@code
 * block PATTERN}, {@code unblock PATTERN}) on {@link Addresses#control}, from any node: writes them
 * to the cluster's control map and the state store, then asks every member to apply them and
 * answers only once each has. So when {@code fleetcrawl control} returns, no node starts a fetch
 * the command forbids. Also keeps this node's {@link CrawlControls} in step with the map.
 */
public final class ControlVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(ControlVerticle.class);

  /** How long the node that took a command waits for every member to apply it. */
  private static final long APPLY_TIMEOUT_MS = 10_000;

  private static final Set<String> ACTIONS =
      Set.of("pause", "resume", "cancel", "block", "unblock", "budget");

  private final String crawl;
  private final HazelcastInstance hazelcast;
  private final IMap<String, String> map;
  private final CrawlControls controls;
  private final FrontierStore frontier;
  private final CrawlState state;
  private final List<MessageConsumer<?>> consumers = new ArrayList<>();
  private MemberTrust trust = MemberTrust.everyone();

  /**
   * @param state where commands are saved so they outlive a restart; null without a state store
   */
  public ControlVerticle(
      String crawl,
      HazelcastInstance hazelcast,
      IMap<String, String> map,
      CrawlControls controls,
      FrontierStore frontier,
      CrawlState state) {
    this.crawl = crawl;
    this.hazelcast = hazelcast;
    this.map = map;
    this.controls = controls;
    this.frontier = frontier;
    this.state = state;
  }

  /**
   * Sends commands only to members that proved they hold the cluster key: an unproven member cannot
   * answer over the event bus, and waiting for it would fail every command.
   */
  public ControlVerticle withTrust(MemberTrust trust) {
    this.trust = trust;
    return this;
  }

  /** Returns the crawl's control map. */
  public static IMap<String, String> map(HazelcastInstance hazelcast, String crawl) {
    return hazelcast.getMap("control." + crawl);
  }

  @Override
  public Future<?> start() {
    String self = hazelcast.getCluster().getLocalMember().getUuid().toString();
    consumers.add(vertx.eventBus().<JsonObject>consumer(Addresses.control(crawl), this::command));
    consumers.add(
        vertx
            .eventBus()
            .consumer(
                Addresses.controlApply(crawl, self),
                m -> reload().onComplete(r -> m.reply(r.succeeded()))));
    return Future.all(consumers.stream().map(MessageConsumer::completion).toList())
        .compose(v -> reload());
  }

  private Future<Void> reload() {
    return vertx.executeBlocking(
        () -> {
          controls.apply(new HashMap<>(map));
          return null;
        },
        false);
  }

  private void command(Message<JsonObject> message) {
    String action = message.body().getString("action", "");
    String target = message.body().getString("target");
    String given = message.body().getString("value");
    String key;
    String value;
    DomainController.Budget budget = null;
    try {
      if (!ACTIONS.contains(action)) {
        throw new InvalidInputException(
            "unknown control action '" + action + "'; use one of " + ACTIONS);
      }
      switch (action) {
        case "pause", "resume" -> {
          key = CrawlControls.PAUSED;
          value = action.equals("pause") ? "1" : "0";
        }
        case "cancel" -> {
          key = CrawlControls.CANCELLED;
          value = "1";
        }
        case "budget" -> {
          if (target == null || target.isBlank() || target.contains("*")) {
            throw new InvalidInputException(
                "budget needs a host (example.com), then N, N@RATE or clear");
          }
          budget = CrawlControls.parseBudget(given == null ? "" : given);
          key = CrawlControls.BUDGET + PolitenessKey.of(new HostPattern(target).text());
          value = budget == null ? "0" : given;
        }
        default -> {
          if (target == null || target.isBlank()) {
            throw new InvalidInputException(action + " needs a host or a pattern (*.example.com)");
          }
          key = CrawlControls.BLOCK + new HostPattern(target).text();
          value = action.equals("block") ? "1" : "0";
        }
      }
    } catch (InvalidInputException e) {
      message.fail(400, e.getMessage());
      return;
    }
    DomainController.Budget newBudget = budget;
    String budgetKey =
        key.startsWith(CrawlControls.BUDGET) ? key.substring(CrawlControls.BUDGET.length()) : null;
    vertx
        .executeBlocking(
            () -> {
              map.set(key, value);
              if (state != null) {
                state.saveControl(key, value);
              }
              if (action.equals("cancel")) {
                // The results stay; the URLs left are dropped, here and from the saved state.
                frontier.clear();
                if (state != null) {
                  state.dropFrontier();
                }
              }
              return members();
            },
            false)
        .compose(this::applyEverywhere)
        .compose(
            applied ->
                budgetKey == null
                    ? Future.succeededFuture(applied)
                    // In force at once; with learned budgets the coordinator keeps it (and takes
                    // the host back when it is cleared).
                    : frontier
                        .setBudget(
                            context,
                            budgetKey,
                            newBudget == null ? 0 : newBudget.concurrency(),
                            newBudget == null ? 0 : newBudget.spacingMicros())
                        .map(exists -> applied))
        .onSuccess(
            applied -> {
              LOG.info(
                  "crawl {}: operator {} {} applied on {} nodes", crawl, action, target, applied);
              message.reply(
                  new JsonObject()
                      .put("action", action)
                      .put("target", target)
                      .put("value", given)
                      .put("appliedOn", applied)
                      .put("controls", new JsonObject(controls.status())));
            })
        .onFailure(e -> message.fail(500, "crawl " + crawl + ": " + action + " failed: " + e));
  }

  private List<String> members() {
    List<String> ids = new ArrayList<>();
    for (Member m : hazelcast.getCluster().getMembers()) {
      if (!m.isLiteMember() && trust.trusted(m)) {
        ids.add(m.getUuid().toString());
      }
    }
    return ids;
  }

  private Future<Integer> applyEverywhere(List<String> members) {
    List<Future<Message<Object>>> replies = new ArrayList<>();
    for (String member : members) {
      replies.add(
          vertx
              .eventBus()
              .request(
                  Addresses.controlApply(crawl, member),
                  "",
                  new DeliveryOptions().setSendTimeout(APPLY_TIMEOUT_MS)));
    }
    return Future.all(replies).map(all -> members.size());
  }

  @Override
  public Future<?> stop() {
    return Future.all(consumers.stream().map(MessageConsumer::unregister).toList());
  }
}
