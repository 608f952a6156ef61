package io.fleetcrawl.ratecontrol;

import io.fleetcrawl.bus.Addresses;
import io.fleetcrawl.model.HostReport;
import io.fleetcrawl.model.ReportBatch;
import io.fleetcrawl.ratecontrol.DomainController.Budget;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One crawl's per-domain budgets for the whole cluster. Every node runs one: each interval it sends
 * what its workers saw per domain to the coordinator, which is the oldest data member (a cluster
 * singleton that Hazelcast moves within its failure detection when that member dies). The
 * coordinator sums the nodes' reports per domain, runs each domain's {@link DomainController} and
 * writes changed budgets into the frontier, where every node's claims obey them atomically: the sum
 * of requests in flight to a domain across nodes never exceeds its budget, and between a
 * coordinator's death and its successor's first decision the last budgets stay in force. A new
 * coordinator resumes each domain from the budget the frontier holds.
 *
 * <p>A verticle: deploying it starts the reports and decisions on its own context, undeploying it
 * stops them; every field but the figures {@link #view} reads is confined to that context.
 */
public final class BudgetCoordinator extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(BudgetCoordinator.class);

  private final Supplier<String> coordinatorMember;
  private final BudgetStore frontier;
  private final String crawl;
  private final DomainReports local;
  private final BudgetConfig config;
  private final LongSupplier clock;
  private final long intervalMs;
  private java.util.function.Function<String, Budget> liveOverrides = key -> null;
  private MessageConsumer<ReportBatch> consumer;
  private volatile long decisions;
  private volatile long decidingNanos;
  private volatile long timer = -1;

  /** The next half-interval step to run; see {@link #schedule}. */
  private long nextStep;

  private long lastLateWarning = Long.MIN_VALUE / 2;
  private volatile boolean closed;

  private final ReportIntervals inbox = new ReportIntervals();

  /**
   * Most hosts the coordinator keeps a controller for. Beyond it, or after {@link #IDLE_MS} without
   * a report, the host least recently reported goes: if it comes back, its controller resumes from
   * the budget the frontier holds, as after a change of coordinator. Without a bound a crawl of a
   * million hosts would keep a controller for each.
   */
  static final int MAX_CONTROLLERS = 20_000;

  static final long IDLE_MS = 10 * 60_000L;

  private final Map<String, DomainController> controllers = new HashMap<>();
  private final Map<String, Budget> applied = new HashMap<>();

  /** When each controlled host was last reported, least recently reported first. */
  private final LinkedHashMap<String, Long> lastReported = new LinkedHashMap<>();

  /** Hosts whose gentle start ended on a 429 and whose pace the controller has yet to take over. */
  private final Set<String> startThrottled = new HashSet<>();

  private volatile boolean active;
  private volatile long activeSince;
  private volatile int domains;

  /**
   * @param coordinatorMember the id of the member that coordinates now (the oldest data member), or
   *     null while there is none
   * @param local what this node's workers saw, drained at the end of each interval
   * @param clock epoch milliseconds; every node's intervals end on its multiples of the interval
   */
  public BudgetCoordinator(
      Supplier<String> coordinatorMember,
      BudgetStore frontier,
      String crawl,
      DomainReports local,
      BudgetConfig config,
      LongSupplier clock) {
    this.coordinatorMember = coordinatorMember;
    this.frontier = frontier;
    this.crawl = crawl;
    this.local = local;
    this.config = config;
    this.clock = clock;
    this.intervalMs = config.controller().intervalMs();
  }

  @Override
  public Future<?> start() {
    consumer =
        vertx
            .eventBus()
            .<ReportBatch>consumer(
                Addresses.coordinator(crawl, frontier.owner()), m -> accept(m.body()));
    schedule();
    return consumer.completion();
  }

  /**
   * Every node ends its intervals on the same wall-clock boundaries (multiples of the interval) and
   * the coordinator decides half an interval later, so each decision adds up exactly one interval
   * of every node. Free-running timers would drift apart, and an interval holding two reports of
   * one node and none of another would misstate what the site accepted. Steps are half intervals
   * counted from the epoch (even: report, odd: decide) and follow their own due times, so a late
   * timer neither skips a report nor doubles one.
   */
  private void schedule() {
    if (closed) {
      return;
    }
    long half = intervalMs / 2;
    long now = clock.getAsLong();
    if (nextStep == 0) {
      nextStep = Math.floorDiv(now, half) + 1;
    }
    timer =
        vertx.setTimer(
            Math.max(1, nextStep * half - now),
            id -> {
              if (closed) {
                return;
              }
              long at = clock.getAsLong();
              boolean decide = false;
              while (nextStep * half <= at) {
                long due = nextStep * half;
                if (nextStep % 2 == 0) {
                  long interval = nextStep / 2;
                  if (at - due < half) {
                    report(interval);
                  } else {
                    // So late that what was recorded spans several intervals: it cannot be
                    // attributed to one, so it is left out rather than overstate one.
                    local.drain();
                    LOG.debug("crawl {}: interval {} reported too late, dropped", crawl, interval);
                  }
                } else {
                  decide = true;
                }
                nextStep++;
              }
              if (decide) {
                control(at, Math.floorDiv(at - half, intervalMs));
              }
              schedule();
            });
  }

  private String coordinatorMember() {
    return coordinatorMember.get();
  }

  private void accept(ReportBatch batch) {
    if (!inbox.accept(batch)) {
      long now = clock.getAsLong();
      if (now - lastLateWarning >= 60_000) {
        lastLateWarning = now;
        LOG.warn(
            "crawl {}: {} report(s) so far came after their interval was decided and were left"
                + " out: a node overloaded, or its clock off by more than half an interval"
                + " (nodes need synchronised clocks, e.g. NTP)",
            crawl,
            inbox.late());
      }
    }
  }

  /** Ends this node's interval number {@code interval}: its reports go to the coordinator. */
  private void report(long interval) {
    String coordinator = coordinatorMember();
    List<HostReport> mine = local.drain();
    if (coordinator == null || mine.isEmpty()) {
      return;
    }
    ReportBatch batch = new ReportBatch(interval, mine);
    if (coordinator.equals(frontier.owner())) {
      accept(batch);
    } else {
      vertx.eventBus().send(Addresses.coordinator(crawl, coordinator), batch);
    }
  }

  /** On the coordinator, decides on every interval up to {@code upTo} whose reports are in. */
  private void control(long now, long upTo) {
    String coordinator = coordinatorMember();
    if (!frontier.owner().equals(coordinator)) {
      if (active) {
        LOG.info("crawl {}: member {} coordinates the budgets now", crawl, coordinator);
      }
      // Not the coordinator (any more): a successor rebuilds from the frontier's budgets.
      active = false;
      inbox.clear();
      controllers.clear();
      applied.clear();
      lastReported.clear();
      startThrottled.clear();
      domains = 0;
      return;
    }
    if (!active) {
      active = true;
      activeSince = now;
      LOG.info(
          "crawl {}: this node coordinates the budgets now; each host resumes from the budget"
              + " the frontier holds",
          crawl);
    }
    long started = System.nanoTime();
    for (ReportIntervals.Interval interval : inbox.due(upTo)) {
      // Interval n ends at n whole intervals since the epoch.
      long end = interval.number() * intervalMs;
      interval.reports().forEach((key, report) -> controlHost(now, key, report, end));
      decisions += interval.reports().size();
    }
    forgetIdle(now);
    decidingNanos += System.nanoTime() - started;
    domains = controllers.size();
  }

  private void reported(String key, long now) {
    lastReported.remove(key);
    lastReported.put(key, now);
  }

  /** Drops the controllers of hosts unreported for {@link #IDLE_MS}, and any beyond the most. */
  private void forgetIdle(long now) {
    var eldest = lastReported.entrySet().iterator();
    while (eldest.hasNext()) {
      var e = eldest.next();
      if (lastReported.size() <= MAX_CONTROLLERS && e.getValue() > now - IDLE_MS) {
        return;
      }
      eldest.remove();
      controllers.remove(e.getKey());
      applied.remove(e.getKey());
      startThrottled.remove(e.getKey());
    }
  }

  /**
   * Returns who coordinates the crawl's budgets as this node sees it: {@code member} (its id),
   * {@code self} (this node), {@code activeSince} (epoch ms this node took over, 0 if not it) and
   * {@code hosts} (hosts it controls).
   */
  public Map<String, Object> view() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("member", coordinatorMember());
    m.put("self", active);
    m.put("activeSince", active ? activeSince : 0);
    m.put("hosts", domains);
    // The coordinator's own work, for the scaling model: host decisions made and the time spent
    // on them (budgets sent to the frontier included, as they are only started here).
    m.put("decisions", decisions);
    m.put("decidingMicros", decidingNanos / 1_000);
    return m;
  }

  /**
   * The part of the interval the host was active in: from its first answer to the interval's end,
   * or to its last answer when that came well before the end and there were enough answers to time
   * a rate by (a burst, then nothing left to send).
   */
  private static long activeSpan(HostReport report, long intervalEnd) {
    long span = intervalEnd - report.firstAt();
    long busy = report.lastAt() - report.firstAt();
    if (report.ok() + report.throttled() >= 20 && busy < 0.8 * span) {
      span = busy;
    }
    return Math.max(1, span);
  }

  /**
   * Adds budgets an operator sets while the crawl runs (null for a key without one); they win over
   * both the learned budget and {@code --budget-override}. Returns this.
   */
  public BudgetCoordinator withLiveOverrides(java.util.function.Function<String, Budget> live) {
    this.liveOverrides = live;
    return this;
  }

  private void controlHost(long now, String key, HostReport report, long intervalEnd) {
    reported(key, now);
    Budget fixed = liveOverrides.apply(key);
    if (fixed == null) {
      fixed = config.overrides().get(key);
    }
    if (fixed != null) {
      apply(key, fixed);
      return;
    }
    DomainController.Sample sample =
        new DomainController.Sample(
            report.ok(),
            report.throttled(),
            report.errors(),
            report.p50Ms(),
            report.retryAfterUntil(),
            activeSpan(report, intervalEnd));
    DomainController controller = controllers.get(key);
    if (controller == null) {
      // First sight of the key on this coordinator: resume from the budget in force, then take
      // this interval too (on a new host it holds the first burst, the best clue to its limit).
      frontier
          .budgetOf(context, key)
          .onSuccess(
              inForce -> {
                DomainController c =
                    inForce != null
                        ? new DomainController(config.controller(), inForce)
                        : new DomainController(config.controller());
                controllers.putIfAbsent(key, c);
                if (!lastReported.containsKey(key)) {
                  // Forgotten while its budget was being read: counted again, so it can go.
                  reported(key, now);
                }
                decide(now, key, controllers.get(key), report, sample);
              });
      return;
    }
    decide(now, key, controller, report, sample);
  }

  private void decide(
      long now,
      String key,
      DomainController controller,
      HostReport report,
      DomainController.Sample sample) {
    if (LOG.isDebugEnabled()) {
      // Guarded: the arguments would be built per host per interval with debug off.
      LOG.debug(
          "interval {}: {} ok, {} throttled, span {} ms, p50 {} ms, budget before {}",
          key,
          sample.ok(),
          sample.throttled(),
          sample.spanMs(),
          sample.p50Ms(),
          controller.budget());
    }
    boolean unpaced = controller.budget().ratePerSecond() <= 0;
    if (unpaced && (report.throttled() > 0 || startThrottled.contains(key))) {
      // Throttled while not yet paced: the frontier's gentle start most likely ended on it and
      // holds a pace for the host, halved on each further 429 until it stops them. This
      // controller takes that pace over after an interval with no 429 at it, so that it starts
      // below the limit: one taken over while still above would be learned as the limit from an
      // interval that mixed paces.
      frontier
          .startPaceOf(context, key)
          .onComplete(
              ar -> {
                double start = ar.succeeded() ? ar.result() : 0;
                if (start <= 0) {
                  startThrottled.remove(key);
                  apply(key, controller.onInterval(now, sample));
                } else if (report.throttled() > 0) {
                  startThrottled.add(key);
                  apply(key, controller.whileStartHoldsPace(sample));
                } else {
                  // The calm interval was run at that pace: it counts as the first at it.
                  startThrottled.remove(key);
                  LOG.debug("{}: adopts start pace {}", key, start);
                  controller.adoptStartPace(start);
                  apply(key, controller.onInterval(now, sample));
                }
              });
      return;
    }
    if (!unpaced && report.throttled() > 0) {
      // Throttled while paced: the frontier may have gone back from this controller's last raise
      // on its first 429 (it holds the pace before it), which this decision must start from.
      long spacing = controller.budget().spacingMicros();
      frontier
          .budgetOf(context, key)
          .onComplete(
              ar -> {
                Budget inForce = ar.succeeded() ? ar.result() : null;
                if (inForce != null
                    && inForce.ratePerSecond() > 0
                    && inForce.spacingMicros() > spacing
                    && controller.budget().spacingMicros() == spacing) {
                  LOG.debug("{}: adopts refused raise, in force {}", key, inForce);
                  controller.adoptRefusedRaise(inForce.ratePerSecond());
                }
                apply(key, controller.onInterval(now, sample));
              });
      return;
    }
    apply(key, controller.onInterval(now, sample));
  }

  private void apply(String key, Budget budget) {
    if (closed || budget.equals(applied.get(key))) {
      return;
    }
    applied.put(key, budget);
    LOG.debug(
        "budget {}: {} in flight, {} us apart", key, budget.concurrency(), budget.spacingMicros());
    frontier
        .setBudget(context, key, budget.concurrency(), budget.spacingMicros())
        .onFailure(
            e -> {
              applied.remove(key);
              LOG.warn("budget for {} not applied: {}", key, e.toString());
            });
  }

  @Override
  public Future<?> stop() {
    closed = true;
    vertx.cancelTimer(timer);
    return consumer.unregister();
  }
}
