package io.fleetcrawl.pool;

import io.fleetcrawl.config.ProxyEndpoint;
import io.fleetcrawl.session.SiteSessions;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ConnectionPoolTooBusyException;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.ProxyOptions;
import io.vertx.core.net.ProxyType;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.WebClient;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.channels.ClosedChannelException;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import javax.net.ssl.SSLException;

/**
 * One GET over a {@link ClientPool}'s WebClient, from asking for a connection to the last body
 * byte, with the limits Vert.x leaves to its users: a total deadline, a time-to-first-byte limit
 * and a cap on decoded bytes. WebClient builds the request (headers, session cookies, credentials)
 * and pipes the body into an {@link ExchangeCodec}; {@link ExchangeInterceptor} shows the exchange
 * the connection and the response headers on the way. A request that fails on a reused connection
 * before any response byte (the server closed it while idle) is sent once more, which the pool then
 * serves on another connection. Confined to the worker's event loop.
 */
public final class Exchange {
  /** Error prefix of a request refused because the pool's wait queue is full. */
  public static final String POOL_BUSY = "pool busy";

  /** What an archived request record shows in place of a credential. */
  static final String REDACTED = "[redacted]";

  private static final String ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8";

  /**
   * The codings the crawler decodes itself: Vert.x's own decompression is off so that the body can
   * be archived exactly as received.
   */
  static final String ACCEPT_ENCODING =
      ContentDecoder.brotliAvailable() ? "gzip, deflate, br" : "gzip, deflate";

  private final Vertx vertx;
  private final ClientPool pool;
  private final URI uri;
  private final String url;
  private final String userAgent;
  private final int maxBytes;
  private final Predicate<String> storedType;
  private final long totalMs;
  private final SiteSessions sessions;
  private final boolean https;
  private final String origin;
  private final int port;

  /** The request target: raw path and query, as the server receives it. */
  private final String target;

  private final Promise<FetchOutcome> promise = Promise.promise();
  private final long start = System.nanoTime();
  private final long deadlineAt;
  private long watchdog = -1;
  private long watchdogAt;
  private long lastActivity;
  private long phaseLimitNanos;
  private String phaseTimeout;
  private HttpClientRequest request;
  private HttpConnection connection;
  private boolean reused;
  private boolean retried;
  private boolean headersReceived;
  private boolean responseEnded;
  private ProxyEndpoint proxy;
  private String proxyTag = ClientPool.DIRECT;
  private boolean finished;
  private long sentAt;
  private long sentNanos;
  private long askedAt;
  private boolean queued;
  private MultiMap sentHeaders;
  private ContentDecoder decoder;
  private HttpClientResponse response;
  private final Buffer raw = Buffer.buffer();

  /** This page's share of the node's body memory, or null when it is not counted (robots.txt). */
  private BodyMemory.Hold memory;

  private long memoryLimit;

  private long decodedCounted;
  private int decodedUpTo;
  private boolean memoryFull;
  private long memoryWaitSince;
  private Handler<Void> drainHandler;

  /**
   * Prepares a GET.
   *
   * @param storedType which media types (lower case, without parameters; "" when the response has
   *     none) are read past the headers; the others end the exchange once the headers are in
   */
  public Exchange(
      Vertx vertx,
      ClientPool pool,
      URI uri,
      String url,
      String userAgent,
      int maxBytes,
      Predicate<String> storedType,
      long totalMs) {
    this(vertx, pool, uri, url, userAgent, maxBytes, storedType, totalMs, SiteSessions.none());
  }

  /**
   * Prepares a GET carrying what the crawl sends the URL's site: its session's cookies, extra
   * headers and credentials.
   */
  public Exchange(
      Vertx vertx,
      ClientPool pool,
      URI uri,
      String url,
      String userAgent,
      int maxBytes,
      Predicate<String> storedType,
      long totalMs,
      SiteSessions sessions) {
    this.sessions = sessions;
    this.vertx = vertx;
    this.pool = pool;
    this.uri = uri;
    this.url = url;
    this.userAgent = userAgent;
    this.maxBytes = maxBytes;
    this.storedType = storedType;
    this.totalMs = totalMs;
    this.https = "https".equalsIgnoreCase(uri.getScheme());
    this.port = uri.getPort() > 0 ? uri.getPort() : https ? 443 : 80;
    this.origin = uri.getScheme().toLowerCase(Locale.ROOT) + "://" + uri.getHost() + ":" + port;
    String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
    this.target = uri.getRawQuery() == null ? path : path + "?" + uri.getRawQuery();
    this.deadlineAt = start + TimeUnit.MILLISECONDS.toNanos(totalMs);
  }

