package io.fleetcrawl.intake;

import io.fleetcrawl.bus.Addresses;
import io.fleetcrawl.model.SubmitBatch;
import io.fleetcrawl.model.SubmitReply;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;

/** Answers {@link SubmitBatch}es sent to a crawl's intake address with a {@link SubmitReply}. */
public final class IntakeVerticle extends VerticleBase {
  private final String crawl;
  private final UrlIntake intake;

  /**
   * @param crawl the crawl's name, which names its intake address
   */
  public IntakeVerticle(String crawl, UrlIntake intake) {
    this.crawl = crawl;
    this.intake = intake;
  }

  @Override
  public Future<?> start() {
    return vertx
        .eventBus()
        .<SubmitBatch>consumer(Addresses.intake(crawl), this::onBatch)
        .completion();
  }

  private void onBatch(Message<SubmitBatch> message) {
    intake
        .submitSeeds(context, message.body().urls())
        .onSuccess(message::reply)
        .onFailure(e -> message.fail(500, "intake failed: " + e.getMessage()));
  }
}
