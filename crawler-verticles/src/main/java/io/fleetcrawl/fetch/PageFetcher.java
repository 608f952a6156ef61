package io.fleetcrawl.fetch;

import io.fleetcrawl.config.FetchConfig;
import io.fleetcrawl.pool.ClientPool;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;

/**
 * Fetches one URL with a GET over a worker's {@link ClientPool}, enforcing what Vert.x does not: a
 * total deadline per fetch and a cap on decoded body bytes. Never follows redirects; the caller
 * admits the target as a new URL so that scope, robots.txt and dedup apply to it.
 */
public final class PageFetcher {
  private static final String ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8";

  private final Vertx vertx;
  private final ClientPool pool;
  private final FetchConfig config;
  private final String userAgent;

  public PageFetcher(Vertx vertx, ClientPool pool, FetchConfig config, String userAgent) {
    this.vertx = vertx;
    this.pool = pool;
    this.config = config;
    this.userAgent = userAgent;
  }

  /** Fetches a URL keeping at most {@code maxBytes} of its decoded body; never fails. */
  public Future<FetchOutcome> fetch(String url, int maxBytes) {
    long start = System.nanoTime();
    URI uri;
    try {
      uri = URI.create(url);
    } catch (IllegalArgumentException e) {
      return Future.succeededFuture(
          FetchOutcome.failure("malformed URL: " + e.getMessage(), false, 0));
    }
    boolean https = "https".equalsIgnoreCase(uri.getScheme());
    RequestOptions options =
        new RequestOptions()
            .setMethod(HttpMethod.GET)
            .setAbsoluteURI(url)
            .setFollowRedirects(false)
            .setConnectTimeout(config.connectTimeoutMs())
            .setIdleTimeout(config.idleReadTimeoutMs())
            .putHeader("User-Agent", userAgent)
            .putHeader("Accept", ACCEPT);
    Promise<FetchOutcome> promise = Promise.promise();
    Exchange exchange = new Exchange(promise, start, maxBytes, uri.getHost());
    exchange.timer =
        vertx.setTimer(config.totalTimeoutMs(), id -> exchange.deadline(config.totalTimeoutMs()));
    pool.client(https)
        .request(options)
        .compose(
            request -> {
              exchange.request = request;
              return request.send();
            })
        .onComplete(
            ar -> {
              if (ar.succeeded()) {
                exchange.read(ar.result());
              } else {
                exchange.fail(ar.cause());
              }
            });
    return promise.future();
  }

  /** The state of one fetch; touched only on the worker's event loop. */
  private final class Exchange {
    private final Promise<FetchOutcome> promise;
    private final long start;
    private final int maxBytes;
    private final String host;
    private HttpClientRequest request;
    private long timer;
    private boolean finished;

    Exchange(Promise<FetchOutcome> promise, long start, int maxBytes, String host) {
      this.promise = promise;
      this.start = start;
      this.maxBytes = maxBytes;
      this.host = host;
    }

    void read(HttpClientResponse response) {
      Buffer body = Buffer.buffer();
      boolean[] truncated = new boolean[1];
      response.handler(
          chunk -> {
            if (truncated[0]) {
              return;
            }
            int room = maxBytes - body.length();
            if (chunk.length() > room) {
              body.appendBuffer(chunk, 0, room);
              truncated[0] = true;
              // Stop the transfer: on HTTP/1.1 this closes the connection, on HTTP/2 only the
              // stream.
              response.request().reset();
              complete(response, body, true);
            } else {
              body.appendBuffer(chunk);
            }
          });
      response.exceptionHandler(this::fail);
      response.endHandler(v -> complete(response, body, false));
    }

    void complete(HttpClientResponse response, Buffer body, boolean truncated) {
      if (finish()) {
        promise.complete(
            new FetchOutcome(
                response.statusCode(),
                null,
                false,
                response.version() == HttpVersion.HTTP_2 ? "HTTP/2" : "HTTP/1.1",
                body,
                truncated,
                elapsedMs(),
                response.getHeader("Content-Type"),
                response.getHeader("Location"),
                response.getHeader("Retry-After")));
      }
    }

    void fail(Throwable cause) {
      if (finish()) {
        promise.complete(describe(cause));
      }
    }

    void deadline(long totalMs) {
      if (finish()) {
        if (request != null) {
          request.reset(0, new TimeoutException("deadline"));
        }
        promise.complete(
            FetchOutcome.failure(
                "timeout: no complete response within " + totalMs + " ms", true, elapsedMs()));
      }
    }

    private boolean finish() {
      if (finished) {
        return false;
      }
      finished = true;
      vertx.cancelTimer(timer);
      return true;
    }

    private long elapsedMs() {
      return (System.nanoTime() - start) / 1_000_000;
    }

    private FetchOutcome describe(Throwable cause) {
      long ms = elapsedMs();
      if (host != null && pool.wasRefusedAsInternal(host)) {
        return FetchOutcome.failure(
            "private-network: " + host + " resolves to an internal address", false, ms);
      }
      String message =
          cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
      if (cause instanceof UnknownHostException) {
        return FetchOutcome.failure("dns: cannot resolve " + host, true, ms);
      }
      if (cause instanceof ConnectException) {
        return FetchOutcome.failure("connect: " + message, true, ms);
      }
      if (cause instanceof SSLException) {
        return FetchOutcome.failure("tls: " + message, false, ms);
      }
      if (cause instanceof TimeoutException || message.toLowerCase().contains("timeout")) {
        return FetchOutcome.failure("timeout: " + message, true, ms);
      }
      if (cause instanceof ClosedChannelException) {
        return FetchOutcome.failure("connection closed by peer", true, ms);
      }
      return FetchOutcome.failure(cause.getClass().getSimpleName() + ": " + message, true, ms);
    }
  }
}