  /**
   * Counts the body against the node's {@link BodyMemory}: reading stops while the node is over
   * budget, and the outcome carries the hold for its result's writer to release.
   */
  Exchange counted(BodyMemory budget) {
    this.memory = budget.hold(vertx.getOrCreateContext());
    this.memoryLimit = budget.limit();
    return this;
  }

  /** Starts the exchange; the future completes exactly once and never fails. */
  public Future<FetchOutcome> start() {
    armWatchdog();
    attempt();
    return promise.future();
  }

  /** Sends the request; whatever is thrown on the way ends the exchange with that reason. */
  private void attempt() {
    try {
      proxy = pool.router().choose(uri.getHost());
      if (proxy != null) {
        // Through a proxy the proxy resolves the name (intake still refuses internal literals).
        send(null);
        return;
      }
      // Every direct fetch, internal networks allowed or not, resolves through the worker's own
      // resolver: Vert.x's, asked at connect, reads its answers through the default socket buffer
      // and loses them when thousands of new hosts start at once.
      String name = bare(uri.getHost());
      pool.guard()
          .target(name, port)
          .onComplete(
              ar -> {
                if (finished) {
                  return;
                }
                try {
                  if (ar.failed()) {
                    fail(new UnknownHostException(name));
                  } else if (!ar.result().allowed()) {
                    refuseInternal(ar.result().address());
                  } else {
                    send(ar.result().server());
                  }
                } catch (RuntimeException e) {
                  leaveQueue();
                  fail(e);
                }
              });
    } catch (RuntimeException e) {
      leaveQueue();
      fail(e);
    }
  }

  /**
   * Ends the exchange without opening a connection: the name resolved to an address the crawl may
   * not reach. Deciding before the connect, on the address the connect would use, is what keeps a
   * link or a redirect from reaching an internal service, or from telling its open ports from
   * closed ones.
   */
  private void refuseInternal(InetAddress address) {
    if (finish()) {
      promise.complete(
          FetchOutcome.refusedInternal(uri.getHost(), address.getHostAddress(), elapsedMs()));
      releaseMemory();
    }
  }

  private static String bare(String host) {
    return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
  }

  /**
   * Sends the request; to {@code server} when the {@link TargetGuard} resolved and checked it, so
   * that the connection goes to exactly the address that was allowed (a second look-up could answer
   * differently: DNS rebinding), while the Host header, TLS SNI and certificate check keep the
   * name.
   */
  private void send(SocketAddress server) {
    var config = pool.config();
    String host = uri.getHost();
    WebClient client = sessions.client(pool.web(https), https, host);
    // Not requestAbs: it would parse the URL again on every request, as a URI template and then
    // as a java.net.URL; the URI is parsed once already.
    HttpRequest<Void> request =
        (server == null
                ? client.request(HttpMethod.GET, port, host, target)
                : client.request(HttpMethod.GET, server, port, host, target))
            .ssl(https)
            .followRedirects(false)
            .connectTimeout(config.connectTimeoutMs())
            .idleTimeout(config.idleReadTimeoutMs())
            .putHeader("User-Agent", userAgent)
            .putHeader("Accept", ACCEPT)
            .putHeader("Accept-Encoding", ACCEPT_ENCODING)
            .as(new ExchangeCodec(this));
    sessions.prepare(request, host);
    if (proxy != null) {
      proxyTag = proxy.tag();
      request.proxy(
          new ProxyOptions()
              .setType(proxy.type() == ProxyEndpoint.Type.HTTP ? ProxyType.HTTP : ProxyType.SOCKS5)
              .setHost(proxy.host())
              .setPort(proxy.port())
              .setUsername(proxy.username())
              .setPassword(proxy.password()));
    }
    askedAt = System.nanoTime();
    queued = true;
    pool.waiting().incrementAndGet();
    request
        .send()
        .onComplete(
            ar -> {
              leaveQueue();
              if (ar.failed()) {
                fail(ar.cause());
              } else {
                responseEnded = true;
                complete(response, raw, false, null);
              }
            });
  }

  private void leaveQueue() {
    if (queued) {
      queued = false;
      pool.waiting().decrementAndGet();
    }
  }

