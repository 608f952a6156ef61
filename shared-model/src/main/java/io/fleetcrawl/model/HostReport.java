package io.fleetcrawl.model;

/**
 * What one node's workers saw of one politeness key over one control interval, as sent to the
 * budget coordinator.
 *
 * @param throttled answers that were 429 or 503
 * @param errors fetches that got no answer
 * @param retryAfterUntil the latest time a Retry-After asked requests to wait until; 0 for none
 * @param firstAt when this node first recorded the key in the interval (epoch ms)
 * @param lastAt when it last did; with {@code firstAt}, the part of the interval the key was active
 */
public record HostReport(
    String key,
    long ok,
    long throttled,
    long errors,
    double p50Ms,
    double p90Ms,
    long retryAfterUntil,
    long firstAt,
    long lastAt) {}
