package io.fleetcrawl.output;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fleetcrawl.model.PageResult;
import io.fleetcrawl.pool.Capture;
import io.fleetcrawl.pool.FetchOutcome;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.netpreserve.jwarc.WarcReader;
import org.netpreserve.jwarc.WarcRecord;
import org.netpreserve.jwarc.WarcResponse;
import org.netpreserve.jwarc.WarcRevisit;

class WarcResultSinkTest {
  @TempDir Path dir;

  private static final Map<String, List<String>> INFO =
      WarcResultSink.info("fleetcrawl/test", "n1", "c", "fleetcrawl/test", "classic");

  static SinkItem.Page page(String url, byte[] body) {
    return page(url, body, 1_700_000_000_000L);
  }

  static SinkItem.Page page(String url, byte[] body, long startedAt) {
    MultiMap request = HttpHeaders.headers().add("Host", "a.test").add("User-Agent", "t");
    MultiMap response =
        HttpHeaders.headers()
            .add("Content-Type", "text/html")
            .add("Content-Length", Integer.toString(body.length));
    FetchOutcome outcome =
        new FetchOutcome(
            200,
            null,
            null,
            "HTTP/1.1",
            Buffer.buffer(body),
            false,
            3,
            "text/html",
            null,
            null,
            new Capture(
                startedAt,
                "127.0.0.1",
                "/" + url.substring(url.lastIndexOf('/') + 1),
                request,
                "OK",
                response,
                Buffer.buffer(body),
                null,
                null),
            null);
    PageResult result =
        new PageResult(
            url,
            200,
            null,
            "HTTP/1.1",
            body.length,
            3,
            0,
            "text/html",
            0,
            null,
            null,
            1,
            0,
            List.of("http://a.test/next"),
            "127.0.0.1",
            null,
            null,
            null,
            null);
    return new SinkItem.Page(result, outcome);
  }

  private static List<WarcRecord> read(Path file) throws IOException {
    List<WarcRecord> records = new ArrayList<>();
    try (WarcReader reader = new WarcReader(file)) {
      for (WarcRecord r : reader) {
        r.body().consume();
        records.add(r);
      }
    }
    return records;
  }