  /**
   * Takes the request the pool has given a connection, just before it is sent; returns false when
   * the exchange already ended (then the request is reset unsent).
   */
  boolean sending(HttpClientRequest assigned) {
    leaveQueue();
    if (finished) {
      return false;
    }
    this.request = assigned;
    connection = assigned.connection();
    reused = pool.assigned(assigned, proxyTag);
    if (!reused) {
      pool.metrics()
          .connectionOpened(pool.worker(), origin, proxyTag, https, System.nanoTime() - askedAt);
    }
    pool.active().incrementAndGet();
    sentNanos = System.nanoTime();
    sentAt = System.currentTimeMillis();
    sentHeaders = sentHeaders(assigned.headers());
    enterPhase(pool.config().firstByteTimeoutMs(), "no response headers within ");
    armWatchdog();
    return true;
  }

  /**
   * Takes the response headers; returns false when the body is not to be read (its media type is
   * not stored), having ended the exchange and stopped the transfer.
   */
  boolean responded(HttpClientResponse response) {
    if (finished) {
      return false;
    }
    this.response = response;
    headersReceived = true;
    enterPhase(pool.config().idleReadTimeoutMs(), "no data for ");
    armWatchdog();
    if (proxy != null) {
      pool.router().succeeded(proxy);
    }
    pool.metrics().firstByte(pool.worker(), origin, proxyTag, System.nanoTime() - sentNanos);
    pool.keepAliveHeader(connection, response.getHeader("Keep-Alive"));
    String type = FetchOutcome.mediaTypeOf(response.getHeader("Content-Type"));
    if (storedType != null && !storedType.test(type == null ? "" : type)) {
      HttpConnection used = connection;
      complete(response, Buffer.buffer(), false, "media type " + type + " is not stored");
      stopTransfer(response, used);
      return false;
    }
    decoder = ContentDecoder.forEncoding(response.getHeader("Content-Encoding"), maxBytes);
    return true;
  }

  /**
   * The request's headers as the server receives them, for the archive's request record; an
   * Authorization value is replaced, so no credential reaches an archive.
   */
  private MultiMap sentHeaders(MultiMap sent) {
    MultiMap headers = HttpHeaders.headers();
    boolean defaultPort = uri.getPort() < 0 || uri.getPort() == (https ? 443 : 80);
    headers.add("Host", defaultPort ? uri.getRawAuthority() : uri.getHost() + ":" + uri.getPort());
    for (var header : sent) {
      if (header.getKey().equalsIgnoreCase("Authorization")) {
        String scheme = header.getValue().split(" ", 2)[0];
        headers.add(header.getKey(), scheme + " " + REDACTED);
      } else {
        headers.add(header.getKey(), header.getValue());
      }
    }
    return headers;
  }

  /** Takes one chunk of the body as received; stops the transfer at the size cap. */
  void chunk(Buffer chunk) {
    if (finished) {
      return;
    }
    lastActivity = System.nanoTime();
    // The raw bytes are capped too, so an incompressible body cannot outgrow the cap.
    int space = maxBytes - raw.length();
    Buffer part = chunk.length() > space ? chunk.slice(0, space) : chunk;
    raw.appendBuffer(part);
    boolean room = memory == null || memory.add(part.length());
    if (room) {
      room = decodePending();
    }
    if (chunk.length() > space || decoder.truncated()) {
      cut();
    } else if (!room) {
      memoryFull = true;
      memoryWaitSince = System.nanoTime();
      memory.await(this::memoryFreed);
    }
  }

  /** Ends the exchange at the size cap and stops the transfer. */
  private void cut() {
    HttpConnection used = connection;
    complete(response, raw, true, null);
    stopTransfer(response, used);
  }

  /**
   * Decodes the raw bytes not decoded yet; returns false when the node is now over its body memory.
   * A compressed chunk of a few kilobytes can inflate to the whole cap, so a chunk that arrives
   * while the node is over budget is kept raw and decoded only once memory is freed.
   */
  private boolean decodePending() {
    if (decoder.identity() || decodedUpTo == raw.length()) {
      return true;
    }
    byte[] bytes = raw.getBytes(decodedUpTo, raw.length());
    decodedUpTo = raw.length();
    decoder.feed(bytes, 0, bytes.length);
    if (memory == null) {
      return true;
    }
    long decoded = decoder.decodedLength();
    long added = decoded - decodedCounted;
    decodedCounted = decoded;
    return memory.add(added);
  }

  /**
   * Whether the body's reader must stop until memory is freed (the codec's write queue is full).
   */
  boolean memoryFull() {
    return memoryFull;
  }

  /** Called by the codec's pipe, which resumes the response with it once memory is freed. */
  void onMemoryFreed(Handler<Void> handler) {
    drainHandler = handler;
  }

