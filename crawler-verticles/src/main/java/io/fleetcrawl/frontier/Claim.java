package io.fleetcrawl.frontier;

import java.util.List;

/**
 * What a claim on one politeness key returned.
 *
 * @param leases the URLs now leased to the caller, possibly none
 * @param wakeAt when nothing more can be claimed now: the time at which claiming again may yield
 *     URLs, {@link #ON_SETTLE} when only a settled lease frees a slot, {@link #IDLE} when the key
 *     has no queued URL at all
 * @param queued URLs of the key waiting, not counting the ones just leased
 */
public record Claim(List<Lease> leases, long wakeAt, int queued) {
  /** Nothing is queued: the key sleeps until new URLs arrive. */
  public static final long IDLE = -1;

  /** Every slot is taken: claim again when one of the key's leases is settled. */
  public static final long ON_SETTLE = Long.MAX_VALUE;

  public Claim {
    leases = List.copyOf(leases);
  }
}
