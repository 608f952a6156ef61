package io.fleetcrawl.control;

import io.fleetcrawl.config.HostPattern;
import io.fleetcrawl.ratecontrol.DomainController;
import java.net.URI;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What an operator has told a crawl, as this node sees it: paused, cancelled, hosts blocked. The
 * cluster's copy is the map {@code control.<crawl>} (saved with the crawl's state, so it outlives a
 * restart); {@link ControlVerticle} keeps this view in step with it. Read from any thread.
 *
 * <p>Map entries: {@code paused} and {@code cancelled} ("1" when set), {@code block:PATTERN} (a
 * host or {@code *.domain}), {@code budget:HOST} (see {@link #parseBudget}).
 */
public final class CrawlControls {
  static final String PAUSED = "paused";
  static final String CANCELLED = "cancelled";
  static final String BLOCK = "block:";
  static final String BUDGET = "budget:";

  private record View(
      boolean paused,
      boolean cancelled,
      List<HostPattern> blocked,
      Map<String, DomainController.Budget> budgets) {}

  private volatile View view = new View(false, false, List.of(), Map.of());

  /** Replaces the view with the cluster's entries. */
  public void apply(Map<String, String> entries) {
    boolean paused = "1".equals(entries.get(PAUSED));
    boolean cancelled = "1".equals(entries.get(CANCELLED));
    List<HostPattern> blocked =
        entries.entrySet().stream()
            .filter(e -> e.getKey().startsWith(BLOCK) && "1".equals(e.getValue()))
            .map(e -> new HostPattern(e.getKey().substring(BLOCK.length())))
            .toList();
    Map<String, DomainController.Budget> budgets = new HashMap<>();
    entries.forEach(
        (key, value) -> {
          if (key.startsWith(BUDGET)) {
            DomainController.Budget b = parseBudget(value);
            if (b != null) {
              budgets.put(key.substring(BUDGET.length()), b);
            }
          }
        });
    view = new View(paused, cancelled, blocked, Map.copyOf(budgets));
  }

  /**
   * Reads an operator's budget, {@code CONCURRENCY} or {@code CONCURRENCY@RATE} (requests per
   * second); {@code clear} or {@code 0} is none. Null for none.
   *
   * @throws io.fleetcrawl.model.InvalidInputException naming the value when it is neither
   */
  public static DomainController.Budget parseBudget(String value) {
    if (value == null || value.equals("0") || value.equals("clear")) {
      return null;
    }
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("(\\d{1,4})(?:@(\\d+(?:\\.\\d+)?))?").matcher(value);
    if (!m.matches() || Integer.parseInt(m.group(1)) < 1) {
      throw new io.fleetcrawl.model.InvalidInputException(
          "invalid budget '"
              + value
              + "': use N (requests in flight, 1-9999), N@RATE (and requests per second), or clear");
    }
    double rate = m.group(2) == null ? 0 : Double.parseDouble(m.group(2));
    return new DomainController.Budget(Integer.parseInt(m.group(1)), rate);
  }

  /** Returns the budget an operator set for a politeness key, or null. */
  public DomainController.Budget budgetFor(String key) {
    return view.budgets().get(key);
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
    Map<String, String> budgets = new java.util.TreeMap<>();
    v.budgets()
        .forEach(
            (k, b) ->
                budgets.put(
                    k, b.concurrency() + (b.ratePerSecond() > 0 ? "@" + b.ratePerSecond() : "")));
    return Map.of(
        "paused",
        v.paused(),
        "cancelled",
        v.cancelled(),
        "blocked",
        v.blocked().stream().map(HostPattern::text).toList(),
        "budgets",
        budgets);
  }
}
