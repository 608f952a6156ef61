package io.fleetcrawl.control;

import io.fleetcrawl.config.HostPattern;
import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What an operator has told a crawl, as this node sees it: paused, cancelled, hosts blocked. The
 * cluster's copy is the map {@code control.<crawl>} (saved with the crawl's state, so it outlives a
 * restart); {@link ControlVerticle} keeps this view in step with it. Read from any thread.
 *
 * <p>Map entries: {@code paused} and {@code cancelled} ("1" when set), {@code block:PATTERN} (a
 * host or {@code *.domain}).
 */
public final class CrawlControls {
  static final String PAUSED = "paused";
  static final String CANCELLED = "cancelled";
  static final String BLOCK = "block:";

  private record View(boolean paused, boolean cancelled, List<HostPattern> blocked) {}

  private volatile View view = new View(false, false, List.of());

  /** Replaces the view with the cluster's entries. */
  public void apply(Map<String, String> entries) {
    boolean paused = "1".equals(entries.get(PAUSED));
    boolean cancelled = "1".equals(entries.get(CANCELLED));
    List<HostPattern> blocked =
        entries.entrySet().stream()
            .filter(e -> e.getKey().startsWith(BLOCK) && "1".equals(e.getValue()))
            .map(e -> new HostPattern(e.getKey().substring(BLOCK.length())))
            .toList();
    view = new View(paused, cancelled, blocked);
  }

  /** Whether nothing may be fetched now: paused or cancelled. */
  public boolean halted() {
    View v = view;
    return v.paused() || v.cancelled();
  }

  /** Whether the crawl was cancelled. */
  public boolean cancelled() {
    return view.cancelled();
  }

  /** Returns the pattern blocking this URL's host, or null when none does. */
  public String blockedBy(String url) {
    List<HostPattern> blocked = view.blocked();
    if (blocked.isEmpty()) {
      return null;
    }
    String host;
    try {
      host = URI.create(url).getHost();
    } catch (IllegalArgumentException e) {
      return null;
    }
    if (host == null) {
      return null;
    }
    host = host.toLowerCase(Locale.ROOT);
    for (HostPattern p : blocked) {
      if (p.matches(host)) {
        return p.text();
      }
    }
    return null;
  }

  /** Returns the view for status: paused, cancelled, blocked patterns. */
  public Map<String, Object> status() {
    View v = view;
    return Map.of(
        "paused",
        v.paused(),
        "cancelled",
        v.cancelled(),
        "blocked",
        v.blocked().stream().map(HostPattern::text).toList());
  }
}
