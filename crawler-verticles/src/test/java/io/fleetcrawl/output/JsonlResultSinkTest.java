package io.fleetcrawl.output;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fleetcrawl.model.CrawlRequest;
import io.fleetcrawl.model.PageResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonlResultSinkTest {
  @TempDir Path dir;

  private static List<PageResult> batch(int from, int n) {
    return java.util.stream.IntStream.range(from, from + n)
        .mapToObj(i -> PageResult.failed(CrawlRequest.seed("http://a.test/" + i), "x", 0))
        .toList();
  }

  private List<Path> files() throws Exception {
    try (Stream<Path> s = Files.list(dir)) {
      return s.sorted().toList();
    }
  }

  @Test
  void rotatesBySizeBetweenBatchesAndNeverSplitsOne() throws Exception {
    try (JsonlResultSink sink = JsonlResultSink.rotating(dir, "pages-n1", 300)) {
      sink.append(batch(0, 5));
      sink.append(batch(5, 5));
      sink.append(batch(10, 1));
    }
    List<Path> files = files();
    assertEquals(
        List.of("pages-n1-000001.jsonl", "pages-n1-000002.jsonl", "pages-n1-000003.jsonl"),
        files.stream().map(p -> p.getFileName().toString()).toList());
    assertEquals(5, Files.readAllLines(files.get(0)).size(), "a whole batch per file");
    assertEquals(5, Files.readAllLines(files.get(1)).size());
    assertEquals(1, Files.readAllLines(files.get(2)).size());
  }

  @Test
  void aRestartedNodeStartsANewFileAfterTheLastOne() throws Exception {
    try (JsonlResultSink sink = JsonlResultSink.rotating(dir, "pages-n1", 1 << 20)) {
      sink.append(batch(0, 2));
    }
    try (JsonlResultSink sink = JsonlResultSink.rotating(dir, "pages-n1", 1 << 20)) {
      assertTrue(sink.file().endsWith("pages-n1-000002.jsonl"), sink.file().toString());
      sink.append(batch(2, 1));
    }
    assertEquals(2, Files.readAllLines(dir.resolve("pages-n1-000001.jsonl")).size());
    assertEquals(1, Files.readAllLines(dir.resolve("pages-n1-000002.jsonl")).size());
  }
}
