package io.fleetcrawl.model;

import java.util.Objects;

/**
 * One URL that intake refused.
 *
 * @param url the URL as it was given
 * @param reason the category of refusal
 * @param detail a human-readable explanation naming what was wrong
 */
public record Rejection(String url, RejectReason reason, String detail) {
  public Rejection {
    Objects.requireNonNull(url, "url");
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(detail, "detail");
  }
}
