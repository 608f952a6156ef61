package io.fleetcrawl.metrics;

import java.util.Locale;

/** Why a pooled connection ended; one meter series each. */
public enum CloseReason {
  /** Idle longer than the idle expiry (ours, or the one a server's Keep-Alive header set). */
  IDLE_EXPIRY,
  /** The least recently used of more idle connections than the worker keeps. */
  IDLE_CAP,
  /** Older than the maximum lifetime. */
  LIFETIME,
  /** Served the maximum number of requests. */
  REQUEST_CAP,
  /** Keep-alive is off: one request per connection. */
  KEEP_ALIVE_OFF,
  /** The peer closed it. */
  SERVER_CLOSE,
  /** It failed (reset, TLS error, timeout, a body cut at the size cap). */
  ERROR,
  /** Its address is on an internal network and private networks are not allowed. */
  REFUSED_INTERNAL,
  /** The worker shut down. */
  SHUTDOWN;

  /** Returns the tag value: lower-case with dashes. */
  public String tag() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }
}
