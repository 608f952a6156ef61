package io.fleetcrawl.bus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fleetcrawl.model.CrawlRequest;
import io.fleetcrawl.model.HostReport;
import io.fleetcrawl.model.PageResult;
import io.fleetcrawl.model.RejectReason;
import io.fleetcrawl.model.Rejection;
import io.fleetcrawl.model.ReportBatch;
import io.fleetcrawl.model.SubmitBatch;
import io.fleetcrawl.model.SubmitReply;
import io.vertx.core.buffer.Buffer;
import java.util.List;
import org.junit.jupiter.api.Test;

class ModelCodecTest {

  private static <T> T roundTrip(Class<T> type, T value) {
    ModelCodec<T> codec = new ModelCodec<>(type);
    Buffer wire = Buffer.buffer().appendString("prefix");
    codec.encodeToWire(wire, value);
    return codec.decodeFromWire("prefix".length(), wire);
  }

  @Test
  void everyMessageTypeSurvivesTheWire() {
    var batch = new SubmitBatch("news", List.of("https://example.com/", "not a url"));
    var reply =
        new SubmitReply(
            1,
            List.of(
                new Rejection("not a url", RejectReason.MALFORMED, "no scheme in 'not a url'")));
    var request = new CrawlRequest("https://example.com/a", 3, 1);
    var page =
        new PageResult(
            "https://example.com/a",
            200,
            null,
            "HTTP/2",
            1234,
            17,
            3,
            "text/html",
            20,
            null,
            true,
            2,
            99L,
            List.of("https://example.com/b"),
            "127.0.0.1",
            "sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ",
            "fleetcrawl-default-n1-000001.warc.gz",
            1234L,
            null);
    var failed = PageResult.failed(request, "connect timeout", 5L);
    var redirected = new CrawlRequest("https://example.com/s.xml", 4, 2, 3, CrawlRequest.SITEMAP);
    var followed =
        new PageResult(
            "https://example.com/r",
            200,
            null,
            "HTTP/1.1",
            10,
            1,
            1,
            "text/html",
            0,
            null,
            null,
            1,
            5L,
            null,
            null,
            null,
            null,
            null,
            null,
            "TOO_MANY_REDIRECTS: 6 redirects in a row > --max-redirects 5",
            "https://example.com/next",
            "https://example.com/c",
            List.of("noindex"),
            "urlset");

    assertEquals(batch, roundTrip(SubmitBatch.class, batch));
    assertEquals(reply, roundTrip(SubmitReply.class, reply));
    assertEquals(request, roundTrip(CrawlRequest.class, request));
    assertEquals(page, roundTrip(PageResult.class, page));
    assertEquals(failed, roundTrip(PageResult.class, failed));
    assertEquals(redirected, roundTrip(CrawlRequest.class, redirected));
    assertEquals(followed, roundTrip(PageResult.class, followed));
    var reports =
        new ReportBatch(
            29_000_123,
            List.of(new HostReport("a.test:443", 90, 10, 1, 12.5, 40.0, 5_000, 1_000, 1_900)));
    assertEquals(reports, roundTrip(ReportBatch.class, reports));
  }

  @Test
  void everyMessageTypeIsCovered() {
    assertTrue(
        ModelCodec.MESSAGE_TYPES.containsAll(
            List.of(
                SubmitBatch.class,
                SubmitReply.class,
                CrawlRequest.class,
                PageResult.class,
                ReportBatch.class)));
  }

  @Test
  void pageResultOmitsAbsentFieldsInItsJsonLine() {
    String json =
        new String(Json.toBytes(PageResult.failed(CrawlRequest.seed("http://a/"), "dns", 1)));
    assertTrue(json.contains("\"error\":\"dns\""), json);
    assertTrue(!json.contains("\"status\""), json);
  }

  @Test
  void pageResultRefusesBothStatusAndError() {
    assertThrows(
        IllegalArgumentException.class,
        () ->
            new PageResult(
                "http://a/",
                200,
                "x",
                null,
                0,
                0,
                0,
                null,
                0,
                null,
                null,
                1,
                0,
                null,
                null,
                null,
                null,
                null,
                null));
  }
}