  private void memoryFreed() {
    if (finished || !memoryFull) {
      return;
    }
    boolean room = decodePending();
    if (decoder.truncated()) {
      cut();
      return;
    }
    if (!room) {
      memory.await(this::memoryFreed);
      return;
    }
    memoryFull = false;
    // The wait was the node's, not the server's: the silence limit counts from now.
    lastActivity = System.nanoTime();
    memory.wakeNext();
    Handler<Void> resume = drainHandler;
    drainHandler = null;
    if (resume != null) {
      resume.handle(null);
    }
  }

  /**
   * Stops a transfer: on HTTP/1.1 this closes the connection, on HTTP/2 only the stream. Takes the
   * connection as it was before {@link #complete} released it, so the close is counted as such.
   */
  private void stopTransfer(HttpClientResponse response, HttpConnection used) {
    if (response.version() != HttpVersion.HTTP_2) {
      pool.failed(used);
    }
    response.request().reset();
  }

  private void complete(HttpClientResponse response, Buffer raw, boolean truncated, String skip) {
    if (finished) {
      return;
    }
    String ip =
        proxy == null && connection != null ? connection.remoteAddress().hostAddress() : null;
    Buffer body = raw;
    String decodeError = null;
    if (decoder != null && !decoder.identity()) {
      // What waited for memory is decoded now: the response is over.
      decodePending();
      if (!truncated) {
        // A body cut at the cap ends mid-stream by design: not an error of the coding.
        decoder.finish();
      }
      body = Buffer.buffer(decoder.decoded());
      if (!decoder.supported() || decoder.failed()) {
        decodeError = decoder.error();
      }
    }
    finish();
    if (memory != null && decoder != null && !decoder.identity()) {
      memory.add(body.length() - decodedCounted);
      decodedCounted = body.length();
    }
    String reason = response.statusMessage();
    if (reason == null || reason.isEmpty()) {
      reason = HttpResponseStatus.valueOf(response.statusCode()).reasonPhrase();
    }
    promise.complete(
        new FetchOutcome(
            response.statusCode(),
            null,
            null,
            response.version() == HttpVersion.HTTP_2 ? "HTTP/2" : "HTTP/1.1",
            body,
            truncated,
            elapsedMs(),
            response.getHeader("Content-Type"),
            response.getHeader("Location"),
            response.getHeader("Retry-After"),
            new Capture(
                sentAt,
                ip,
                target,
                sentHeaders,
                reason,
                response.headers(),
                raw,
                decodeError,
                skip),
            memory));
  }

  private void fail(Throwable cause) {
    if (finished) {
      return;
    }
    if (staleRetryAllowed(cause)) {
      retried = true;
      reused = false;
      releaseConnection();
      pool.metrics().staleRetry(pool.worker(), origin, proxyTag);
      attempt();
      return;
    }
    if (finish()) {
      promise.complete(describe(cause));
      releaseMemory();
    }
  }

  /** A reused connection that broke before any response: the server closed it while idle. */
  private boolean staleRetryAllowed(Throwable cause) {
    return reused
        && !retried
        && pool.config().retryStaleConnections()
        && !headersReceived
        && !(cause instanceof TimeoutException)
        && (cause instanceof ClosedChannelException
            || cause instanceof java.io.IOException
            || String.valueOf(cause.getMessage()).toLowerCase(Locale.ROOT).contains("closed"));
  }

  /**
   * One timer per exchange watches every limit: the total deadline, and the limit of the current
   * phase (first byte, then silence between body chunks). Chunks only note the time; the timer,
   * when it fires early, re-arms for what is left.
   */
  private void armWatchdog() {
    long next = deadlineAt;
    if (phaseLimitNanos > 0) {
      next = Math.min(next, lastActivity + phaseLimitNanos);
    }
    if (watchdog >= 0) {
      if (watchdogAt <= next) {
        return;
      }
      vertx.cancelTimer(watchdog);
    }
    long delayMs = Math.max(1, TimeUnit.NANOSECONDS.toMillis(next - System.nanoTime()));
    watchdogAt = next;
    watchdog = vertx.setTimer(delayMs, id -> onWatchdog());
  }

  private void enterPhase(int limitMs, String timeoutMessage) {
    lastActivity = System.nanoTime();
    phaseLimitNanos = TimeUnit.MILLISECONDS.toNanos(limitMs);
    phaseTimeout = timeoutMessage + limitMs + " ms";
  }

  private void onWatchdog() {
    watchdog = -1;
    if (finished) {
      return;
    }
    long now = System.nanoTime();
    if (now >= deadlineAt) {
      deadline();
    } else if (!memoryFull && phaseLimitNanos > 0 && now - lastActivity >= phaseLimitNanos) {
      timeout(phaseTimeout);
    } else {
      armWatchdog();
    }
  }

