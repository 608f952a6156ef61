package io.fleetcrawl.node;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.LifecycleEvent;
import com.hazelcast.map.IMap;
import io.fleetcrawl.bus.ModelCodec;
import io.fleetcrawl.config.CrawlConfig;
import io.fleetcrawl.config.FetchConfig;
import io.fleetcrawl.config.OutputConfig;
import io.fleetcrawl.config.PolitenessMode;
import io.fleetcrawl.config.StateConfig;
import io.fleetcrawl.control.ControlVerticle;
import io.fleetcrawl.control.CrawlControls;
import io.fleetcrawl.crawl.RunningCrawl;
import io.fleetcrawl.frontier.FrontierStore;
import io.fleetcrawl.frontier.KeyDispatch;
import io.fleetcrawl.frontier.LeaseReaper;
import io.fleetcrawl.frontier.PolitenessKeys;
import io.fleetcrawl.intake.IntakeVerticle;
import io.fleetcrawl.intake.SeenCache;
import io.fleetcrawl.intake.UrlIntake;
import io.fleetcrawl.membership.MemberTrust;
import io.fleetcrawl.membership.TrustedRegistrations;
import io.fleetcrawl.metrics.CrawlMeters;
import io.fleetcrawl.metrics.CrawlStats;
import io.fleetcrawl.metrics.PoolMetrics;
import io.fleetcrawl.output.PayloadIndex;
import io.fleetcrawl.output.ResultSink;
import io.fleetcrawl.pool.BodyMemory;
import io.fleetcrawl.pool.DnsCache;
import io.fleetcrawl.ratecontrol.BudgetConfig;
import io.fleetcrawl.ratecontrol.BudgetCoordinator;
import io.fleetcrawl.ratecontrol.DomainReports;
import io.fleetcrawl.ratecontrol.RateControl;
import io.fleetcrawl.scope.CrawlScope;
import io.fleetcrawl.scope.ScopeSharing;
import io.fleetcrawl.state.Checkpointer;
import io.fleetcrawl.state.CrawlState;
import io.fleetcrawl.state.JdbcStateStore;
import io.fleetcrawl.state.StateStore;
import io.fleetcrawl.worker.FetchWorkerVerticle;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.internal.VertxInternal;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One cluster member running one or more named crawls: a clustered Vert.x instance on Hazelcast
 * and, per crawl, its intake verticle, its fetch workers, its frontier map and its results. A
 * single-process crawl is a node alone in its cluster, on the same code path as a cluster.
 */
public final class CrawlNode {
  private static final Logger LOG = LoggerFactory.getLogger(CrawlNode.class);

  /** Seen-cache capacity per crawl and node: 2 million fingerprints in 32 MiB. */
  private static final int SEEN_CACHE_CAPACITY = 1 << 21;

  /** Origins with a metrics series of their own; the rest share "other". */
  private static final int ORIGIN_TAGS = 20;

  /** Longest wait between two looks for expired leases. */
  private static final long MAX_SWEEP_MS = 30_000;

  /** How often a node looks through its own keys for work nobody took. */
  private static final long SCAN_MS = 2_000;

  /** How long a leaving node waits for its fetches in flight before giving their URLs back. */
  private static final long DRAIN_MS = 30_000;

  /** How long a leaving member waits for the other members' leases to be settled. */
  private static final long SETTLED_WAIT_MS = 3_000;

  /** One crawl this node runs, with the parts that serve it here. */
  public record Crawl(
      RunningCrawl running,
      LeaseReaper reaper,
      KeyDispatch dispatch,
      CrawlMeters meters,
      BudgetCoordinator budgets,
      CrawlState state) {
    /** Returns the crawl's name. */
    public String name() {
      return running.config().name();
    }
  }

  private final Vertx vertx;
  private final HazelcastInstance hazelcast;
  private final Map<String, Crawl> crawls;
  private final PrometheusMeterRegistry registry;
  private final StateStore store;
  private final MemberTrust trust;
  private final AtomicBoolean closing = new AtomicBoolean();
  private final Promise<String> memberLost = Promise.promise();

