package io.fleetcrawl.frontier;

/**
 * The answer to a settle-and-claim round trip.
 *
 * @param refused the lease ids of settlements refused because the lease had expired (or its member
 *     had been declared gone) and the URL been handed out again: fencing
 * @param claim what was claimed afterwards
 */
public record SettleResult(long[] refused, Claim claim) {
  /** Returns how many settlements were refused. */
  public int refusedSettlements() {
    return refused.length;
  }
}
