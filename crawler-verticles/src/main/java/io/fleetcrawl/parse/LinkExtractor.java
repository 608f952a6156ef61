package io.fleetcrawl.parse;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
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
    Document document;
    try {
      document = Jsoup.parse(new ByteArrayInputStream(html), charset, pageUrl);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (IllegalArgumentException e) {
      // An unknown charset name in the header: let jsoup detect it instead.
      return extract(html, null, pageUrl, honourNofollow);
    }
    if (honourNofollow && metaNofollow(document)) {
      return List.of();
    }
    List<String> links = new ArrayList<>();
    for (Element a : document.select("a[href]")) {
      if (honourNofollow && hasToken(a.attr("rel"), "nofollow")) {
        continue;
      }
      String target = a.absUrl("href");
      if (!target.isEmpty()) {
        links.add(target);
      }
    }
    return links;
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
