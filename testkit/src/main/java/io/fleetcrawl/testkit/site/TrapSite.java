package io.fleetcrawl.testkit.site;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.time.YearMonth;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A host made of spider traps, the kinds that keep a naive crawler busy forever. Every page is
 * generated, so none of them ends by itself; each request is counted by the trap it fell into.
 *
 * <ul>
 *   <li>{@code /calendar/Y/M/}: a month links the months before and after it and its days, without
 *       end in either direction.
 *   <li>{@code /nest/}: every page links the relative {@code a/}, so {@code /nest/a/a/a/...}.
 *   <li>{@code /branch/}: every page links {@code a/} and {@code b/} below itself.
 *   <li>{@code /session/}: ten pages, each linked with a fresh {@code ;jsessionid}, {@code
 *       PHPSESSID} and {@code utm_source} on every page view.
 *   <li>{@code /search?q=trap}: every result links itself with one more query parameter.
 *   <li>{@code /grow/x}: every page links a path segment 50 characters longer than its own.
 *   <li>{@code /big}: one page of 200,000 links to leaf pages {@code /item/N}.
 * </ul>
 */
public final class TrapSite {
  /** Links on the big page. */
  public static final int BIG_PAGE_LINKS = 200_000;

  private static final YearMonth START = YearMonth.of(2026, 12);
  private static final String GROW_STEP = "-" + "g".repeat(49);

  private final Map<String, AtomicLong> requests = new ConcurrentHashMap<>();
  private final AtomicLong total = new AtomicLong();
  private final HttpServer server;
  private final String origin;
  private volatile String bigPage;

  private TrapSite(HttpServer server, String host) {
    this.server = server;
    this.origin = "http://" + host + ":" + server.actualPort();
  }

  /** Starts the site on {@code host} (a loopback address) and an ephemeral port. */
  public static Future<TrapSite> start(Vertx vertx, String host) {
    TrapSite[] site = new TrapSite[1];
    return vertx
        .createHttpServer()
        .requestHandler(r -> site[0].handle(r))
        .listen(0, host)
        .map(
            s -> {
              site[0] = new TrapSite(s, host);
              return site[0];
            });
  }

  /** Returns the site's home page, the seed. */
  public String seed() {
    return origin + "/";
  }

  /** Returns the requests each trap received ("calendar", "nest", "item", ...), robots.txt too. */
  public Map<String, Long> requestsByTrap() {
    Map<String, Long> copy = new java.util.TreeMap<>();
    requests.forEach((k, v) -> copy.put(k, v.get()));
    return copy;
  }

  /** Returns every request the site received. */
  public long totalRequests() {
    return total.get();
  }

  /** Stops the server. */
  public Future<Void> close() {
    return server.close();
  }

  private void handle(HttpServerRequest req) {
    String path = req.path();
    String trap = path.equals("/") ? "home" : path.split("/")[1].split(";")[0];
    total.incrementAndGet();
    requests.computeIfAbsent(trap, k -> new AtomicLong()).incrementAndGet();
    if (path.equals("/robots.txt")) {
      req.response().putHeader("Content-Type", "text/plain").end("User-agent: *\nAllow: /\n");
      return;
    }
    StringBuilder html = new StringBuilder("<!doctype html><html><body>");
    switch (trap) {
      case "home" -> {
        for (String entry :
            new String[] {
              "/calendar/" + START.getYear() + "/" + START.getMonthValue() + "/",
              "/nest/",
              "/branch/",
              "/session/",
              "/search?q=trap",
              "/grow/x",
              "/big"
            }) {
          link(html, entry);
        }
      }
      case "calendar" -> calendar(html, path);
      case "nest" -> link(html, "a/");
      case "branch" -> {
        link(html, "a/");
        link(html, "b/");
      }
      case "session" -> {
        for (int i = 0; i < 10; i++) {
          String id = UUID.randomUUID().toString().replace("-", "");
          link(
              html,
              "/session/page/"
                  + i
                  + ";jsessionid="
                  + id
                  + "?PHPSESSID="
                  + id
                  + "&utm_source=trap&n="
                  + i);
        }
      }
      case "search" -> {
        String query = req.query() == null ? "q=trap" : req.query();
        int params = query.split("&").length;
        link(html, "/search?" + query + "&f" + params + "=1");
      }
      case "grow" -> link(html, path + GROW_STEP);
      case "big" -> {
        req.response().putHeader("Content-Type", "text/html").end(bigPage());
        return;
      }
      case "item" -> html.append("<p>a leaf</p>");
      default -> {
        req.response().setStatusCode(404).end();
        return;
      }
    }
    req.response()
        .putHeader("Content-Type", "text/html; charset=utf-8")
        .end(html.append("</body></html>").toString());
  }

  private static void calendar(StringBuilder html, String path) {
    String[] parts = path.split("/");
    // /calendar/Y/M/ (a month) or /calendar/Y/M/D (a day, which links its month back).
    YearMonth month;
    try {
      month = YearMonth.of(Integer.parseInt(parts[2]), Integer.parseInt(parts[3]));
    } catch (RuntimeException e) {
      month = START;
    }
    if (parts.length > 4) {
      link(html, monthPath(month));
      return;
    }
    link(html, monthPath(month.minusMonths(1)));
    link(html, monthPath(month.plusMonths(1)));
    for (int day = 1; day <= month.lengthOfMonth(); day++) {
      link(html, monthPath(month) + day);
    }
  }

  private static String monthPath(YearMonth month) {
    return "/calendar/" + month.getYear() + "/" + month.getMonthValue() + "/";
  }

  private String bigPage() {
    String page = bigPage;
    if (page == null) {
      StringBuilder html = new StringBuilder(BIG_PAGE_LINKS * 32);
      html.append("<!doctype html><html><body>");
      for (int i = 0; i < BIG_PAGE_LINKS; i++) {
        html.append("<a href=\"/item/").append(i).append("\">").append(i).append("</a>\n");
      }
      page = html.append("</body></html>").toString();
      bigPage = page;
    }
    return page;
  }

  private static void link(StringBuilder html, String href) {
    html.append("<a href=\"").append(href).append("\">").append(href).append("</a>\n");
  }
}