  private CrawlNode(
      Vertx vertx,
      HazelcastInstance hazelcast,
      Map<String, Crawl> crawls,
      PrometheusMeterRegistry registry,
      StateStore store,
      MemberTrust trust) {
    this.vertx = vertx;
    this.hazelcast = hazelcast;
    this.crawls = crawls;
    this.registry = registry;
    this.store = store;
    this.trust = trust;
    // A member that stops under the node (out of memory, split off and shut down) leaves every
    // frontier call failing for ever: the crawls stop with the reason instead of hanging.
    hazelcast
        .getLifecycleService()
        .addLifecycleListener(
            event -> {
              if (event.getState() == LifecycleEvent.LifecycleState.SHUTTING_DOWN
                  && !closing.get()) {
                String reason =
                    "this node's cluster member stopped under it (out of memory, or cut off from"
                        + " the cluster): restart the node, which resumes from the saved state";
                LOG.error(reason);
                crawls.values().forEach(c -> c.running().stats().fatal(reason));
                memberLost.tryComplete(reason);
              }
            });
  }

  /**
   * Completes, with the reason, if this node's Hazelcast member stops without the node having been
   * asked to leave. The node cannot work on after that; {@code node} exits.
   */
  public Future<String> memberLost() {
    return memberLost.future();
  }

  /**
   * Joins the cluster and deploys every crawl's verticles. Blocking work (Hazelcast start-up,
   * opening distributed maps) never runs on an event loop.
   *
   * @param configs the crawls, with distinct names
   * @param sinks where this node writes each crawl's results, by crawl name; all are closed when
   *     the node stops or fails to start
   * @param leaseMs how long a lease lasts; 0 for {@link RunningCrawl#defaultLeaseMs}
   * @param budgets per-domain budgets, fixed or learned by the coordinator
   * @param output what is kept of each page (stored media types, outlinks listed)
   * @param stateConfig where the crawls' state is saved, restored after the whole cluster stopped
   * @throws io.fleetcrawl.state.StateException naming the store when it cannot be opened, before
   *     the node joins anything
   */
  public static Future<CrawlNode> start(
      ClusterSettings cluster,
      List<CrawlConfig> configs,
      FetchConfig fetch,
      Map<String, ResultSink> sinks,
      long leaseMs,
      BudgetConfig budgets,
      OutputConfig output,
      StateConfig stateConfig) {
    var hazelcastConfig = cluster.toHazelcastConfig();
    ClusterSettings.requireListed(hazelcastConfig);
    // An unreadable or unreachable store stops the node here: it never starts an empty crawl in
    // place of one it was meant to resume.
    StateStore store = stateConfig.enabled() ? JdbcStateStore.open(stateConfig) : null;
    if (store != null && stateConfig.fresh()) {
      configs.forEach(c -> store.drop(c.name()));
    }
    HazelcastClusterManager manager = new HazelcastClusterManager(hazelcastConfig);
    TrustedRegistrations registrations = new TrustedRegistrations(manager);
    VertxOptions options =
        new VertxOptions()
            .setEventLoopPoolSize(Math.max(fetch.workers(), 1))
            .setAddressResolverOptions(DnsCache.resolverOptions(fetch.pool()))
            .setEventBusOptions(cluster.eventBusOptions())
            // Vert.x's own meters, without event-bus address tags (reply addresses are unbounded)
            // and without its pool meters. Vert.x names each HTTP client pool after its endpoint
            // and tags that name whatever the labels say; a registry keeps such meters for ever,
            // and Vert.x keeps a counter per gauge name and tags in a map of its own even when a
            // filter denies the meter: one set per host ever crawled (240,000 meters, then 75,000
            // counters, after 25,000-30,000 hosts). The crawler's own fleetcrawl_pool_* meters
            // cover the HTTP pools, bounded to 20 origins.
            .setMetricsOptions(
                new MicrometerMetricsOptions()
                    .setEnabled(true)
                    .addDisabledMetricsCategory(MetricsDomain.NAMED_POOLS)
                    .setLabels(EnumSet.of(Label.HTTP_CODE, Label.HTTP_METHOD)));
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    long lease = leaseMs > 0 ? leaseMs : RunningCrawl.defaultLeaseMs(fetch);
    return Vertx.builder()
        .with(options)
        .withClusterManager(registrations)
        .withMetrics(new MicrometerMetricsFactory(registry))
        .buildClustered()
        .compose(
            vertx -> {
              ModelCodec.registerAll(vertx);
              HazelcastInstance hazelcast = manager.getHazelcastInstance();
              MemberTrust trust = MemberAdmission.trust(hazelcast, cluster.key());
              // Sends go to proven members only, whoever registers a handler in Hazelcast.
              trust.onChange(registrations::refilter);
              registrations.trust(trust::trustedNode);
              NodeParts parts =
                  new NodeParts(
                      vertx,
                      hazelcast,
                      fetch,
                      output,
                      budgets,
                      lease,
                      registry,
                      new PoolMetrics(registry, ORIGIN_TAGS),
                      System::currentTimeMillis,
                      store,
                      stateConfig.checkpointMs(),
                      trust);
              Map<String, Crawl> crawls = new LinkedHashMap<>();
              // A node the running members did not list leaves before it deploys any crawl.
              Future<Void> chain =
                  vertx.executeBlocking(
                      () -> {
                        MemberAdmission.check(hazelcast);
                        // Published before checking: nodes started together each wait for the
                        // others' proofs.
                        trust.publish();
                        MemberAdmission.checkKey(hazelcast, cluster.key());
                        MemberAdmission.watch(hazelcast);
                        return null;
                      },
                      false);
              // Members prove they hold the cluster key before any crawl elects its chores.
              chain = chain.compose(v -> MemberAdmission.watchProofs(vertx, hazelcast, trust));
              for (CrawlConfig config : configs) {
                chain =
                    chain.compose(
                        v ->
                            vertx
                                .executeBlocking(
                                    () -> CrawlMaps.open(parts, config, sinks.get(config.name())),
                                    false)
                                .compose(
                                    maps -> deploy(parts, config, maps, sinks.get(config.name())))
                                .map(
                                    crawl -> {
                                      crawls.put(config.name(), crawl);
                                      return null;
                                    }));
              }
              return chain
                  .map(
                      v -> {
                        Gauge.builder(
                                "fleetcrawl.cluster.unproven.members",
                                trust,
                                t -> t.unproven().size())
                            .description(
                                "Members that have not proven they hold the cluster key (0 when"
                                    + " healthy)")
                            .register(registry);
                        return new CrawlNode(vertx, hazelcast, crawls, registry, store, trust);
                      })
                  .recover(e -> CrawlNode.failAndClose(vertx, e));
            })
        .onFailure(
            e -> {
              sinks.values().forEach(CrawlNode::closeQuietly);
              if (store != null) {
                store.close();
              }
            });
  }

