package io.fleetcrawl.parse;

import crawlercommons.sitemaps.AbstractSiteMap;
import crawlercommons.sitemaps.SiteMap;
import crawlercommons.sitemaps.SiteMapIndex;
import crawlercommons.sitemaps.SiteMapParser;
import crawlercommons.sitemaps.SiteMapURL;
import crawlercommons.sitemaps.UnknownFormatException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.MalformedURLException;
import java.net.URI;
import java.net.URL;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * Reads a sitemap with crawler-commons' {@code SiteMapParser}: XML sitemaps and sitemap indexes,
 * RSS and Atom feeds, text sitemaps (a URL a line), each plain or gzip-compressed. What the server
 * says the type is often is wrong (a {@code .xml.gz} as {@code application/octet-stream}), so the
 * bytes decide: a gzip header is unpacked, at most to the size cap (a small file can unpack to
 * gigabytes), and what starts with {@code <} is read as XML, anything else as text. CPU-bound:
 * callers run it off the event loop.
 */
public final class SitemapReader {
  /** The sitemaps protocol's most URLs in one sitemap, and sitemaps in one index. */
  public static final int MAX_ENTRIES = 50_000;

  private SitemapReader() {}

  /**
   * What a sitemap lists.
   *
   * @param index whether it is a sitemap index (its entries are sitemaps)
   * @param urls its first {@link #MAX_ENTRIES} entries, absolute
   * @param dropped how many entries it had beyond them
   * @param truncated whether it was cut at the size cap (the entries read before are kept)
   */
  public record Sitemap(boolean index, List<String> urls, int dropped, boolean truncated) {}

  /**
   * Reads a sitemap's body.
   *
   * @throws IOException naming what is wrong when the body is no sitemap
   */
  public static Sitemap read(byte[] body, String url, int maxBytes) throws IOException {
    boolean truncated = false;
    byte[] content = body;
    if (body.length >= 2 && (body[0] & 0xFF) == 0x1F && (body[1] & 0xFF) == 0x8B) {
      ByteArrayOutputStream unpacked = new ByteArrayOutputStream();
      truncated = gunzip(body, maxBytes, unpacked);
      content = unpacked.toByteArray();
    }
    URL location;
    try {
      location = URI.create(url).toURL();
    } catch (IllegalArgumentException | MalformedURLException e) {
      throw new IOException("not a URL: " + url, e);
    }
    // Not strict: a sitemap a robots.txt names may list any URL of its host (scope decides);
    // partial: a file cut at the cap still gives the entries before the cut.
    SiteMapParser parser = new SiteMapParser(false, true);
    AbstractSiteMap parsed;
    try {
      parsed =
          parser.parseSiteMap(looksLikeXml(content) ? "text/xml" : "text/plain", content, location);
    } catch (UnknownFormatException e) {
      throw new IOException("not a sitemap: " + e.getMessage(), e);
    }
    List<String> urls = new ArrayList<>();
    int dropped = 0;
    if (parsed instanceof SiteMapIndex index) {
      for (AbstractSiteMap child : index.getSitemaps()) {
        if (urls.size() < MAX_ENTRIES) {
          urls.add(child.getUrl().toString());
        } else {
          dropped++;
        }
      }
      return new Sitemap(true, urls, dropped, truncated);
    }
    if (parsed instanceof SiteMap map) {
      for (SiteMapURL entry : map.getSiteMapUrls()) {
        if (urls.size() < MAX_ENTRIES) {
          urls.add(entry.getUrl().toString());
        } else {
          dropped++;
        }
      }
    }
    return new Sitemap(false, urls, dropped, truncated);
  }

  /** Unpacks gzip into {@code out}, at most {@code maxBytes}; returns whether it was cut. */
  private static boolean gunzip(byte[] body, int maxBytes, ByteArrayOutputStream out)
      throws IOException {
    byte[] buffer = new byte[16 * 1024];
    try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(body))) {
      int n;
      while ((n = in.read(buffer)) > 0) {
        int room = maxBytes - out.size();
        if (n > room) {
          out.write(buffer, 0, room);
          return true;
        }
        out.write(buffer, 0, n);
      }
    } catch (java.io.EOFException e) {
      // A gzip stream cut short (the body cap): keep what was unpacked.
      return true;
    }
    return false;
  }

  private static boolean looksLikeXml(byte[] content) {
    for (byte b : content) {
      if (b == '<') {
        return true;
      }
      // A UTF-8 byte order mark or white space may come first.
      if (b != ' '
          && b != '\t'
          && b != '\r'
          && b != '\n'
          && (b & 0xFF) != 0xEF
          && (b & 0xFF) != 0xBB
          && (b & 0xFF) != 0xBF) {
        return false;
      }
    }
    return false;
  }
}
