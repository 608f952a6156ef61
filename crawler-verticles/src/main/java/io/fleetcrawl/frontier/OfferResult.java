package io.fleetcrawl.frontier;

/**
 * The answer to an offer.
 *
 * @param admitted per offered request, whether it was new and is now queued
 * @param wasIdle whether the key had nothing ready and nothing leased before: nobody is working it,
 *     so a worker must be told
 * @param full per offered request, whether it was new but refused because the key already holds its
 *     most URLs ({@code --max-urls-per-host}); null when none was. The other refusals were
 *     duplicates
 */
public record OfferResult(boolean[] admitted, boolean wasIdle, boolean[] full) {

  /** An answer in which every refusal was a duplicate. */
  public OfferResult(boolean[] admitted, boolean wasIdle) {
    this(admitted, wasIdle, null);
  }

  /** Returns whether request {@code i} was refused because its key is full. */
  public boolean full(int i) {
    return full != null && full[i];
  }
}
