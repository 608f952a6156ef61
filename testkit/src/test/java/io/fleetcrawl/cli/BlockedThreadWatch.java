package io.fleetcrawl.cli;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.slf4j.LoggerFactory;

/** Records Vert.x blocked-thread warnings so that a test can fail on them. */
final class BlockedThreadWatch implements AutoCloseable {
  private static final String CHECKER = "io.vertx.core.internal.threadchecker.BlockedThreadChecker";

  private final Logger logger = (Logger) LoggerFactory.getLogger(CHECKER);
  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

  BlockedThreadWatch() {
    appender.start();
    logger.addAppender(appender);
  }

  /** Returns the warnings recorded so far. */
  List<String> warnings() {
    return appender.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
  }

  @Override
  public void close() {
    logger.detachAppender(appender);
  }
}
