package io.fleetcrawl.output;

import com.hazelcast.core.HazelcastInstance;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * Where a crawl's results go. The worker writes every batch through one sink (usually a {@link
 * SinkChain} of the crawl's sinks) and acknowledges the batch's leases to the frontier only after
 * {@link #write} has returned, so a new sink (a queue, a search index, object storage) needs no
 * change to the worker: it only has to be durable when {@code write} returns.
 *
 * <p>Blocking: the worker calls it on a worker thread, never on an event loop, one batch at a time
 * per worker (implementations are called from several workers' threads and must be thread-safe).
 */
public interface ResultSink extends AutoCloseable {

  /**
   * Writes a batch and makes it durable (at least handed to the operating system) before returning.
   *
   * @return the batch as later sinks in a chain should see it: a sink may annotate a page's result,
   *     as the WARC sink does with where it archived the response
   * @throws IOException naming the file or service when the batch could not be written; nothing of
   *     the batch is then acknowledged
   */
  List<SinkItem> write(List<SinkItem> batch) throws IOException;

  /**
   * Called once the node has joined its cluster, before any write: a sink that shares state across
   * the cluster (the WARC sink's index of archived payloads) binds to it here.
   */
  default void attach(HazelcastInstance hazelcast, String crawl) {}

  /**
   * Hands the cluster what the sink holds back from it (the WARC sink's latest payload
   * registrations), so that the node's last state save holds it. Blocking; called while the node
   * stops, before that save and while the cluster is still there.
   */
  default void share() {}

  /** Returns what the status page shows about this sink (files, counts). */
  default Map<String, Object> status() {
    return Map.of();
  }

  /** Finishes every file (renamed, indexed) and releases it. */
  @Override
  void close() throws IOException;
}
