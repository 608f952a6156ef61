package io.fleetcrawl.pool;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.impl.HttpContext;
import io.vertx.ext.web.client.impl.HttpRequestImpl;
import io.vertx.ext.web.codec.BodyCodec;
import io.vertx.ext.web.codec.spi.BodyStream;

/**
 * The body codec of a crawler request: WebClient pipes the response body into it chunk by chunk,
 * and it hands each chunk to its {@link Exchange}, which keeps the raw bytes for the archive,
 * decodes them and stops the transfer at the size cap. It also ties a WebClient request back to its
 * exchange, which is how {@link ExchangeInterceptor} finds it.
 */
final class ExchangeCodec implements BodyCodec<Void> {
  private final Exchange exchange;

  ExchangeCodec(Exchange exchange) {
    this.exchange = exchange;
  }

  /** Returns the exchange a WebClient request belongs to, or null for another request. */
  static Exchange exchangeOf(HttpContext<?> context) {
    if (context.request() instanceof HttpRequestImpl<?> request
        && request.bodyCodec() instanceof ExchangeCodec codec) {
      return codec.exchange;
    }
    return null;
  }

  @Override
  public BodyStream<Void> stream() {
    return new Stream();
  }

  private final class Stream implements BodyStream<Void> {
    private final Promise<Void> result = Promise.promise();

    @Override
    public Future<Void> result() {
      return result.future();
    }

    @Override
    public void handle(Throwable failure) {
      result.tryFail(failure);
    }

    @Override
    public Stream exceptionHandler(Handler<Throwable> handler) {
      return this;
    }

    @Override
    public Future<Void> write(Buffer data) {
      exchange.chunk(data);
      return Future.succeededFuture();
    }

    @Override
    public Future<Void> end() {
      // Also called when the response failed (the pipe ends its target either way); the
      // exchange completes only when WebClient reports the whole response.
      result.tryComplete();
      return Future.succeededFuture();
    }

    @Override
    public Stream setWriteQueueMaxSize(int maxSize) {
      return this;
    }

    /** Full while the node is over its body memory: the pipe then pauses the response. */
    @Override
    public boolean writeQueueFull() {
      return exchange.memoryFull();
    }

    @Override
    public Stream drainHandler(Handler<Void> handler) {
      exchange.onMemoryFreed(handler);
      return this;
    }
  }
}