  private List<Path> files(String suffix) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().endsWith(suffix)).sorted().toList();
    }
  }

  @Test
  void samePayloadTwiceBecomesARevisitOfTheFirstAndResultsSayWhereTheirRecordLies()
      throws Exception {
    byte[] body = "<html>same</html>".getBytes(StandardCharsets.UTF_8);
    List<SinkItem> written;
    try (WarcResultSink sink = new WarcResultSink(dir, "fc-c-n1", 1 << 20, INFO)) {
      written = sink.write(List.of(page("http://a.test/1", body), page("http://a.test/2", body)));
    }
    Path file = files(".warc.gz").get(0);
    List<WarcRecord> records = read(file);
    assertEquals("warcinfo", records.get(0).type());
    WarcResponse first = (WarcResponse) records.get(1);
    WarcRevisit second =
        (WarcRevisit) records.stream().filter(r -> r instanceof WarcRevisit).findFirst().get();
    assertEquals(first.payloadDigest(), second.payloadDigest());
    assertEquals("http://a.test/1", second.refersToTargetURI().get().toString());
    assertEquals(first.date(), second.refersToDate().get());
    PageResult r1 = ((SinkItem.Page) written.get(0)).result();
    PageResult r2 = ((SinkItem.Page) written.get(1)).result();
    assertEquals(file.getFileName().toString(), r1.warcFile());
    assertEquals(first.position(), r1.warcOffset());
    assertEquals(second.position(), r2.warcOffset());
    assertEquals(first.payloadDigest().get().toString(), r1.payloadDigest());
    assertTrue(Files.exists(dir.resolve(file.getFileName() + ".cdxj")), "index beside the file");
  }

  @Test
  void revisitsNeverPointForwardInTimeNorAtARecordThatWasNotWritten() throws Exception {
    byte[] body = "<html>same</html>".getBytes(StandardCharsets.UTF_8);
    try (WarcResultSink sink = new WarcResultSink(dir, "fc-c-n1", 1 << 20, INFO)) {
      sink.write(List.of(page("http://a.test/late", body, 2_000)));
      // Started before the archived capture, finished after it: archived whole, not a revisit.
      sink.write(List.of(page("http://a.test/early", body, 1_000)));
      sink.write(List.of(page("http://a.test/later", body, 3_000)));
    }
    List<WarcRecord> records = read(files(".warc.gz").get(0));
    assertEquals(2, records.stream().filter(r -> r instanceof WarcResponse).count());
    WarcRevisit revisit =
        (WarcRevisit) records.stream().filter(r -> r instanceof WarcRevisit).findFirst().get();
    assertEquals("http://a.test/later", revisit.target());
    assertEquals("http://a.test/late", revisit.refersToTargetURI().get().toString());
  }

  @Test
  void fileLeftOpenByAKilledProcessLosesOnlyItsCutRecordAndIsNeverAppendedTo() throws Exception {
    WarcResultSink sink = new WarcResultSink(dir, "fc-c-n1", 1 << 20, INFO);
    for (int i = 0; i < 5; i++) {
      sink.write(List.of(page("http://a.test/" + i, ("page " + i).getBytes())));
    }
    Path open = sink.openFile();
    long whole = Files.size(open);
    // What a kill in the middle of a write leaves: the first part of one more record.
    sink.write(List.of(page("http://a.test/cut", new byte[4000])));
    long withCut = Files.size(open);
    try (FileChannel ch = FileChannel.open(open, StandardOpenOption.WRITE)) {
      ch.truncate(whole + (withCut - whole) / 2);
    }
    // The process is gone: nothing closes this sink. The next start finishes the file.
    try (WarcResultSink next = new WarcResultSink(dir, "fc-c-n1", 1 << 20, INFO)) {
      assertFalse(Files.exists(open), "the left-open file was finished");
      assertTrue(next.openFile().getFileName().toString().contains("-000002."), "a new number");
      next.write(List.of(page("http://a.test/after", "after".getBytes())));
    }
    List<Path> finished = files(".warc.gz");
    assertEquals(2, finished.size());
    List<WarcRecord> recovered = read(finished.get(0));
    assertEquals(whole, Files.size(finished.get(0)), "cut back to the last whole record");
    assertEquals(1 + 5 * 3, recovered.size(), "warcinfo and 5 x (response, request, metadata)");
    assertEquals(
        5,
        Files.readAllLines(dir.resolve(finished.get(0).getFileName() + ".cdxj")).size(),
        "recovered index lines");
  }

  @Test
  void indexThatCouldNotBeWrittenIsRebuiltAtTheNextStartAsItWasWritten() throws Exception {
    try (WarcResultSink sink = new WarcResultSink(dir, "fc-c-n1", 1 << 20, INFO)) {
      for (int i = 0; i < 3; i++) {
        sink.write(List.of(page("http://a.test/" + i, ("page " + i).getBytes())));
      }
    }
    Path index = files(".cdxj").get(0);
    List<String> written = Files.readAllLines(index);
    Files.delete(index);
    new WarcResultSink(dir, "fc-c-n1", 1 << 20, INFO).close();
    assertEquals(written, Files.readAllLines(index));
  }

  @Test
  void filesRotateAtTheSizeAndABatchIsNeverSplit() throws Exception {
    byte[] body = new byte[20_000];
    new Random(1).nextBytes(body);
    // Each record (20 KB of noise) fills a file past 10 KB: the next batch starts a new file.
    try (WarcResultSink sink = new WarcResultSink(dir, "fc-c-n1", 10_000, INFO)) {
      for (int i = 0; i < 4; i++) {
        byte[] unique = body.clone();
        unique[0] = (byte) i;
        sink.write(List.of(page("http://a.test/" + i, unique)));
      }
    }
    assertEquals(4, files(".warc.gz").size());
    assertEquals(4, files(".cdxj").size());
    assertEquals(List.of(), files(".open"));
  }

  /**
   * A really full filesystem: a 1 MiB tmpfs mounted by the test (it runs as root in CI). The write
   * that does not fit fails naming the file, and every record written before stays readable.
   */
  @Test
  @Tag("integration")
  void fullDiskFailsTheBatchNamingTheFileAndKeepsEveryEarlierRecord() throws Exception {
    Path mount = Files.createDirectories(dir.resolve("tiny"));
    run("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mount.toString());
    WarcResultSink sink = null;
    try {
      byte[] body = new byte[100_000];
      Random random = new Random(3);
      int written = 0;
      IOException failure = null;
      sink = new WarcResultSink(mount, "fc-c-n1", 1 << 30, INFO);
      Path open = sink.openFile();
      for (int i = 0; i < 50 && failure == null; i++) {
        random.nextBytes(body);
        try {
          sink.write(List.of(page("http://a.test/" + i, body.clone())));
          written++;
        } catch (IOException e) {
          failure = e;
        }
      }
      assertTrue(failure != null, "the disk filled up");
      assertTrue(failure.getMessage().contains(open.toString()), failure.getMessage());
      assertTrue(written >= 5, "records written before the disk filled: " + written);
      List<WarcRecord> records = read(open);
      assertEquals(1 + written * 3, records.size(), "every acknowledged record is whole");
      WarcResultSink full = sink;
      byte[] noise = new byte[500_000];
      random.nextBytes(noise);
      IOException again =
          assertThrows(
              IOException.class, () -> full.write(List.of(page("http://a.test/more", noise))));
      assertTrue(again.getMessage().contains("cannot write WARC file"), again.getMessage());
    } finally {
      if (sink != null) {
        try {
          sink.close();
        } catch (IOException e) {
          // Its index may not fit on the full disk either; the records are what this is about.
        }
      }
      run("umount", mount.toString());
    }
  }

  private static void run(String... command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), String.join(" ", command) + ": " + output);
  }
}
