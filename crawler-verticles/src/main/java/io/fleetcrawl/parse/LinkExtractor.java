package io.fleetcrawl.parse;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.jsoup.parser.Parser;
import org.jsoup.parser.StreamParser;

/** Finds the links of an HTML page with jsoup. CPU-bound: callers run it off the event loop. */
public final class LinkExtractor {
  private LinkExtractor() {}

  /**
   * Returns the absolute targets of the page's {@code a[href]} elements, resolved against the
   * page's {@code <base href>} when it has one.
   *
   * @param charset the Content-Type's charset, or null to let jsoup detect it (BOM, meta)
   * @param honourNofollow skip {@code rel=nofollow} links, and all links of a page whose robots
   *     meta tag says nofollow
   */
  public static List<String> extract(
      byte[] html, String charset, String pageUrl, boolean honourNofollow) {
    return extract(html, charset, pageUrl, honourNofollow, Integer.MAX_VALUE, "fleetcrawl").urls();
  }

  /**
   * What a page points at.
   *
   * @param urls its first links in document order
   * @param dropped how many links the page had beyond them
   * @param refresh the absolute target of its {@code <meta http-equiv="refresh">}, or null
   * @param canonical the absolute URL of its {@code <link rel="canonical">}, or null
   * @param robots the directives of its robots meta tags
   */
  public record Links(
      List<String> urls, int dropped, String refresh, String canonical, RobotsDirectives robots) {}

  /**
   * Returns the page's first {@code maxLinks} links, as {@link #extract(byte[], String, String,
   * boolean)} finds them, how many more it had (a page of 200,000 links, a generated index or a
   * trap, costs no more than its cap downstream), and what else it points at: a meta refresh, a
   * canonical link and the robots meta directives ({@code name="robots"} or the crawler's own agent
   * name).
   *
   * @param agent the robots.txt agent name, lower case
   */
  public static Links extract(
      byte[] html,
      String charset,
      String pageUrl,
      boolean honourNofollow,
      int maxLinks,
      String agent) {
    Collector found = new Collector(honourNofollow, maxLinks, agent);
    if (html.length > STREAM_BYTES) {
      stream(html, charset, pageUrl, found);
    } else {
      Document document = parse(html, charset, pageUrl);
      found.base(document.baseUri());
      // One walk over the document for links, meta tags and link elements: each select() is a
      // walk of its own over the whole document.
      for (Element e : document.select("a[href], meta, link[rel][href]")) {
        found.take(e);
      }
    }
    return found.links();
  }

  /**
   * Pages above this many bytes are read as a stream, each element dropped once looked at: a full
   * tree of a 10 MiB page of links takes well over 100 MiB of heap, and a node parses several pages
   * at once.
   */
  public static final int STREAM_BYTES = 1 << 20;

  /**
   * Reads a large page element by element, keeping in the tree only what is still open, its long
   * runs of plain text cut short ({@link InertRuns}). The charset is the Content-Type's, else a
   * byte-order mark's, else UTF-8 (jsoup's default; a large page's {@code <meta charset>} is not
   * looked for).
   */
  private static void stream(byte[] html, String charset, String pageUrl, Collector found) {
    Charset decoding = StandardCharsets.UTF_8;
    int skip = 0;
    if (charset != null) {
      try {
        decoding = Charset.forName(charset);
      } catch (IllegalArgumentException e) {
        // Unknown: UTF-8, as below.
      }
    } else if (html.length >= 2 && (html[0] & 0xff) == 0xfe && (html[1] & 0xff) == 0xff) {
      decoding = StandardCharsets.UTF_16BE;
      skip = 2;
    } else if (html.length >= 2 && (html[0] & 0xff) == 0xff && (html[1] & 0xff) == 0xfe) {
      decoding = StandardCharsets.UTF_16LE;
      skip = 2;
    } else if (html.length >= 3
        && (html[0] & 0xff) == 0xef
        && (html[1] & 0xff) == 0xbb
        && (html[2] & 0xff) == 0xbf) {
      skip = 3;
    }
    Reader reader =
        new InertRuns(
            new InputStreamReader(
                new ByteArrayInputStream(html, skip, html.length - skip), decoding));
    try (StreamParser streamer = new StreamParser(Parser.htmlParser())) {
      streamer.parse(reader, pageUrl);
      Document document = streamer.document();
      Iterator<Element> elements = streamer.iterator();
      while (elements.hasNext()) {
        Element e = elements.next();
        String name = e.normalName();
        if ((name.equals("a") && e.hasAttr("href"))
            || name.equals("meta")
            || (name.equals("link") && e.hasAttr("rel") && e.hasAttr("href"))) {
          // A <base href> read so far changes what relative links resolve against.
          found.base(document.baseUri());
          found.take(e);
        }
        e.remove();
      }
    }
  }

