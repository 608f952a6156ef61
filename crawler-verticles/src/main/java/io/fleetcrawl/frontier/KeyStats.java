package io.fleetcrawl.frontier;

/**
 * A politeness key's frontier figures at one moment, for the status command.
 *
 * @param key the politeness key
 * @param queued URLs waiting (ready or delayed for a retry)
 * @param leased URLs handed to workers and not yet settled
 * @param done URLs that reached their terminal state, failures included
 * @param failed URLs given up after their attempts
 * @param nextAllowedAt epoch milliseconds before which no request is sent (pause, crawl-delay)
 * @param throttled attempts the site answered with 429 or 503
 * @param settled leases settled (finished or queued again), the base of the 429 share
 * @param budget the most leases the key may have out at once, as last applied
 * @param spacingMicros the least time between two requests in force (the coordinator's, or the
 *     gentle start's while it runs), microseconds; 0 when unpaced
 * @param coordinated whether the budget is the coordinator's rather than the crawl's fixed limit
 * @param starting whether the key's gentle start is pacing it now
 * @param startPaceMicros the pace the gentle start holds since the site first throttled and the
 *     site has accepted, which the coordinator has not yet taken over, microseconds; 0 for none
 */
public record KeyStats(
    String key,
    long queued,
    long leased,
    long done,
    long failed,
    long nextAllowedAt,
    long throttled,
    long settled,
    int budget,
    long spacingMicros,
    boolean coordinated,
    boolean starting,
    long startPaceMicros) {}
