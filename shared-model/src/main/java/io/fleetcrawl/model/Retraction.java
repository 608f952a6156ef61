package io.fleetcrawl.model;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A results line cancelling this node's earlier line for the same URL. A node writes a URL's result
 * before acknowledging its lease; when the acknowledgement is refused because the lease had expired
 * (the node was stalled, for example) and the URL was handed to another worker, that worker's line
 * is the one that counts, and this line says so. Readers drop a node's result for a URL when the
 * same file later holds a retraction for it.
 *
 * @param url the normalised URL whose earlier line this cancels
 * @param lease the fencing token of the lease that was refused
 * @param reason why the line no longer counts
 * @param retractedAt epoch milliseconds
 */
public record Retraction(String url, long lease, String reason, long retractedAt) {
  /** Marks the line as a retraction for readers that look at one field. */
  @JsonProperty("retracted")
  public boolean retracted() {
    return true;
  }
}