  /**
   * Fails at once and closes Vert.x behind the failure. Waiting for the close first would hand the
   * failure to the event loop the close has just terminated, and nobody would ever hear it.
   */
  static <T> Future<T> failAndClose(Vertx vertx, Throwable failure) {
    vertx.close();
    return Future.failedFuture(failure);
  }

  /**
   * What every crawl on a node shares. The clock is the one place the node's services get the wall
   * clock from; their cores take it as a parameter, so tests run them on fake time.
   */
  private record NodeParts(
      Vertx vertx,
      HazelcastInstance hazelcast,
      FetchConfig fetch,
      OutputConfig output,
      BudgetConfig budgets,
      long leaseMs,
      PrometheusMeterRegistry registry,
      PoolMetrics poolMetrics,
      LongSupplier clock,
      StateStore store,
      long checkpointMs,
      MemberTrust trust) {}

  /**
   * The distributed maps one crawl uses: its frontier, its shared scope and (attached to the sink)
   * its archive's payload index, with the saved state put back into them when the whole cluster had
   * stopped. Opening a map may wait on the cluster and restoring reads the store, so {@link #open}
   * runs on a worker thread, never on an event loop.
   */
  private record CrawlMaps(
      FrontierStore frontier,
      IMap<String, Boolean> scope,
      IMap<String, String> control,
      IMap<String, String> addressKeys,
      CrawlState state) {
    static CrawlMaps open(NodeParts node, CrawlConfig config, ResultSink sink)
        throws InterruptedException {
      HazelcastInstance hazelcast = node.hazelcast();
      FrontierStore frontier = new FrontierStore(hazelcast, config.name(), config.maxUrlsPerHost());
      IMap<String, Boolean> scope = ScopeSharing.map(hazelcast, config.name());
      IMap<String, String> control = ControlVerticle.map(hazelcast, config.name());
      IMap<String, String> addressKeys =
          config.politeness() == PolitenessMode.IP
              ? hazelcast.getMap(PolitenessKeys.mapName(config.name()))
              : null;
      CrawlState state = null;
      if (node.store() != null) {
        state =
            new CrawlState(node.store(), config.name(), hazelcast, frontier, scope, control)
                .withTrust(node.trust())
                .withAddressKeys(addressKeys)
                .withPayloads(hazelcast.getMap(PayloadIndex.mapName(config.name())));
        state.restoreOrWait(node.clock());
      }
      // After the restore: the payload index trusts its filter only when the map starts empty.
      sink.attach(hazelcast, config.name());
      return new CrawlMaps(frontier, scope, control, addressKeys, state);
    }
  }

