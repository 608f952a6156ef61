package io.fleetcrawl.cli;

import io.fleetcrawl.config.CrawlConfig;
import io.fleetcrawl.config.OutputConfig;
import io.fleetcrawl.output.JsonlResultSink;
import io.fleetcrawl.output.ResultSink;
import io.fleetcrawl.output.SinkChain;
import io.fleetcrawl.output.WarcResultSink;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Opens the sinks a crawl's results go to, as the command line chose them. */
final class ResultSinks {
  /** The directory under a crawl's results directory that holds its WARC files. */
  static final String WARC_DIRECTORY = "warc";

  private ResultSinks() {}

  /** Returns the version written into every WARC file's {@code warcinfo} record. */
  static String software() {
    String version = ResultSinks.class.getPackage().getImplementationVersion();
    return "fleetcrawl/" + (version == null ? "0.1.0-SNAPSHOT" : version);
  }

  /**
   * Returns the crawl's sinks in writing order: the WARC files (when on), then the JSONL results,
   * so that each results line can say where its record lies.
   *
   * @param directory the crawl's results directory; the WARC files go to its {@code warc/}
   * @param node this node's name, part of every file name so nodes never share a file
   */
  static ResultSink open(
      Path directory, String node, CrawlConfig crawl, OutputConfig output, JsonlResultSink jsonl) {
    List<ResultSink> sinks = new ArrayList<>();
    if (output.warc()) {
      try {
        sinks.add(
            new WarcResultSink(
                directory.resolve(WARC_DIRECTORY),
                "fleetcrawl-" + crawl.name() + "-" + node,
                output.warcRotateBytes(),
                WarcResultSink.info(
                    software(),
                    node,
                    crawl.name(),
                    crawl.userAgent(),
                    "classic (robots.txt obeyed for agent '" + crawl.robotsAgentName() + "')")));
      } catch (IOException e) {
        jsonl.close();
        throw new UncheckedIOException(e.getMessage(), e);
      }
    }
    sinks.add(jsonl);
    return sinks.size() == 1 ? jsonl : new SinkChain(sinks);
  }
}
