package io.fleetcrawl.output;

import io.fleetcrawl.model.PageResult;
import io.fleetcrawl.model.Retraction;
import io.fleetcrawl.pool.FetchOutcome;

/** One entry of a batch written through a {@link ResultSink}. */
public sealed interface SinkItem {

  /**
   * A URL's terminal result, with the exchange that produced it when there was a response.
   *
   * @param result the line {@code pages.jsonl} gets
   * @param exchange what was sent and received, or null (no response, or excluded before fetching)
   */
  record Page(PageResult result, FetchOutcome exchange) implements SinkItem {
    /** Returns the same page with another result (annotated by an earlier sink). */
    public Page with(PageResult annotated) {
      return new Page(annotated, exchange);
    }
  }

  /** Cancels this node's earlier result for a URL (see {@link Retraction}). */
  record Retracted(Retraction retraction) implements SinkItem {}

  /**
   * A fetch made for the crawl's own sake, not a URL of the frontier (robots.txt): archived, but no
   * result line.
   *
   * @param url the URL fetched
   * @param exchange what was sent and received (with a response)
   */
  record Auxiliary(String url, FetchOutcome exchange) implements SinkItem {}
}
