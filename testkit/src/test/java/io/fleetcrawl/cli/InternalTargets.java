package io.fleetcrawl.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs inside a network namespace of {@link RealCanariesIT}'s own: canaries on the addresses an
 * attacker aims at (the cloud metadata address 169.254.169.254, 10.0.0.1, [::1] and 127.0.0.1, each
 * on port 80), counting every TCP connection they accept, and a site on {@code SITE:80} whose every
 * way out leads to one of them: links in every spelling, 301/302/307/308 redirects, a meta refresh,
 * a robots.txt that redirects inward and sitemaps that list the canaries. The counts are rewritten
 * to a file after every connection, so the test outside the namespace reads them.
 *
 * <p>Arguments: the counts file, the site's address, a second site address whose robots.txt
 * redirects inward.
 */
public final class InternalTargets {
  static final List<String> CANARIES = List.of("169.254.169.254", "10.0.0.1", "::1", "127.0.0.1");

  /** Every spelling of an internal target a page can carry: literal, numeric, mapped, short. */
  static final List<String> TARGETS =
      List.of(
          "http://169.254.169.254/latest/meta-data/",
          "http://2852039166/decimal",
          "http://0xa9fea9fe/hex",
          "http://0251.0376.0251.0376/octal",
          "http://169.254.43518/short",
          "http://169.254.169.254./trailing-dot",
          "http://[::ffff:169.254.169.254]/mapped",
          "http://[::ffff:a9fe:a9fe]/mapped-hex",
          "http://10.0.0.1/",
          "http://10.1/short",
          "http://167772161/decimal10",
          "http://[::1]/",
          "http://[0:0:0:0:0:0:0:1]/long",
          "http://127.0.0.1/",
          "http://127.1/short",
          "http://0x7f000001/hex",
          "http://localhost/");

  private InternalTargets() {}

  public static void main(String[] args) throws Exception {
    Path counts = Path.of(args[0]);
    String site = args[1];
    String robotsRedirect = args[2];
    Map<String, AtomicInteger> accepted = new LinkedHashMap<>();
    for (String address : CANARIES) {
      AtomicInteger n = new AtomicInteger();
      accepted.put(address, n);
      ServerSocket socket = new ServerSocket();
      socket.bind(new InetSocketAddress(InetAddress.getByName(address), 80));
      Thread t =
          new Thread(
              () -> {
                while (true) {
                  try (Socket s = socket.accept()) {
                    n.incrementAndGet();
                    write(counts, accepted);
                  } catch (IOException e) {
                    return;
                  }
                }
              },
              "canary-" + address);
      t.setDaemon(true);
      t.start();
    }
    write(counts, accepted);
    for (String address : List.of(site, robotsRedirect)) {
      HttpServer server =
          HttpServer.create(new InetSocketAddress(InetAddress.getByName(address), 80), 64);
      server.createContext("/", exchange -> serve(exchange, site, robotsRedirect));
      server.start();
    }
    System.out.println("ready");
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE);
  }

  private static void serve(HttpExchange exchange, String site, String robotsRedirect)
      throws IOException {
    String path = exchange.getRequestURI().getPath();
    String host = exchange.getRequestHeaders().getFirst("Host");
    int i =
        path.startsWith("/go/") ? Integer.parseInt(path.substring(path.lastIndexOf('/') + 1)) : -1;
    if (path.equals("/robots.txt")) {
      if (host != null && host.startsWith(robotsRedirect)) {
        redirect(exchange, 301, "http://169.254.169.254/robots.txt");
        return;
      }
      StringBuilder robots = new StringBuilder("User-agent: *\nAllow: /\n");
      robots.append("Sitemap: http://169.254.169.254/sitemap.xml\n");
      robots.append("Sitemap: http://").append(site).append("/sitemap.txt\n");
      send(exchange, 200, "text/plain", robots.toString());
      return;
    }
    if (path.equals("/sitemap.txt")) {
      send(exchange, 200, "text/plain", String.join("\n", TARGETS) + "\n");
      return;
    }
    for (int code : new int[] {301, 302, 307, 308}) {
      if (path.startsWith("/go/" + code + "/")) {
        redirect(exchange, code, TARGETS.get(i));
        return;
      }
    }
    if (path.startsWith("/refresh/")) {
      send(
          exchange,
          200,
          "text/html",
          "<html><head><meta http-equiv=\"refresh\" content=\"0; url="
              + TARGETS.get(Integer.parseInt(path.substring(9)))
              + "\"></head></html>");
      return;
    }
    if (!path.equals("/")) {
      send(exchange, 404, "text/plain", "no");
      return;
    }
    StringBuilder html = new StringBuilder("<html><body>\n");
    for (int t = 0; t < TARGETS.size(); t++) {
      html.append("<a href=\"").append(TARGETS.get(t)).append("\">link</a>\n");
      for (int code : new int[] {301, 302, 307, 308}) {
        html.append("<a href=\"/go/").append(code).append('/').append(t).append("\">r</a>\n");
      }
      html.append("<a href=\"/refresh/").append(t).append("\">m</a>\n");
    }
    html.append("<a href=\"http://").append(robotsRedirect).append("/page\">r</a>\n");
    send(exchange, 200, "text/html", html + "</body></html>");
  }

  private static void redirect(HttpExchange exchange, int code, String location)
      throws IOException {
    exchange.getResponseHeaders().set("Location", location);
    send(exchange, code, "text/plain", "moved");
  }

  private static void send(HttpExchange exchange, int code, String type, String body)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", type);
    exchange.sendResponseHeaders(code, bytes.length);
    exchange.getResponseBody().write(bytes);
    exchange.close();
  }

  private static synchronized void write(Path counts, Map<String, AtomicInteger> accepted)
      throws IOException {
    StringBuilder text = new StringBuilder();
    accepted.forEach((a, n) -> text.append(a).append(' ').append(n.get()).append('\n'));
    Path temp = counts.resolveSibling(counts.getFileName() + ".tmp");
    Files.writeString(temp, text);
    Files.move(temp, counts, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
