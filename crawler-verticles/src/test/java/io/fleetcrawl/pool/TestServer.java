package io.fleetcrawl.pool;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.PemKeyCertOptions;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A real Vert.x HTTP server on loopback that records what the client did, from the server's side:
 * every connection, and per connection the requests, Host headers and timestamps.
 */
final class TestServer implements AutoCloseable {
  /** What the server saw on one connection. */
  static final class Seen {
    final AtomicInteger requests = new AtomicInteger();
    final Set<String> hosts = ConcurrentHashMap.newKeySet();
    final List<Long> times = new CopyOnWriteArrayList<>();
    volatile String sni;
  }

  final Map<HttpConnection, Seen> connections = new ConcurrentHashMap<>();
  final HttpServer server;

  private TestServer(HttpServer server) {
    this.server = server;
  }

  /**
   * Starts a server.
   *
   * @param configure adjusts the options (TLS, ALPN, idle timeout) before listening
   * @param handler answers a request; null for a 200 with a small HTML body
   */
  static TestServer start(
      Vertx vertx, Consumer<HttpServerOptions> configure, Consumer<HttpServerRequest> handler)
      throws Exception {
    HttpServerOptions options = new HttpServerOptions().setHost("127.0.0.1").setPort(0);
    configure.accept(options);
    HttpServer server = vertx.createHttpServer(options);
    TestServer test = new TestServer(server);
    server.connectionHandler(
        c -> {
          Seen seen = new Seen();
          seen.sni = c.indicatedServerName();
          test.connections.put(c, seen);
        });
    server.requestHandler(
        req -> {
          Seen seen = test.connections.computeIfAbsent(req.connection(), c -> new Seen());
          seen.requests.incrementAndGet();
          seen.hosts.add(req.authority().host());
          seen.times.add(System.nanoTime());
          if (handler != null) {
            handler.accept(req);
          } else {
            req.response()
                .putHeader("Content-Type", "text/html")
                .end("<html><body>ok</body></html>");
          }
        });
    server.listen().await(10, TimeUnit.SECONDS);
    return test;
  }

  /** TLS with ALPN (h2 and HTTP/1.1) and the loopback certificate. */
  static Consumer<HttpServerOptions> tls(boolean alpn) {
    return o ->
        o.setSsl(true)
            .setUseAlpn(alpn)
            .setKeyCertOptions(
                new PemKeyCertOptions()
                    .setCertValue(resource("tls/loopback-cert.pem"))
                    .setKeyValue(resource("tls/loopback-key.pem")));
  }

  int port() {
    return server.actualPort();
  }

  int connectionCount() {
    return connections.size();
  }

  int requestCount() {
    return connections.values().stream().mapToInt(s -> s.requests.get()).sum();
  }

  static Buffer resource(String name) {
    try (InputStream in = TestServer.class.getClassLoader().getResourceAsStream(name)) {
      return Buffer.buffer(in.readAllBytes());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Writes a classpath resource to a file, for --tls-trust-pem. */
  static Path resourceFile(String name, Path dir) throws IOException {
    Path file = dir.resolve(Path.of(name).getFileName());
    Files.write(file, resource(name).getBytes());
    return file;
  }

  @Override
  public void close() throws Exception {
    server.close().await(10, TimeUnit.SECONDS);
  }
}
