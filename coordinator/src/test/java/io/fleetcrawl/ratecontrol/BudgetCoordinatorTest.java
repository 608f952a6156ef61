package io.fleetcrawl.ratecontrol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fleetcrawl.bus.ModelCodec;
import io.fleetcrawl.ratecontrol.DomainController.Budget;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two nodes' coordinators on one Vert.x, on a fake clock that the test moves across interval
 * boundaries: node A coordinates, node B reports to it over the event bus, and budgets land in
 * in-memory stores standing for each node's frontier. The timers are real (each half interval is
 * half a second), the time they read is not, so what each interval holds is exact.
 */
class BudgetCoordinatorTest {
  private static final long T0 = 1_000_000_000L; // a multiple of the 1 s interval
  private static final String HOST = "site.example";

  private final AtomicLong clock = new AtomicLong(T0);
  private Vertx vertx;

  /** A frontier's budgets, kept in memory. */
  private static final class Store implements BudgetStore {
    final String owner;
    final Map<String, Budget> budgets = new ConcurrentHashMap<>();
    final Map<String, Double> startPaces = new ConcurrentHashMap<>();
    final AtomicInteger sets = new AtomicInteger();

    Store(String owner) {
      this.owner = owner;
    }

    @Override
    public String owner() {
      return owner;
    }

    @Override
    public Future<Budget> budgetOf(Context context, String key) {
      return Future.succeededFuture(budgets.get(key));
    }

    @Override
    public Future<Double> startPaceOf(Context context, String key) {
      return Future.succeededFuture(startPaces.getOrDefault(key, 0.0));
    }

    @Override
    public Future<?> setBudget(Context context, String key, int concurrency, long spacingMicros) {
      if (spacingMicros > 0) {
        startPaces.remove(key);
      }
      budgets.put(key, new Budget(concurrency, spacingMicros == 0 ? 0 : 1e6 / spacingMicros));
      sets.incrementAndGet(); // counted once the budget is in place, for tests that replace it
      return Future.succeededFuture();
    }
  }

  /** Who coordinates, counting how often a node asked: once per report and once per decision. */
  private static final class Coordinator implements Supplier<String> {
    final AtomicInteger asked = new AtomicInteger();

    @Override
    public String get() {
      asked.incrementAndGet();
      return "A";
    }
  }

  @BeforeEach
  void startVertx() {
    vertx = Vertx.vertx();
    ModelCodec.registerAll(vertx);
  }

  @AfterEach
  void closeVertx() {
    vertx.close().await();
  }

  @Test
  void sumsEveryNodesReportsOfAnIntervalIntoOneDecisionOnTheCoordinator() throws Exception {
    Store storeA = new Store("A");
    Store storeB = new Store("B");
    DomainReports seenOnA = new DomainReports(clock::get);
    DomainReports seenOnB = new DomainReports(clock::get);
    Coordinator askedOnA = new Coordinator();
    Coordinator askedOnB = new Coordinator();
    BudgetConfig config = new BudgetConfig(true, DomainController.Settings.defaults(), Map.of());
    deploy(new BudgetCoordinator(askedOnA, storeA, "c", seenOnA, config, clock::get));
    deploy(new BudgetCoordinator(askedOnB, storeB, "c", seenOnB, config, clock::get));

    // Within the interval ending at T0 + 1 s: A saw 10 answers, all fine; B saw 10 fine and 10
    // refused. Alone, A's would raise the budget and B's would pace at half the summed rate.
    clock.set(T0 + 100);
    answer(seenOnA, 1, false);
    answer(seenOnB, 5, false);
    answer(seenOnB, 5, true);
    clock.set(T0 + 900);
    answer(seenOnA, 9, false);
    answer(seenOnB, 5, false);
    answer(seenOnB, 5, true);

    // The interval ends: each node reports at its next timer (half a second after deployment).
    clock.set(T0 + 1_010);
    awaitTrue(() -> askedOnA.asked.get() >= 2 && askedOnB.asked.get() >= 2, "both reported");
    Thread.sleep(50); // B's batch crosses the (local) event bus
    // Half an interval later the coordinator decides on the whole interval.
    clock.set(T0 + 1_510);
    awaitTrue(() -> storeA.budgets.containsKey(HOST), "a budget was decided");

    Budget budget = storeA.budgets.get(HOST);
    // 20 accepted in the 900 ms from the first answer to the interval's end, paced 3% under it;
    // a third refused is not a majority, so the connections stay at the starting 4.
    double expected = 20 * 1_000.0 / 900 * 0.985;
    assertEquals(4, budget.concurrency());
    assertEquals(expected, budget.ratePerSecond(), expected * 0.01);
    assertEquals(Map.of(), storeB.budgets, "a node that does not coordinate decides nothing");
  }

