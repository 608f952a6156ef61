package io.fleetcrawl.pool;

import io.fleetcrawl.config.ProxyEndpoint;
import io.fleetcrawl.config.ProxySelection;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Picks a proxy per request and keeps failing ones out. A proxy that fails {@code maxFailures}
 * times in a row (connect refused, tunnel refused, authentication) is ejected; after {@code
 * probeAfterMs} one request is let through as a probe, and a success brings it back. When every
 * proxy is ejected, the one due soonest is used anyway rather than stop the crawl. Confined to the
 * worker's event loop; time is passed in.
 */
final class ProxyRouter {
  private static final Logger LOG = LoggerFactory.getLogger(ProxyRouter.class);

  private final List<ProxyEndpoint> proxies;
  private final ProxySelection selection;
  private final int maxFailures;
  private final long probeAfterMs;
  private final LongSupplier clock;
  private final int[] failures;
  private final long[] ejectedUntil;
  private int next;

  ProxyRouter(
      List<ProxyEndpoint> proxies,
      ProxySelection selection,
      int maxFailures,
      long probeAfterMs,
      LongSupplier clock) {
    this.proxies = List.copyOf(proxies);
    this.selection = selection;
    this.maxFailures = maxFailures;
    this.probeAfterMs = probeAfterMs;
    this.clock = clock;
    this.failures = new int[proxies.size()];
    this.ejectedUntil = new long[proxies.size()];
  }

  /** Returns the proxy for a request to {@code host}, or null when there are no proxies. */
  ProxyEndpoint choose(String host) {
    int n = proxies.size();
    if (n == 0) {
      return null;
    }
    long now = clock.getAsLong();
    int first =
        switch (selection) {
          case ROUND_ROBIN -> Math.floorMod(next++, n);
          case STICKY -> Math.floorMod(host.hashCode(), n);
          case RANDOM -> ThreadLocalRandom.current().nextInt(n);
        };
    int soonest = first;
    for (int k = 0; k < n; k++) {
      int i = (first + k) % n;
      if (ejectedUntil[i] <= now) {
        if (ejectedUntil[i] != 0) {
          // Due for a probe: let this one request through, and eject again if it fails.
          ejectedUntil[i] = now + probeAfterMs;
        }
        return proxies.get(i);
      }
      if (ejectedUntil[i] < ejectedUntil[soonest]) {
        soonest = i;
      }
    }
    return proxies.get(soonest);
  }

  /** Records a request that went through the proxy (whatever the target answered). */
  void succeeded(ProxyEndpoint proxy) {
    int i = proxies.indexOf(proxy);
    if (i >= 0) {
      if (ejectedUntil[i] != 0) {
        LOG.info("proxy {} is back", proxy.label());
      }
      failures[i] = 0;
      ejectedUntil[i] = 0;
    }
  }

  /** Records a failure of the proxy itself; ejects it after too many in a row. */
  void failed(ProxyEndpoint proxy, String why) {
    int i = proxies.indexOf(proxy);
    if (i >= 0 && ++failures[i] >= maxFailures && ejectedUntil[i] <= clock.getAsLong()) {
      ejectedUntil[i] = clock.getAsLong() + probeAfterMs;
      LOG.warn(
          "proxy {} taken out for {} ms after {} failures in a row: {}",
          proxy.label(),
          probeAfterMs,
          failures[i],
          why);
    }
  }

  /** Returns whether a proxy is in service now. */
  boolean healthy(ProxyEndpoint proxy) {
    int i = proxies.indexOf(proxy);
    return i >= 0 && ejectedUntil[i] <= clock.getAsLong();
  }
}