  /**
   * Deploys one crawl on the node: first its services (key dispatch, lease reaper, shared scope,
   * the budget coordinator when budgets are learned), then its fetch workers and its intake, which
   * use them. Each is a verticle, so closing Vert.x stops them all.
   */
  private static Future<Crawl> deploy(
      NodeParts node, CrawlConfig config, CrawlMaps maps, ResultSink sink) {
    FetchConfig fetch = node.fetch();
    FrontierStore frontier = maps.frontier();
    CrawlStats stats = new CrawlStats();
    CrawlControls controls = new CrawlControls();
    // Learned budgets: the workers report to this node's coordinator verticle, which sums every
    // node's reports. Fixed budgets: no reports and no coordinator.
    RateControl rates = RateControl.fixed(fetch.perHostConcurrency());
    BudgetCoordinator coordinator = null;
    if (node.budgets().adaptive()) {
      DomainReports reports = new DomainReports(node.clock());
      rates = RateControl.learned(reports, node.budgets().controller().initialConcurrency());
      frontier.withGentleStart(node.budgets().controller().startRate());
      coordinator =
          new BudgetCoordinator(
                  () -> oldestDataMember(node.hazelcast(), node.trust()),
                  frontier,
                  config.name(),
                  reports,
                  node.budgets(),
                  node.clock())
              .withLiveOverrides(controls::budgetFor);
    }
    KeyDispatch dispatch =
        new KeyDispatch(
            frontier,
            config.name(),
            SCAN_MS,
            Math.max(1, fetch.workers() * fetch.workerMaxInFlight() / fetch.perHostConcurrency()),
            node.clock());
    IMap<String, Boolean> sharedScope = maps.scope();
    CrawlScope scope = new CrawlScope(config, key -> ScopeSharing.share(sharedScope, key));
    PolitenessKeys keys =
        config.politeness() == PolitenessMode.IP
            ? PolitenessKeys.byAddress(
                // The node's caching resolver: the answers its connections get.
                host -> ((VertxInternal) node.vertx()).nameResolver().resolve(host),
                (host, address) -> {
                  String pinned = maps.addressKeys().putIfAbsent(host, address);
                  return pinned == null ? address : pinned;
                })
            : PolitenessKeys.of(config.politeness());
    UrlIntake intake =
        new UrlIntake(
                config,
                scope,
                frontier,
                stats,
                new SeenCache(SEEN_CACHE_CAPACITY),
                dispatch::announce,
                keys)
            .refusingWhen(controls::cancelled);
    RunningCrawl crawl =
        new RunningCrawl(
            config,
            fetch,
            frontier,
            intake,
            node.output(),
            sink,
            stats,
            node.poolMetrics(),
            new AtomicBoolean(),
            node.leaseMs(),
            // Paused or cancelled by the operator: nothing is claimed.
            key -> !controls.halted() && dispatch.mayClaim(key),
            rates,
            controls);
    LeaseReaper reaper =
        new LeaseReaper(
                node.hazelcast(),
                frontier,
                Math.min(node.leaseMs() / 4, MAX_SWEEP_MS),
                dispatch::announceAll,
                node.clock())
            .withTrust(node.trust());
    BudgetCoordinator budgetCoordinator = coordinator;
    List<Future<?>> services = new ArrayList<>();
    services.add(node.vertx().deployVerticle(dispatch));
    services.add(node.vertx().deployVerticle(reaper));
    services.add(node.vertx().deployVerticle(new ScopeSharing(sharedScope, scope::learn)));
    services.add(
        node.vertx()
            .deployVerticle(
                new ControlVerticle(
                        config.name(),
                        node.hazelcast(),
                        maps.control(),
                        controls,
                        frontier,
                        maps.state())
                    .withTrust(node.trust())));
    if (coordinator != null) {
      services.add(node.vertx().deployVerticle(coordinator));
    }
    if (maps.state() != null) {
      services.add(
          node.vertx()
              .deployVerticle(
                  new Checkpointer(
                      maps.state(),
                      node.checkpointMs(),
                      node.clock(),
                      reason -> {
                        stats.fatal(reason);
                        crawl.stopping().set(true);
                      })));
    }
    return Future.all(services)
        .compose(
            started -> {
              List<Future<?>> workers = new ArrayList<>();
              for (int i = 0; i < fetch.workers(); i++) {
                workers.add(
                    node.vertx()
                        .deployVerticle(new FetchWorkerVerticle(crawl, i, fetch.workers())));
              }
              workers.add(node.vertx().deployVerticle(new IntakeVerticle(config.name(), intake)));
              return Future.all(workers)
                  .onSuccess(deployed -> bodyMemoryMeters(node.registry(), node.vertx()));
            })
        .map(
            done ->
                new Crawl(
                    crawl,
                    reaper,
                    dispatch,
                    new CrawlMeters(node.registry(), config.name(), stats),
                    budgetCoordinator,
                    maps.state()));
  }

