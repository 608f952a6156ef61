package io.fleetcrawl.ratecontrol;

import java.util.Map;

/**
 * How per-domain budgets are set: fixed (every host gets {@code --per-host-concurrency}) or learned
 * by the coordinator from 429/503s and latency, with fixed overrides for named hosts.
 *
 * @param adaptive whether the coordinator learns budgets
 * @param controller the controller's settings (start, ceiling, thresholds)
 * @param overrides fixed budgets by politeness key, never adapted
 */
public record BudgetConfig(
    boolean adaptive,
    DomainController.Settings controller,
    Map<String, DomainController.Budget> overrides) {
  /** Budgets fixed at --per-host-concurrency: no coordinator. */
  public static final BudgetConfig FIXED =
      new BudgetConfig(false, DomainController.Settings.defaults(), Map.of());

  public BudgetConfig {
    overrides = Map.copyOf(overrides);
  }
}
