package io.fleetcrawl.frontier;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fleetcrawl.model.CrawlRequest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The frontier's compact forms keep a request's redirects and sitemap kind beside its depth. */
class PackedRequestTest {
  @Test
  void theQueuedFormKeepsDepthAttemptsRedirectsAndSitemapKind() {
    for (CrawlRequest r :
        new CrawlRequest[] {
          new CrawlRequest("http://a.test/", 0, 0),
          new CrawlRequest("http://a.test/r", 7, 20, 7, 0),
          new CrawlRequest("http://a.test/s.xml", 1, 3, 0, CrawlRequest.SITEMAP),
          new CrawlRequest("http://a.test/c.xml", CrawlRequest.MAX_DEPTH, 31, 2, 2)
        }) {
      byte[] packed = PackedRequest.pack(r);
      assertEquals(r, PackedRequest.unpack(packed));
      assertEquals(r.depth(), PackedRequest.depth(packed));
    }
  }

  @Test
  void theWireFormKeepsThemTooAndAFormWrittenBeforeReadsAsZeroOfEach() throws Exception {
    CrawlRequest r = new CrawlRequest("http://a.test/c.xml", 12, 4, 5, CrawlRequest.CHILD_SITEMAP);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    FrontierSerialization.writeRequest(new DataOutputStream(bytes), r);
    assertEquals(
        r,
        FrontierSerialization.readRequest(
            new DataInputStream(new ByteArrayInputStream(bytes.toByteArray()))));

    // The form of the releases before: the URL, then depth and attempts as plain ints.
    ByteArrayOutputStream old = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(old);
    Wire.writeString(out, "http://a.test/p");
    out.writeInt(9);
    out.writeInt(2);
    assertEquals(
        new CrawlRequest("http://a.test/p", 9, 2),
        FrontierSerialization.readRequest(
            new DataInputStream(new ByteArrayInputStream(old.toByteArray()))));

    byte[] oldPacked = new byte[3 + 1];
    oldPacked[1] = 9;
    oldPacked[2] = 2;
    oldPacked[3] = 'x';
    assertEquals(new CrawlRequest("x", 9, 2), PackedRequest.unpack(oldPacked));
    assertEquals("x", new String(oldPacked, 3, 1, StandardCharsets.UTF_8));
  }
}