  /** The node's body memory on /metrics; registering it again for another crawl is a no-op. */
  private static void bodyMemoryMeters(MeterRegistry registry, Vertx vertx) {
    BodyMemory memory = BodyMemory.find(vertx);
    if (memory == null) {
      return;
    }
    Gauge.builder("fleetcrawl.body.memory.held", memory, BodyMemory::held)
        .description("bytes of response bodies the node holds, in flight or waiting to be written")
        .baseUnit("bytes")
        .register(registry);
    Gauge.builder("fleetcrawl.body.memory.limit", memory, BodyMemory::limit)
        .description("the node's budget for response bodies (--body-memory-mb)")
        .baseUnit("bytes")
        .register(registry);
    FunctionCounter.builder("fleetcrawl.body.memory.pauses", memory, BodyMemory::pauses)
        .description("times a page stopped reading until body memory was freed")
        .register(registry);
  }

  /**
   * Returns the id of the oldest trusted data member, the budget coordinator; null while there is
   * none.
   */
  private static String oldestDataMember(HazelcastInstance hazelcast, MemberTrust trust) {
    Member oldest = trust.oldest(hazelcast, m -> !m.isLiteMember());
    return oldest == null ? null : oldest.getUuid().toString();
  }

  /** Returns the node's Vert.x instance. */
  public Vertx vertx() {
    return vertx;
  }

  /** Returns the node's first crawl (the only one of a {@code crawl} run). */
  public RunningCrawl crawl() {
    return crawls.values().iterator().next().running();
  }

  /** Returns the crawls the node runs, in the order given. */
  public List<Crawl> crawls() {
    return List.copyOf(crawls.values());
  }

  /** Returns the node's meters: pool, crawl, frontier and Vert.x's own. */
  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /** Returns this member's id, the owner recorded on its leases. */
  public String memberId() {
    return crawl().frontier().owner();
  }

  /** Returns the addresses of the cluster's members, this one included. */
  public List<String> members() {
    List<String> members = new ArrayList<>();
    hazelcast.getCluster().getMembers().forEach(m -> members.add(m.getAddress().toString()));
    return members;
  }

  /**
   * Returns the members that did not prove they hold the cluster key, as {@code address id}; empty
   * without a key.
   */
  public List<String> unprovenMembers() {
    List<String> unproven = new ArrayList<>();
    trust.unproven().forEach((id, address) -> unproven.add(address + " " + id));
    return unproven;
  }