  @Test
  void takesOverThePaceAGentleStartLeftOnceACalmIntervalShowsItIsBelowTheLimit() throws Exception {
    Store store = new Store("A");
    DomainReports seen = new DomainReports(clock::get);
    Coordinator asked = new Coordinator();
    BudgetConfig config = new BudgetConfig(true, DomainController.Settings.defaults(), Map.of());
    // The frontier's gentle start reached 640 r/s, met its first 429 and holds half of it.
    store.startPaces.put(HOST, 320.0);
    deploy(new BudgetCoordinator(asked, store, "c", seen, config, clock::get));

    // The start's interval: 30 answers while the rate rose, 5 of them refused (a 17% share):
    // alone, it would pace the host at what was accepted, 25 in 900 ms, 27 r/s.
    clock.set(T0 + 100);
    answer(seen, 25, false);
    answer(seen, 5, true);
    clock.set(T0 + 1_010);
    awaitTrue(() -> asked.asked.get() >= 2, "reported");
    clock.set(T0 + 1_510);
    awaitTrue(() -> asked.asked.get() >= 3, "decided");
    Thread.sleep(100);
    assertTrue(
        store.budgets.getOrDefault(HOST, new Budget(4, 0)).ratePerSecond() == 0,
        "no pace learned from the rising start, none taken over while 429s still come");
    assertEquals(
        16,
        store.budgets.getOrDefault(HOST, new Budget(4, 0)).concurrency(),
        "the connections grow meanwhile: the held pace bounds the rate");
    assertEquals(320.0, store.startPaces.get(HOST), "the held pace stays the frontier's");

    // The frontier halved the held pace on further 429s; the next interval runs calmly at it,
    // so the controller takes it over and, the site being calm at it, climbs from it at once.
    store.startPaces.put(HOST, 160.0);
    clock.set(T0 + 1_600);
    answer(seen, 160, false);
    clock.set(T0 + 2_010);
    awaitTrue(() -> asked.asked.get() >= 4, "reported again");
    clock.set(T0 + 2_510);
    awaitTrue(() -> store.budgets.get(HOST).ratePerSecond() > 0, "a pace was decided");
    assertEquals(200, store.budgets.get(HOST).ratePerSecond(), 0.5, "160/s taken over, +25%");
    assertEquals(Map.of(), store.startPaces, "the start's pace is the coordinator's now");
  }

  @Test
  void takesOverThePaceTheFrontierWentBackToWhenTheSiteRefusedARaise() throws Exception {
    Store store = new Store("A");
    DomainReports seen = new DomainReports(clock::get);
    Coordinator asked = new Coordinator();
    BudgetConfig config = new BudgetConfig(true, DomainController.Settings.defaults(), Map.of());
    store.budgets.put(HOST, new Budget(8, 250));
    deploy(new BudgetCoordinator(asked, store, "c", seen, config, clock::get));

    // A calm interval at the 250/s in force: this coordinator's controller resumes from it.
    clock.set(T0 + 100);
    answer(seen, 250, false);
    clock.set(T0 + 1_010);
    awaitTrue(() -> asked.asked.get() >= 2, "reported");
    clock.set(T0 + 1_510);
    awaitTrue(() -> store.sets.get() == 1, "decided");
    assertEquals(250, store.budgets.get(HOST).ratePerSecond(), 0.5);

    // The site refused a request sent at 250/s, and the frontier went back to 200/s at once. The
    // interval's 429s (3 %) would otherwise cut the pace to just under 250/s.
    store.budgets.put(HOST, new Budget(8, 200));
    clock.set(T0 + 1_600);
    answer(seen, 200, false);
    answer(seen, 6, true);
    clock.set(T0 + 2_010);
    awaitTrue(() -> asked.asked.get() >= 4, "reported again");
    clock.set(T0 + 2_510);
    awaitTrue(() -> store.sets.get() == 2, "decided again");
    assertEquals(200, store.budgets.get(HOST).ratePerSecond(), 0.5, "200/s taken over");
  }

