package io.fleetcrawl.pool;

import io.vertx.core.Handler;
import io.vertx.ext.web.client.impl.HttpContext;
import java.util.concurrent.CancellationException;

/**
 * Lets an {@link Exchange} see the two moments WebClient keeps to itself: the request the pool
 * assigned a connection to (for connection accounting, the archive's request record and the
 * time-to-first-byte limit), and the response headers (for the Keep-Alive hint and for not reading
 * bodies of media types the crawl does not store). Every other request passes untouched.
 */
final class ExchangeInterceptor implements Handler<HttpContext<?>> {
  @Override
  public void handle(HttpContext<?> context) {
    Exchange exchange = ExchangeCodec.exchangeOf(context);
    if (exchange == null) {
      context.next();
      return;
    }
    switch (context.phase()) {
      case SEND_REQUEST -> {
        if (exchange.sending(context.clientRequest())) {
          context.next();
        } else {
          // The exchange ended while it waited for a connection; failing resets the request.
          context.fail(new CancellationException("exchange already finished"));
        }
      }
      case RECEIVE_RESPONSE -> {
        if (exchange.responded(context.clientResponse())) {
          context.next();
        } else {
          context.fail(new CancellationException("body not read"));
        }
      }
      default -> context.next();
    }
  }
}