  /**
   * Gets ready to leave the cluster: claims nothing more, lets the fetches in flight finish and
   * their settlements be answered by the frontier (up to {@link #DRAIN_MS}), and gives any lease
   * still held back to the frontier. Waiting for the answers, not only for the results to be
   * written, matters when every node stops at once: a settlement can then wait on a partition
   * migrating away from a member that left, and a lease given back ahead of it is fetched again.
   * Call {@link #stop} afterwards, from a thread that is not one of this node's event loops (their
   * closing would strand the completion of a future bound to them).
   */
  public Future<Void> leave() {
    closing.set(true);
    crawls.values().forEach(c -> c.running().stopping().set(true));
    return drained(System.currentTimeMillis() + DRAIN_MS)
        .compose(
            v ->
                vertx.executeBlocking(
                    () -> {
                      int keys = 0;
                      for (Crawl c : crawls.values()) {
                        FrontierStore frontier = c.running().frontier();
                        keys += frontier.releaseOwner(frontier.owner()).size();
                      }
                      return keys;
                    },
                    false))
        .compose(keys -> clusterSettled(System.currentTimeMillis() + SETTLED_WAIT_MS).map(keys))
        .compose(
            keys ->
                vertx.executeBlocking(
                    () -> {
                      saveState();
                      return keys;
                    },
                    false))
        .onSuccess(
            keys -> {
              if (keys > 0) {
                LOG.info("gave back leases on {} keys before leaving", keys);
              }
            })
        .mapEmpty();
  }

  /**
   * Waits, up to {@code deadline}, until no member holds a lease of any key. When every node stops
   * at once, the other members' last settlements and link admissions land on this member's keys
   * while they drain; saved before they land, a change would live only in a partition that migrates
   * to a member that may have saved already, and the page would be fetched again after the restart.
   * In a rolling restart the others keep crawling, so this waits out the deadline; the members that
   * stay save what changes after.
   */
  private Future<Void> clusterSettled(long deadline) {
    return vertx
        .executeBlocking(
            () -> {
              int keys = 0;
              for (Crawl c : crawls.values()) {
                keys += c.running().frontier().keysLeased();
              }
              return keys;
            },
            false)
        .compose(
            keys -> {
              if (keys == 0) {
                return Future.succeededFuture();
              }
              if (System.currentTimeMillis() >= deadline) {
                LOG.info("other members still hold leases on {} keys; saving now", keys);
                return Future.succeededFuture();
              }
              return vertx.timer(100).compose(v -> clusterSettled(deadline));
            });
  }

  private Future<Void> drained(long deadline) {
    long leased = 0;
    for (Crawl c : crawls.values()) {
      leased += c.running().stats().leased.get();
    }
    if (leased <= 0) {
      return Future.succeededFuture();
    }
    if (System.currentTimeMillis() >= deadline) {
      // Given back unsettled: a lease whose result was written is fetched again by its next owner.
      LOG.warn(
          "{} leases still unsettled after {} ms; given back, their pages may be fetched again",
          leased,
          DRAIN_MS);
      return Future.succeededFuture();
    }
    return vertx.timer(100).compose(v -> drained(deadline));
  }

  /**
   * Saves what changed on this member's keys of every crawl, now, to the state store (nothing
   * without one). Blocking: call it off the event loop. A failure is logged: the changes since the
   * last save are then fetched again after a restart, and none is lost.
   */
  private void saveState() {
    for (Crawl c : crawls.values()) {
      // The archive's newest payload registrations first, while the cluster is still there, so
      // the save holds them (and, without a store, other nodes still hear of them).
      c.running().sink().share();
      if (c.state() != null) {
        try {
          c.state().save(System.currentTimeMillis(), 0);
        } catch (RuntimeException e) {
          LOG.error("crawl {}: last state not saved: {}", c.name(), e.getMessage());
        }
      }
    }
  }

  /**
   * Saves the crawls' state one last time, undeploys the verticles (closing their connections,
   * timers and listeners), leaves the cluster and closes the results and the state store.
   */
  public Future<Void> stop() {
    closing.set(true);
    // Closing Vert.x undeploys every verticle: the services stop their timers and listeners.
    // Closing a sink renames and indexes its files (blocking I/O): not on the event loop that
    // completes the close, but on a thread of its own once every worker has stopped writing.
    return Future.fromCompletionStage(CompletableFuture.runAsync(this::saveState))
        .eventually(vertx::close)
        .eventually(
            () ->
                Future.fromCompletionStage(
                    CompletableFuture.runAsync(
                        () -> {
                          crawls.values().forEach(c -> closeQuietly(c.running().sink()));
                          if (store != null) {
                            store.close();
                          }
                        })));
  }

  /**
   * Closes a crawl's sinks (renaming and indexing its WARC files); a failure is logged, since the
   * node is stopping anyway and every acknowledged result was written before.
   */
  private static void closeQuietly(ResultSink sink) {
    try {
      sink.close();
    } catch (Exception e) {
      LOG.error("cannot close the results: {}", e.getMessage());
    }
  }
}
