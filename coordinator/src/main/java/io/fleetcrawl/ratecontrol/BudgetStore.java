package io.fleetcrawl.ratecontrol;

import io.fleetcrawl.ratecontrol.DomainController.Budget;
import io.vertx.core.Context;
import io.vertx.core.Future;

/**
 * Where the coordinator's budgets take effect: the shared frontier, whose claims obey them
 * atomically on every node. The coordinator reads a host's budget in force when it takes the host
 * over and after a throttled interval, and writes changed ones.
 */
public interface BudgetStore {
  /** Returns this member's id, which names its coordinator address. */
  String owner();

  /**
   * Completes, on {@code context}, with the budget in force, or null if the coordinator has set
   * none: the one it last set, but with the pace before its last raise when the site refused a
   * request sent at the raised pace and the frontier took the raise back.
   */
  Future<Budget> budgetOf(Context context, String key);

  /**
   * Completes, on {@code context}, with the pace in requests per second that the host's gentle
   * start left when the site first throttled it, while the coordinator has not yet set a pace of
   * its own; 0 when there is none.
   */
  Future<Double> startPaceOf(Context context, String key);

  /** Sets a host's budget; completes on {@code context}. */
  Future<?> setBudget(Context context, String key, int concurrency, long spacingMicros);
}
