package io.fleetcrawl.model;

import java.util.List;
import java.util.Objects;

/**
 * A batch of seed URLs sent to a crawl's intake over the event bus.
 *
 * @param crawl the crawl's name
 * @param urls the URLs as given by the user, unvalidated
 */
public record SubmitBatch(String crawl, List<String> urls) {
  public SubmitBatch {
    Objects.requireNonNull(crawl, "crawl");
    urls = List.copyOf(urls);
  }
}
