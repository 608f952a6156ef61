package io.fleetcrawl.frontier;

import io.fleetcrawl.model.CrawlRequest;

/**
 * A URL handed to one worker until {@code expiresAt}. The id is a fencing token: once a lease has
 * expired and its URL been handed out again, an acknowledgement carrying the old id is refused. The
 * owner is the cluster member holding it, so its leases can be released the moment it leaves.
 */
public record Lease(long id, CrawlRequest request, long expiresAt, String owner) {}
