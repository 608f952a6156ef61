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
 */
public record KeyStats(
    String key, long queued, long leased, long done, long failed, long nextAllowedAt) {}
