package io.fleetcrawl.frontier;

/**
 * The answer to a settle-and-claim round trip.
 *
 * @param refusedSettlements settlements whose lease had already expired and been handed out again
 * @param claim what was claimed afterwards
 */
public record SettleResult(int refusedSettlements, Claim claim) {}