  private void timeout(String why) {
    if (finish()) {
      if (request != null) {
        request.reset(0, new TimeoutException(why));
      }
      promise.complete(FetchOutcome.failure(FetchFailure.TIMEOUT, "timeout: " + why, elapsedMs()));
      releaseMemory();
    }
  }

  private void deadline() {
    if (finish()) {
      if (request != null) {
        request.reset(0, new TimeoutException("deadline"));
      }
      promise.complete(
          FetchOutcome.failure(
              FetchFailure.TIMEOUT,
              "timeout: no complete response within " + totalMs + " ms",
              elapsedMs()));
      releaseMemory();
    }
  }

  private boolean finish() {
    if (finished) {
      return false;
    }
    finished = true;
    if (watchdog >= 0) {
      vertx.cancelTimer(watchdog);
      watchdog = -1;
    }
    releaseConnection();
    if (decoder != null) {
      // Frees native brotli memory and inflaters on every path, timeouts and resets included.
      decoder.close();
    }
    return true;
  }

  /** Gives back the body memory of an exchange that ends without a body to write. */
  private void releaseMemory() {
    if (memory != null) {
      memory.release();
    }
  }

  /**
   * Returns what went wrong with the proxy itself, or null when the failure lies beyond it. Netty's
   * messages name the proxy's address and the target, never the credentials.
   */
  private static String proxyFailure(Throwable cause) {
    for (Throwable t = cause; t != null; t = t.getCause()) {
      String message = String.valueOf(t.getMessage());
      String lower = message.toLowerCase(Locale.ROOT);
      if (t.getClass().getSimpleName().contains("ProxyConnectException")) {
        if (lower.contains("status: 407")
            || lower.contains("status: 401")
            || lower.contains("auth")) {
          return "authentication failed (check the proxy's user and password)";
        }
        return "refused the tunnel: " + message.replaceAll("^\\S+, \\S+, ", "");
      }
      if (t instanceof ConnectException) {
        return "cannot connect: " + message;
      }
    }
    return null;
  }

  private void releaseConnection() {
    if (connection != null) {
      pool.active().decrementAndGet();
      pool.released(connection, responseEnded);
      connection = null;
    }
  }

  private long elapsedMs() {
    return (System.nanoTime() - start) / 1_000_000;
  }

  private FetchOutcome describe(Throwable cause) {
    long ms = elapsedMs();
    String host = uri.getHost();
    if (memoryFull) {
      return FetchOutcome.failure(
          FetchFailure.TIMEOUT,
          "timeout: waited "
              + (System.nanoTime() - memoryWaitSince) / 1_000_000
              + " ms for body memory (the node's "
              + (memoryLimit >> 20)
              + " MiB for bodies in flight was in use)",
          ms);
    }
    if (proxy != null) {
      String proxyFailure = proxyFailure(cause);
      if (proxyFailure != null) {
        pool.router().failed(proxy, proxyFailure);
        return FetchOutcome.failure(
            FetchFailure.PROXY, "proxy " + proxy.label() + ": " + proxyFailure, ms);
      }
    }
    if (host != null && pool.wasRefusedAsInternal(host)) {
      return FetchOutcome.refusedInternal(host, null, ms);
    }
    String message =
        cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
    if (cause instanceof UnknownHostException) {
      return FetchOutcome.failure(FetchFailure.DNS, "dns: cannot resolve " + host, ms);
    }
    if (cause instanceof ConnectException) {
      return FetchOutcome.failure(FetchFailure.CONNECT, "connect: " + message, ms);
    }
    if (cause instanceof SSLException) {
      return FetchOutcome.failure(FetchFailure.TLS, "tls: " + message, ms);
    }
    if (cause instanceof TimeoutException || message.toLowerCase(Locale.ROOT).contains("timeout")) {
      return FetchOutcome.failure(FetchFailure.TIMEOUT, "timeout: " + message, ms);
    }
    if (cause instanceof ClosedChannelException) {
      return FetchOutcome.failure(FetchFailure.CLOSED, "connection closed by peer", ms);
    }
    if (cause instanceof ConnectionPoolTooBusyException) {
      return FetchOutcome.failure(FetchFailure.POOL_BUSY, POOL_BUSY + ": " + message, ms);
    }
    return FetchOutcome.failure(
        FetchFailure.OTHER, cause.getClass().getSimpleName() + ": " + message, ms);
  }
}
