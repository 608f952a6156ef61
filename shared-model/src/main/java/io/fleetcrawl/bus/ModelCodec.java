package io.fleetcrawl.bus;

import io.fleetcrawl.model.CrawlRequest;
import io.fleetcrawl.model.PageResult;
import io.fleetcrawl.model.ReportBatch;
import io.fleetcrawl.model.SubmitBatch;
import io.fleetcrawl.model.SubmitReply;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageCodec;
import java.util.List;

/**
 * The one event-bus codec of the model: length-prefixed JSON on the wire, and the same instance
 * locally, which is safe because every model type is an immutable record.
 */
public final class ModelCodec<T> implements MessageCodec<T, T> {
  /** Every type that travels on the event bus. */
  public static final List<Class<?>> MESSAGE_TYPES =
      List.of(
          SubmitBatch.class,
          SubmitReply.class,
          CrawlRequest.class,
          PageResult.class,
          ReportBatch.class);

  private final Class<T> type;

  ModelCodec(Class<T> type) {
    this.type = type;
  }

  /** Registers the codec as the default for every message type; call once per Vert.x instance. */
  public static void registerAll(Vertx vertx) {
    EventBus bus = vertx.eventBus();
    for (Class<?> type : MESSAGE_TYPES) {
      register(bus, type);
    }
  }

  private static <T> void register(EventBus bus, Class<T> type) {
    bus.registerDefaultCodec(type, new ModelCodec<>(type));
  }

  @Override
  public void encodeToWire(Buffer buffer, T value) {
    byte[] json = Json.toBytes(value);
    buffer.appendInt(json.length).appendBytes(json);
  }

  @Override
  public T decodeFromWire(int pos, Buffer buffer) {
    int length = buffer.getInt(pos);
    return Json.fromBytes(buffer.getBytes(pos + 4, pos + 4 + length), type);
  }

  @Override
  public T transform(T value) {
    return value;
  }

  @Override
  public String name() {
    return "fleetcrawl." + type.getSimpleName();
  }

  @Override
  public byte systemCodecID() {
    return -1;
  }
}
