package io.fleetcrawl.model;

import java.util.List;

/**
 * Intake's answer to a {@link SubmitBatch}: how many URLs were admitted and why each other one was
 * refused. A refused URL never causes the batch's other URLs to be dropped.
 */
public record SubmitReply(int accepted, List<Rejection> rejected) {
  public SubmitReply {
    if (accepted < 0) throw new IllegalArgumentException("accepted must be >= 0");
    rejected = List.copyOf(rejected);
  }

  /** Returns whether every URL of the batch was admitted. */
  public boolean allAccepted() {
    return rejected.isEmpty();
  }
}
