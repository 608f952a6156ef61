package io.fleetcrawl.output;

import com.hazelcast.core.HazelcastInstance;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Several sinks written one after another, each seeing the batch as the one before returned it.
 * Order matters: the WARC sink comes before the JSONL sink so that each line can say where its
 * record lies. A batch counts as written only when every sink has written it.
 */
public final class SinkChain implements ResultSink {
  private final List<ResultSink> sinks;

  public SinkChain(List<ResultSink> sinks) {
    if (sinks.isEmpty()) {
      throw new IllegalArgumentException("a sink chain needs at least one sink");
    }
    this.sinks = List.copyOf(sinks);
  }

  /** Returns the sinks, in the order they are written. */
  public List<ResultSink> sinks() {
    return sinks;
  }

  @Override
  public List<SinkItem> write(List<SinkItem> batch) throws IOException {
    List<SinkItem> items = batch;
    for (ResultSink sink : sinks) {
      items = sink.write(items);
    }
    return items;
  }

  @Override
  public void attach(HazelcastInstance hazelcast, String crawl) {
    sinks.forEach(s -> s.attach(hazelcast, crawl));
  }

  @Override
  public void share() {
    sinks.forEach(ResultSink::share);
  }

  @Override
  public Map<String, Object> status() {
    Map<String, Object> status = new LinkedHashMap<>();
    sinks.forEach(s -> status.putAll(s.status()));
    return status;
  }

  /** Closes every sink, even when one fails; the first failure is thrown. */
  @Override
  public void close() throws IOException {
    IOException first = null;
    for (ResultSink sink : sinks) {
      try {
        sink.close();
      } catch (IOException e) {
        if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      } catch (Exception e) {
        IOException wrapped = new IOException(e.getMessage(), e);
        if (first == null) {
          first = wrapped;
        } else {
          first.addSuppressed(wrapped);
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }
}
