package io.fleetcrawl.parse;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.Charset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;

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
    return extract(html, charset, pageUrl, honourNofollow, Integer.MAX_VALUE).urls();
  }

  /**
   * A page's links, at most as many as asked for.
   *
   * @param urls the first links in document order
   * @param dropped how many links the page had beyond them
   */
  public record Links(List<String> urls, int dropped) {}

  /**
   * Returns the page's first {@code maxLinks} links, as {@link #extract(byte[], String, String,
   * boolean)} finds them, and how many more it had: a page of 200,000 links (a generated index, a
   * trap) costs no more than its cap downstream.
   */
  public static Links extract(
      byte[] html, String charset, String pageUrl, boolean honourNofollow, int maxLinks) {
    Document document = parse(html, charset, pageUrl);
    if (honourNofollow && metaNofollow(document)) {
      return new Links(List.of(), 0);
    }
    List<String> links = new ArrayList<>();
    int dropped = 0;
    URI base = parseBase(document.baseUri());
    for (Element a : document.select("a[href]")) {
      if (honourNofollow && hasToken(a.attr("rel"), "nofollow")) {
        continue;
      }
      if (links.size() >= maxLinks) {
        dropped++;
        continue;
      }
      String target = resolve(base, a);
      if (!target.isEmpty()) {
        links.add(target);
      }
    }
    return new Links(links, dropped);
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
    String href = a.attr("href").strip();
    // java.net.URI follows RFC 2396 for query-only references ("?q"), which RFC 3986 changed.
    if (base != null && !href.isEmpty() && href.charAt(0) != '?' && isPlainReference(href)) {
      try {
        return base.resolve(href).toString();
      } catch (IllegalArgumentException e) {
        // Fall through to jsoup's lenient resolution.
      }
    }
    return a.absUrl("href");
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

  private static boolean metaNofollow(Document document) {
    for (Element meta : document.select("meta[name]")) {
      String name = meta.attr("name").toLowerCase(Locale.ROOT);
      if ((name.equals("robots") || name.equals("fleetcrawl"))
          && (hasToken(meta.attr("content"), "nofollow")
              || hasToken(meta.attr("content"), "none"))) {
        return true;
      }
    }
    return false;
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
