package io.fleetcrawl.frontier;

/**
 * The answer to an offer.
 *
 * @param admitted per offered request, whether it was new and is now queued
 * @param wasIdle whether the key had nothing ready and nothing leased before: nobody is working it,
 *     so a worker must be told
 */
public record OfferResult(boolean[] admitted, boolean wasIdle) {}