  /** What a walk over a page's elements has found so far. */
  private static final class Collector {
    private final boolean honourNofollow;
    private final int maxLinks;
    private final String agent;
    private final List<String> links = new ArrayList<>();
    private int dropped;
    private RobotsDirectives robots = RobotsDirectives.NONE;
    private String refresh;
    private String canonical;
    private String baseUri;
    private URI base;

    Collector(boolean honourNofollow, int maxLinks, String agent) {
      this.honourNofollow = honourNofollow;
      this.maxLinks = maxLinks;
      this.agent = agent;
    }

    /** Sets the base that relative links resolve against: the document's, or its base href. */
    void base(String documentBase) {
      if (!documentBase.equals(baseUri)) {
        baseUri = documentBase;
        base = parseBase(documentBase);
      }
    }

    /** Takes one {@code a[href]}, {@code meta} or {@code link[rel][href]} element. */
    void take(Element e) {
      switch (e.normalName()) {
        case "a" -> {
          if (honourNofollow && hasToken(e.attr("rel"), "nofollow")) {
            return;
          }
          if (links.size() >= maxLinks) {
            dropped++;
            return;
          }
          String target = resolve(base, e);
          if (!target.isEmpty()) {
            links.add(target);
          }
        }
        case "meta" -> {
          String name = e.attr("name").trim().toLowerCase(Locale.ROOT);
          if (name.equals("robots") || (!name.isEmpty() && name.equals(agent))) {
            robots = robots.and(RobotsDirectives.parse(e.attr("content")));
          } else if (refresh == null && e.attr("http-equiv").trim().equalsIgnoreCase("refresh")) {
            refresh = refresh(e, base);
          }
        }
        default -> {
          if (canonical == null && hasToken(e.attr("rel"), "canonical")) {
            String url = e.absUrl("href");
            canonical = url.isEmpty() ? null : url;
          }
        }
      }
    }

    Links links() {
      if (honourNofollow && robots.nofollow()) {
        return new Links(List.of(), 0, refresh, canonical, robots);
      }
      return new Links(links, dropped, refresh, canonical, robots);
    }
  }

  /**
   * Returns the target of the first {@code rel="canonical"} link in {@code Link} header values
   * ({@code <https://example.com/a>; rel="canonical"}), as written (relative or absolute), or null.
   * Read by hand in one pass: a header is a stranger's text, and a backtracking pattern over it
   * could be made to take seconds.
   */
  public static String canonicalOfLinkHeaders(List<String> values) {
    for (String value : values) {
      int at = 0;
      while (at < value.length()) {
        int open = value.indexOf('<', at);
        int close = open < 0 ? -1 : value.indexOf('>', open + 1);
        if (close < 0) {
          break;
        }
        int next = value.indexOf('<', close + 1);
        String params = value.substring(close + 1, next < 0 ? value.length() : next);
        String target = value.substring(open + 1, close).strip();
        if (!target.isEmpty() && relIsCanonical(params)) {
          return target;
        }
        at = close + 1;
      }
    }
    return null;
  }

  /** Whether a link's parameters ({@code ; rel="canonical"; type=...}) name rel canonical. */
  private static boolean relIsCanonical(String params) {
    for (String param : params.split(";")) {
      int eq = param.indexOf('=');
      if (eq > 0 && param.substring(0, eq).strip().equalsIgnoreCase("rel")) {
        String rel = param.substring(eq + 1).replace("\"", " ").replace(",", " ");
        return hasToken(rel, "canonical");
      }
    }
    return false;
  }

