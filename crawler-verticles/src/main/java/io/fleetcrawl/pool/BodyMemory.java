package io.fleetcrawl.pool;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The node's budget for the response bodies it holds, shared by all its workers. A body cap bounds
 * one page; only this bounds them together: hundreds of pages in flight, each allowed the whole cap
 * (raw and decoded), would need gigabytes if a hostile site sent them all at once.
 *
 * <p>A page's bytes count from its first body chunk until its result is written. When the node is
 * over budget, a page that wants more stops reading (its connection's flow control pushes back on
 * the server) until enough is released. One page at a time may read past the budget, so that
 * something always completes and frees memory: without it, pages each holding part of a body could
 * wait on one another for ever. The peak is therefore the budget plus one page plus one chunk per
 * page in flight.
 *
 * <p>Counting is one atomic add per chunk; waiting and waking, rare, take the lock.
 */
public final class BodyMemory {
  private static final Map<Vertx, BodyMemory> NODES =
      Collections.synchronizedMap(new WeakHashMap<>());

  private final long limit;
  private final AtomicLong held = new AtomicLong();
  private final AtomicLong peak = new AtomicLong();
  private final AtomicLong pauses = new AtomicLong();
  private final ArrayDeque<Hold> waiting = new ArrayDeque<>();
  private Hold overdraft;

  BodyMemory(long limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("body memory must be >= 1 byte, was " + limit);
    }
    this.limit = limit;
  }

  /**
   * Returns the node's budget: the one its first worker made with {@code limit}, shared by every
   * worker of the same Vert.x instance.
   */
  public static BodyMemory of(Vertx vertx, long limit) {
    return NODES.computeIfAbsent(vertx, v -> new BodyMemory(limit));
  }

  /** Returns the node's budget once a worker has made it, else null. */
  public static BodyMemory find(Vertx vertx) {
    return NODES.get(vertx);
  }

  /** What /status shows. */
  public Map<String, Object> status() {
    Map<String, Object> status = new LinkedHashMap<>();
    status.put("limitBytes", limit);
    status.put("heldBytes", held());
    status.put("peakBytes", peak());
    status.put("waiting", waiting());
    status.put("pauses", pauses());
    return status;
  }

  /** Starts counting one page's body, whose reader runs on {@code context}. */
  public Hold hold(Context context) {
    return new Hold(context);
  }

  public long limit() {
    return limit;
  }

  /** Bytes of bodies held now. */
  public long held() {
    return held.get();
  }

  /** Most bytes held at once since the node started. */
  public long peak() {
    return peak.get();
  }

  /** How many times a page stopped reading to wait for memory. */
  public long pauses() {
    return pauses.get();
  }

  /** Pages waiting for memory now. */
  public synchronized int waiting() {
    return waiting.size();
  }

  /**
   * Wakes the first waiting reader if there is room, or lets it read past the budget if no page
   * does. One at a time: all woken at once, each would add a chunk (or a compressed chunk's whole
   * decoded size) before seeing the others'. A woken reader that finds room wakes the next.
   */
  private void wakeNext() {
    Hold next;
    synchronized (this) {
      if (waiting.isEmpty()) {
        return;
      }
      if (held.get() < limit) {
        next = waiting.poll();
      } else if (overdraft == null) {
        next = waiting.poll();
        overdraft = next;
      } else {
        return;
      }
    }
    next.drained();
  }

  /** One page's share of the budget. Its reader adds to it on its own event loop. */
  public final class Hold {
    private final Context context;
    private long bytes;
    private Runnable drain;
    private volatile boolean released;

    private Hold(Context context) {
      this.context = context;
    }

    /**
     * Counts {@code n} more bytes held; returns false when the reader must stop and {@link #await}
     * memory before it reads more.
     */
    public boolean add(long n) {
      if (released || n <= 0) {
        return true;
      }
      bytes += n;
      long now = held.addAndGet(n);
      if (now > peak.get()) {
        peak.accumulateAndGet(now, Math::max);
      }
      if (now <= limit) {
        return true;
      }
      synchronized (BodyMemory.this) {
        if (overdraft == this) {
          return true;
        }
        if (overdraft == null) {
          overdraft = this;
          return true;
        }
      }
      return false;
    }

    /**
     * Runs {@code drain} on the reader's context once memory is free (at once if it already is).
     */
    public void await(Runnable drain) {
      synchronized (BodyMemory.this) {
        if (released) {
          return;
        }
        this.drain = drain;
        waiting.add(this);
      }
      pauses.incrementAndGet();
      wakeNext();
    }

    /** Passes the turn on: this reader, woken, found room; the next waiting one may find some. */
    public void wakeNext() {
      BodyMemory.this.wakeNext();
    }

    /** Gives back everything this page held; safe to call more than once. On the reader's loop. */
    public void release() {
      long freed;
      synchronized (BodyMemory.this) {
        if (released) {
          return;
        }
        released = true;
        if (drain != null) {
          waiting.remove(this);
          drain = null;
        }
        if (overdraft == this) {
          overdraft = null;
        }
        freed = bytes;
        bytes = 0;
      }
      if (freed > 0) {
        held.addAndGet(-freed);
      }
      wakeNext();
    }

    private void drained() {
      Runnable run;
      synchronized (BodyMemory.this) {
        run = drain;
        drain = null;
      }
      if (run != null) {
        context.runOnContext(v -> run.run());
      }
    }
  }
}
