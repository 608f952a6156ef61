package io.fleetcrawl.parse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class LinkExtractorTest {
  private static List<String> links(String html, boolean honourNofollow) {
    return LinkExtractor.extract(
        html.getBytes(StandardCharsets.UTF_8),
        "utf-8",
        "http://a.test/dir/page.html",
        honourNofollow);
  }

  @Test
  void resolvesRelativeLinksAgainstThePage() {
    assertEquals(
        List.of("http://a.test/dir/b.html", "http://a.test/c", "https://other.test/"),
        links("<a href='b.html'>b</a><a href='/c'>c</a><a href='https://other.test/'>o</a>", true));
  }

  @Test
  void takesTheFirstLinksUpToTheCapAndCountsTheRest() {
    StringBuilder html = new StringBuilder();
    for (int i = 0; i < 10; i++) {
      html.append("<a href='/l").append(i).append("'>l</a>");
    }
    LinkExtractor.Links found =
        LinkExtractor.extract(
            html.toString().getBytes(StandardCharsets.UTF_8),
            "utf-8",
            "http://a.test/",
            true,
            3,
            "fleetcrawl");
    assertEquals(List.of("http://a.test/l0", "http://a.test/l1", "http://a.test/l2"), found.urls());
    assertEquals(7, found.dropped());
  }

  private static LinkExtractor.Links page(String html, boolean honourNofollow) {
    return LinkExtractor.extract(
        html.getBytes(StandardCharsets.UTF_8),
        "utf-8",
        "http://a.test/dir/page.html",
        honourNofollow,
        100,
        "examplebot");
  }

  @Test
  void findsTheMetaRefreshTargetInItsSpellings() {
    for (String content :
        List.of(
            "0; url=next.html",
            "5;URL='next.html'",
            "0, url=\"next.html\"",
            " 3 ; Url = next.html ")) {
      assertEquals(
          "http://a.test/dir/next.html",
          page(
                  "<meta http-equiv='Refresh' content=\"" + content.replace("\"", "&quot;") + "\">",
                  true)
              .refresh(),
          content);
    }
    assertEquals(
        null, page("<meta http-equiv='refresh' content='30'>", true).refresh(), "a reload");
  }

  @Test
  void hostileRefreshAndLinkHeaderValuesAreReadInOnePass() {
    // Long runs of what a backtracking pattern would try every split of.
    String spaces = " ".repeat(200_000);
    String content = "0" + spaces + ";" + spaces + "x";
    String header = "<a>;" + " rel".repeat(50_000) + "<b>;" + " rel".repeat(50_000);
    org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(
        java.time.Duration.ofSeconds(5),
        () -> {
          assertEquals(
              null, page("<meta http-equiv=refresh content='" + content + "'>", true).refresh());
          assertEquals(null, LinkExtractor.canonicalOfLinkHeaders(List.of(header)));
        });
  }

  @Test
  void findsTheCanonicalAmongTheLinksOfLinkHeaders() {
    assertEquals(
        "/doc",
        LinkExtractor.canonicalOfLinkHeaders(
            List.of(
                "</style.css>; rel=preload",
                "<https://a.test/x>; rel=\"alternate\", </doc>; REL=\"canonical\"")));
    assertEquals(null, LinkExtractor.canonicalOfLinkHeaders(List.of("</a>; rel=next")));
  }

  @Test
  void findsTheCanonicalLinkAbsolute() {
    assertEquals(
        "http://a.test/c",
        page("<head><link rel='canonical' href='/c'></head><a href='/x'>x</a>", true).canonical());
    assertEquals(null, page("<link rel='alternate' href='/c'>", true).canonical());
  }

  @Test
  void robotsMetaForAllAgentsOrThisAgentIsReadAndOthersIgnored() {
    LinkExtractor.Links noindex =
        page("<meta name='robots' content='noindex'><a href='/x'>x</a>", true);
    assertEquals(new RobotsDirectives(true, false), noindex.robots());
    assertEquals(List.of("http://a.test/x"), noindex.urls());
    LinkExtractor.Links own =
        page("<meta name='ExampleBot' content='none'><a href='/x'>x</a>", true);
    assertEquals(new RobotsDirectives(true, true), own.robots());
    assertEquals(List.of(), own.urls());
    LinkExtractor.Links other =
        page("<meta name='otherbot' content='none'><a href='/x'>x</a>", true);
    assertEquals(RobotsDirectives.NONE, other.robots());
    assertEquals(List.of("http://a.test/x"), other.urls());
  }

  @Test
  void honoursTheBaseElement() {
    assertEquals(
        List.of("http://cdn.test/x/b.html"),
        links("<head><base href='http://cdn.test/x/'></head><a href='b.html'>b</a>", true));
  }

  @Test
  void skipsNofollowLinksOnlyWhenAsked() {
    String html = "<a rel='external nofollow' href='/n'>n</a><a href='/f'>f</a>";
    assertEquals(List.of("http://a.test/f"), links(html, true));
    assertEquals(List.of("http://a.test/n", "http://a.test/f"), links(html, false));
  }

  @Test
  void robotsMetaNofollowDropsEveryLink() {
    assertEquals(
        List.of(),
        links("<meta name='robots' content='noindex, nofollow'><a href='/x'>x</a>", true));
  }

  @Test
  void resolvesHrefsThatAreNotPlainUriReferencesLeniently() {
    assertEquals(
        List.of(
            "http://a.test/dir/a b.html", "http://a.test/dir/café", "http://a.test/dir/page.html"),
        links("<a href=' a b.html '>s</a><a href='café'>c</a><a href=''>e</a>", true));
  }

  @Test
  void resolvesDotSegmentsAndQueries() {
    assertEquals(
        List.of("http://a.test/x?q=1", "http://a.test/dir/page.html?p=2"),
        links("<a href='../x?q=1'>u</a><a href='?p=2'>q</a>", true));
  }

  @Test
  void ignoresAnchorsWithoutHref() {
    assertEquals(List.of(), links("<a name='top'>top</a>", true));
  }

  @Test
  void unknownCharsetNameFallsBackToDetection() {
    byte[] html = "<a href='/x'>x</a>".getBytes(StandardCharsets.UTF_8);
    assertEquals(
        List.of("http://a.test/x"),
        LinkExtractor.extract(html, "no-such-charset", "http://a.test/", true));
    assertEquals(
        List.of("http://a.test/x"), LinkExtractor.extract(html, null, "http://a.test/", true));
  }

  @Test
  void aPageAboveTheStreamingSizeFindsWhatTheSameSmallPageFinds() {
    String head =
        "<html><head><base href=\"https://example.com/base/\">"
            + "<meta name=\"robots\" content=\"noindex\">"
            + "<meta http-equiv=\"refresh\" content=\"5; url=next.html\">"
            + "<link rel=\"canonical\" href=\"/canon\"></head><body>"
            + "<a href=\"rel/1\">a</a><a href=\"/abs\">b</a><a rel=\"nofollow\" href=\"nf\">c</a>"
            + "<p><a href=\"?q=1\">q</a></p><a>no href</a><a href=\"https://other.test/x\">x</a>";
    String small = head + "</body></html>";
    // The same elements, then a comment that makes the page large: no element is added.
    String large = head + "<!-- " + "z".repeat(LinkExtractor.STREAM_BYTES) + " --></body></html>";
    for (String charset : new String[] {"utf-8", null}) {
      LinkExtractor.Links fromTree =
          LinkExtractor.extract(
              small.getBytes(StandardCharsets.UTF_8),
              charset,
              "https://example.com/page",
              true,
              3,
              "fleetcrawl");
      LinkExtractor.Links streamed =
          LinkExtractor.extract(
              large.getBytes(StandardCharsets.UTF_8),
              charset,
              "https://example.com/page",
              true,
              3,
              "fleetcrawl");
      assertEquals(fromTree, streamed, "charset " + charset);
      assertEquals(
          List.of(
              "https://example.com/base/rel/1",
              "https://example.com/abs",
              "https://example.com/base/?q=1"),
          streamed.urls());
      assertEquals(1, streamed.dropped());
    }
  }

  @Test
  void aLargePageOfHalfAMillionLinksIsReadWithoutHoldingItsTree() {
    StringBuilder html = new StringBuilder("<html><body>");
    for (int i = 0; i < 500_000; i++) {
      html.append("<a href=\"/l/").append(i).append("\">x</a>");
    }
    byte[] page = html.append("</body></html>").toString().getBytes(StandardCharsets.UTF_8);
    Runtime rt = Runtime.getRuntime();
    System.gc();
    long before = rt.totalMemory() - rt.freeMemory();
    LinkExtractor.Links links =
        LinkExtractor.extract(page, "utf-8", "https://example.com/", false, 5_000, "fleetcrawl");
    assertEquals(5_000, links.urls().size());
    assertEquals(495_000, links.dropped());
    assertTrue(
        page.length > 10_000_000, "the page is " + page.length + " bytes, ten times the threshold");
    // What is left reachable afterwards is the links kept, not a tree of 500,000 elements.
    System.gc();
    long after = rt.totalMemory() - rt.freeMemory();
    assertTrue(after - before < 32 << 20, "retained " + (after - before) + " bytes");
  }

  @Test
  void aLargeBodyOfZerosOrOneLetterIsReadInLittleHeapAndItsLinksAfterwardsFound() {
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    int size = 10 << 20;
    for (char filler : new char[] {'\0', 'y'}) {
      // A bomb cut at the body cap is one text run; a comment of the same run must still end.
      String html =
          "<html><body><a href=\"/first\">f</a><p>"
              + String.valueOf(filler).repeat(size)
              + "</p><!-- "
              + String.valueOf(filler).repeat(size / 4)
              + " --><a href=\"/after\">a</a></body></html>";
      byte[] page = html.getBytes(StandardCharsets.ISO_8859_1);
      long before = threads.getCurrentThreadAllocatedBytes();
      LinkExtractor.Links links =
          LinkExtractor.extract(page, "iso-8859-1", "https://example.com/", false, 10, "agent");
      long allocated = threads.getCurrentThreadAllocatedBytes() - before;
      assertEquals(
          List.of("https://example.com/first", "https://example.com/after"),
          links.urls(),
          "filler " + (int) filler);
      // Before the runs were cut, jsoup built each run whole and copied it to replace the NULs:
      // 247 MiB for this page. Cut, under the page's size (12.5 MiB) when this test ran alone, and
      // 20 MiB once in the whole suite: more while the JIT is cold.
      assertTrue(
          allocated < 4L * page.length,
          "filler " + (int) filler + ": allocated " + (allocated >> 20) + " MiB");
    }
  }

  @Test
  void aRunOfPlainTextKeepsItsFirstCharactersAndEveryMarkupCharacter() throws Exception {
    String run = "a".repeat(InertRuns.RUN_CAP + 1000);
    String text = run + "-->" + run + "<x>";
    StringBuilder read = new StringBuilder();
    try (java.io.Reader in = new InertRuns(new java.io.StringReader(text))) {
      char[] buffer = new char[777];
      for (int n; (n = in.read(buffer, 0, buffer.length)) != -1; ) {
        assertTrue(n > 0, "a read returns characters or the end");
        read.append(buffer, 0, n);
      }
    }
    String cut = "a".repeat(InertRuns.RUN_CAP);
    assertEquals(cut + "-->" + cut + "<x>", read.toString());
  }
}
