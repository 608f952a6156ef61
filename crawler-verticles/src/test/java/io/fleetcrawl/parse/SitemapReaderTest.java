package io.fleetcrawl.parse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

class SitemapReaderTest {
  private static final String URLSET =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
          + "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">"
          + "<url><loc>http://a.test/one</loc></url><url><loc>http://a.test/two</loc></url>"
          + "</urlset>";

  private static byte[] gzip(byte[] plain) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(plain);
    }
    return out.toByteArray();
  }

  @Test
  void readsAnXmlSitemapPlainOrGzippedWhateverTheName() throws Exception {
    byte[] xml = URLSET.getBytes(StandardCharsets.UTF_8);
    List<String> expected = List.of("http://a.test/one", "http://a.test/two");
    SitemapReader.Sitemap plain = SitemapReader.read(xml, "http://a.test/sitemap.xml", 1 << 20);
    assertFalse(plain.index());
    assertEquals(expected, plain.urls());
    assertEquals(expected, SitemapReader.read(gzip(xml), "http://a.test/sitemap", 1 << 20).urls());
  }

  @Test
  void readsAnIndexAndATextSitemap() throws Exception {
    String index =
        "<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">"
            + "<sitemap><loc>http://a.test/s1.xml.gz</loc></sitemap></sitemapindex>";
    SitemapReader.Sitemap read =
        SitemapReader.read(index.getBytes(StandardCharsets.UTF_8), "http://a.test/i.xml", 1 << 20);
    assertTrue(read.index());
    assertEquals(List.of("http://a.test/s1.xml.gz"), read.urls());
    byte[] text = "http://a.test/x\n\nhttp://a.test/y\n".getBytes(StandardCharsets.UTF_8);
    assertEquals(
        List.of("http://a.test/x", "http://a.test/y"),
        SitemapReader.read(gzip(text), "http://a.test/list.txt.gz", 1 << 20).urls());
  }

  @Test
  void aGzipBombIsUnpackedOnlyToTheCapAndKeepsTheEntriesBeforeTheCut() throws Exception {
    StringBuilder big = new StringBuilder();
    for (int i = 0; i < 200_000; i++) {
      big.append("http://a.test/page/").append(i).append('\n');
    }
    byte[] bomb = gzip(big.toString().getBytes(StandardCharsets.UTF_8));
    SitemapReader.Sitemap read = SitemapReader.read(bomb, "http://a.test/list.txt", 64 * 1024);
    assertTrue(read.truncated());
    assertTrue(read.urls().size() > 1000 && read.urls().size() < 5000, "" + read.urls().size());
    assertEquals("http://a.test/page/0", read.urls().get(0));
  }

  @Test
  void somethingThatIsNoSitemapIsRefusedNamingWhy() {
    IOException e =
        assertThrows(
            IOException.class,
            () ->
                SitemapReader.read(
                    "<html><body>hello</body></html>".getBytes(StandardCharsets.UTF_8),
                    "http://a.test/sitemap.xml",
                    1 << 20));
    assertTrue(e.getMessage().contains("not a sitemap"), e.getMessage());
  }
}