  @Test
  void stopsReportingAndDecidingOnceUndeployed() throws Exception {
    Store store = new Store("A");
    DomainReports seen = new DomainReports(clock::get);
    Coordinator asked = new Coordinator();
    BudgetConfig config = new BudgetConfig(true, DomainController.Settings.defaults(), Map.of());
    String id = deploy(new BudgetCoordinator(asked, store, "c", seen, config, clock::get));
    vertx.undeploy(id).await(10, TimeUnit.SECONDS);

    clock.set(T0 + 100);
    answer(seen, 10, false);
    clock.set(T0 + 1_010);
    Thread.sleep(700);
    clock.set(T0 + 1_510);
    Thread.sleep(700);

    assertEquals(0, asked.asked.get(), "no timer of an undeployed coordinator ran");
    assertEquals(Map.of(), store.budgets);
    assertEquals(1, seen.drain().size(), "this node's reports were left undrained");
  }

  @Test
  void keepsControllersForAtMostTheMostHostsAndForgetsHostsIdleForTenMinutes() throws Exception {
    Store store = new Store("A");
    DomainReports seen = new DomainReports(clock::get);
    Coordinator asked = new Coordinator();
    BudgetConfig config = new BudgetConfig(true, DomainController.Settings.defaults(), Map.of());
    BudgetCoordinator coordinator =
        new BudgetCoordinator(asked, store, "c", seen, config, clock::get);
    deploy(coordinator);

    // More hosts answer within one interval than the coordinator keeps controllers for.
    int hosts = BudgetCoordinator.MAX_CONTROLLERS + 500;
    clock.set(T0 + 100);
    for (int h = 0; h < hosts; h++) {
      seen.response("h" + h + ".example", false, 20, 0);
    }
    clock.set(T0 + 1_010);
    awaitTrue(() -> asked.asked.get() >= 2, "reported");
    clock.set(T0 + 1_510);
    awaitTrue(() -> store.budgets.size() == hosts, "every host decided");
    awaitTrue(
        () -> ((Number) coordinator.view().get("hosts")).intValue() > 0, "the count published");
    assertEquals(BudgetCoordinator.MAX_CONTROLLERS, coordinator.view().get("hosts"));

    // One host answers again ten minutes on; the rest have gone quiet and are forgotten.
    long later = T0 + BudgetCoordinator.IDLE_MS + 2_000;
    clock.set(later);
    int caughtUp = asked.asked.get();
    awaitTrue(() -> asked.asked.get() > caughtUp, "the timer caught up with the clock");
    clock.set(later + 100);
    seen.response("h0.example", false, 20, 0);
    clock.set(later + 1_010);
    int before = asked.asked.get();
    awaitTrue(() -> asked.asked.get() > before, "reported again");
    clock.set(later + 1_510);
    awaitTrue(() -> Integer.valueOf(1).equals(coordinator.view().get("hosts")), "one host left");
  }

  private String deploy(BudgetCoordinator coordinator) throws Exception {
    return vertx.deployVerticle(coordinator).await(10, TimeUnit.SECONDS);
  }

  private static void answer(DomainReports reports, int count, boolean throttled) {
    for (int i = 0; i < count; i++) {
      reports.response(HOST, throttled, 20, 0);
    }
  }

  private static void awaitTrue(BooleanSupplier condition, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertTrue(condition.getAsBoolean(), "timed out waiting until " + what);
  }
}