  /**
   * Returns the URL of a refresh's content ({@code 0; url=/next}, {@code 5;URL='x'}), or null when
   * it names none (a plain reload). Read by hand for the same reason as the Link header.
   */
  private static String refreshTarget(String content) {
    String c = content.strip();
    int i = 0;
    while (i < c.length() && (Character.isDigit(c.charAt(i)) || c.charAt(i) == '.')) {
      i++;
    }
    while (i < c.length() && Character.isWhitespace(c.charAt(i))) {
      i++;
    }
    if (i < c.length() && (c.charAt(i) == ';' || c.charAt(i) == ',')) {
      i++;
    }
    while (i < c.length() && Character.isWhitespace(c.charAt(i))) {
      i++;
    }
    if (!c.regionMatches(true, i, "url", 0, 3)) {
      return null;
    }
    i += 3;
    while (i < c.length() && Character.isWhitespace(c.charAt(i))) {
      i++;
    }
    if (i >= c.length() || c.charAt(i) != '=') {
      return null;
    }
    return c.substring(i + 1).strip();
  }

  private static String refresh(Element meta, URI base) {
    String target = refreshTarget(meta.attr("content"));
    if (target == null) {
      return null;
    }
    if (target.length() >= 2
        && (target.charAt(0) == '\'' || target.charAt(0) == '"')
        && target.charAt(target.length() - 1) == target.charAt(0)) {
      target = target.substring(1, target.length() - 1).trim();
    }
    if (target.isEmpty()) {
      return null;
    }
    String resolved = resolveHref(base, meta, target);
    return resolved.isEmpty() ? null : resolved;
  }

  /**
   * Parses the page. With a charset from the Content-Type the bytes are decoded directly, which
   * spares jsoup's sniffing pass over the stream; without one jsoup detects it (BOM, meta).
   */
  private static Document parse(byte[] html, String charset, String pageUrl) {
    if (charset != null) {
      try {
        return Jsoup.parse(new String(html, Charset.forName(charset)), pageUrl);
      } catch (IllegalArgumentException e) {
        // An unknown or unsupported charset name: let jsoup detect the encoding instead.
      }
    }
    try {
      return Jsoup.parse(new ByteArrayInputStream(html), null, pageUrl);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Resolves an href against the page's base with {@link URI#resolve}, which costs a fraction of
   * jsoup's regex-based {@code absUrl}; hrefs that are not plain URI references (spaces, non-ASCII,
   * empty, query-only) go through {@code absUrl}, and intake's normaliser escapes what they keep.
   */
  private static String resolve(URI base, Element a) {
    return resolveHref(base, a, a.attr("href").strip());
  }

  private static String resolveHref(URI base, Element element, String href) {
    // java.net.URI follows RFC 2396 for query-only references ("?q"), which RFC 3986 changed.
    if (base != null && !href.isEmpty() && href.charAt(0) != '?' && isPlainReference(href)) {
      try {
        return base.resolve(href).toString();
      } catch (IllegalArgumentException e) {
        // Fall through to jsoup's lenient resolution.
      }
    }
    if (element.hasAttr("href")) {
      return element.absUrl("href");
    }
    // Not an href (a refresh's URL): jsoup's lenient resolution, against the page's base.
    return org.jsoup.internal.StringUtil.resolve(element.baseUri(), href);
  }

  private static boolean isPlainReference(String href) {
    for (int i = 0; i < href.length(); i++) {
      char c = href.charAt(i);
      if (c <= ' ' || c >= 0x7f || c == '\\' || c == '"' || c == '<' || c == '>' || c == '{'
          || c == '}' || c == '|' || c == '^' || c == '`') {
        return false;
      }
    }
    return true;
  }

  private static URI parseBase(String baseUri) {
    try {
      URI base = new URI(baseUri);
      return base.isAbsolute() && base.getRawAuthority() != null ? base : null;
    } catch (URISyntaxException e) {
      return null;
    }
  }

  private static boolean hasToken(String list, String token) {
    for (String t : list.toLowerCase(Locale.ROOT).split("[\\s,]+")) {
      if (t.equals(token)) {
        return true;
      }
    }
    return false;
  }
}
