package io.fleetcrawl.frontier;

import com.hazelcast.config.Config;
import com.hazelcast.config.SerializerConfig;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.StreamSerializer;
import io.fleetcrawl.model.CrawlRequest;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Compact binary forms of everything the frontier sends through Hazelcast. Hazelcast serialises an
 * entry processor's result even for a local call, and Java serialisation of these records costs
 * tens of microseconds each; these stream serialisers write only the fields.
 */
public final class FrontierSerialization {
  private static final int OFFER = 7101;
  private static final int SETTLE_AND_CLAIM = 7102;
  private static final int SETTLE_RESULT = 7103;
  private static final int HOST_QUEUE = 7104;
  private static final int RELEASE_OWNER = 7105;
  private static final int SWEEP = 7106;
  private static final int OFFER_RESULT = 7107;
  private static final int INSPECT = 7108;
  private static final int KEY_STATS = 7109;
  // 7110 was HasReady without a time: a member still sending it is refused, not misread.
  private static final int HAS_READY = 7117;
  private static final int CHECK = 7111;
  private static final int SET_BUDGET = 7112;
  private static final int UNSAVED = 7113;
  private static final int SAVE = 7114;
  private static final int RESTORE = 7115;
  private static final int REPLAY = 7116;
  private static final int HAS_LEASES = 7118;

  private FrontierSerialization() {}

  /** Registers the serialisers; every member of a cluster must do so. */
  public static Config register(Config config) {
    var serialization = config.getSerializationConfig();
    serialization.addSerializerConfig(
        serializer(FrontierProcessors.Offer.class, new OfferSerializer()));
    serialization.addSerializerConfig(
        serializer(FrontierProcessors.SettleAndClaim.class, new SettleAndClaimSerializer()));
    serialization.addSerializerConfig(serializer(SettleResult.class, new SettleResultSerializer()));
    serialization.addSerializerConfig(serializer(HostQueue.class, new HostQueueSerializer()));
    serialization.addSerializerConfig(
        serializer(FrontierProcessors.ReleaseOwner.class, new ReleaseOwnerSerializer()));
    serialization.addSerializerConfig(
        serializer(FrontierProcessors.Sweep.class, new SweepSerializer()));
    serialization.addSerializerConfig(serializer(OfferResult.class, new OfferResultSerializer()));
    serialization.addSerializerConfig(
        serializer(
            FrontierProcessors.Inspect.class,
            new StatelessSerializer<>(INSPECT, new FrontierProcessors.Inspect())));
    serialization.addSerializerConfig(
        serializer(
            FrontierProcessors.HasReady.class,
            new OneLong<>(
                HAS_READY, FrontierProcessors.HasReady::new, FrontierProcessors.HasReady::now)));
    serialization.addSerializerConfig(
        serializer(
            FrontierProcessors.HasLeases.class,
            new StatelessSerializer<>(HAS_LEASES, new FrontierProcessors.HasLeases())));
    serialization.addSerializerConfig(serializer(KeyStats.class, new KeyStatsSerializer()));
    serialization.addSerializerConfig(
        serializer(
            FrontierProcessors.Check.class,
            new StatelessSerializer<>(CHECK, new FrontierProcessors.Check())));
    serialization.addSerializerConfig(
        serializer(FrontierProcessors.SetBudget.class, new SetBudgetSerializer()));
    serialization.addSerializerConfig(
        serializer(
            FrontierProcessors.Unsaved.class,
            new TwoLongs<>(
                UNSAVED, FrontierProcessors.Unsaved::new, u -> u.now(), u -> u.intervalMs())));
    serialization.addSerializerConfig(
        serializer(
            FrontierProcessors.Save.class,
            new TwoLongs<>(SAVE, FrontierProcessors.Save::new, u -> u.now(), u -> u.intervalMs())));
    serialization.addSerializerConfig(
        serializer(FrontierProcessors.Restore.class, new RestoreSerializer()));
    serialization.addSerializerConfig(
        serializer(FrontierProcessors.Replay.class, new ReplaySerializer()));
    return config;
  }

  private static <T> SerializerConfig serializer(
      Class<T> type, StreamSerializer<T> implementation) {
    return new SerializerConfig().setTypeClass(type).setImplementation(implementation);
  }

  static void writeRequest(DataOutput out, CrawlRequest request) throws IOException {
    Wire.writeString(out, request.url());
    // The sitemap kind rides above the depth, as redirects above the attempts: forms written
    // before either was kept read as 0.
    out.writeInt(request.depth() | request.sitemap() << 24);
    // Redirects ride in the high half of the attempts word: forms written before they were
    // counted read as 0 redirects.
    out.writeInt(request.attempts() | request.redirects() << 16);
  }

  static CrawlRequest readRequest(DataInput in) throws IOException {
    String url = Wire.readString(in);
    int depthWord = in.readInt();
    int word = in.readInt();
    return new CrawlRequest(
        url, depthWord & 0xFFFFFF, word & 0xFFFF, word >>> 16, depthWord >>> 24);
  }

  /** Writes a lease with its owner: the form stored in backups and migrations. */
  static void writeLease(DataOutput out, Lease lease) throws IOException {
    writeLeaseWithoutOwner(out, lease);
    Wire.writeString(out, lease.owner());
  }

  static Lease readLease(DataInput in) throws IOException {
    return new Lease(in.readLong(), readRequest(in), in.readLong(), Wire.readString(in));
  }

  /**
   * Writes a lease for the member that claimed it, which knows it is the owner: the owner's id
   * would add 36 characters to every URL of every claim.
   */
  static void writeLeaseWithoutOwner(DataOutput out, Lease lease) throws IOException {
    out.writeLong(lease.id());
    writeRequest(out, lease.request());
    out.writeLong(lease.expiresAt());
  }

  static Lease readLeaseWithoutOwner(DataInput in, String owner) throws IOException {
    return new Lease(in.readLong(), readRequest(in), in.readLong(), owner);
  }

  private static final class OfferSerializer implements StreamSerializer<FrontierProcessors.Offer> {
    @Override
    public void write(ObjectDataOutput out, FrontierProcessors.Offer offer) throws IOException {
      out.writeLong(offer.maxUrls());
      out.writeInt(offer.requests().size());
      for (CrawlRequest request : offer.requests()) {
        writeRequest(out, request);
      }
    }

    @Override
    public FrontierProcessors.Offer read(ObjectDataInput in) throws IOException {
      long maxUrls = in.readLong();
      int n = in.readInt();
      List<CrawlRequest> requests = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        requests.add(readRequest(in));
      }
      return new FrontierProcessors.Offer(requests, maxUrls);
    }

    @Override
    public int getTypeId() {
      return OFFER;
    }
  }

  private static final class SettleAndClaimSerializer
      implements StreamSerializer<FrontierProcessors.SettleAndClaim> {
    @Override
    public void write(ObjectDataOutput out, FrontierProcessors.SettleAndClaim op)
        throws IOException {
      out.writeInt(op.settlements().size());
      for (Settlement s : op.settlements()) {
        out.writeLong(s.leaseId());
        out.writeLong(s.retryAt());
        out.writeBoolean(s.countsAsAttempt());
        out.writeBoolean(s.failed());
        out.writeBoolean(s.throttled());
      }
      out.writeLong(op.pauseUntil());
      out.writeLong(op.crawlDelayMs());
      out.writeLong(op.now());
      out.writeInt(op.max());
      out.writeInt(op.limit());
      out.writeLong(op.leaseMs());
      out.writeString(op.owner());
      out.writeLong(op.startMicros());
    }

    @Override
    public FrontierProcessors.SettleAndClaim read(ObjectDataInput in) throws IOException {
      int n = in.readInt();
      List<Settlement> settlements = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        settlements.add(
            new Settlement(
                in.readLong(),
                in.readLong(),
                in.readBoolean(),
                in.readBoolean(),
                in.readBoolean()));
      }
      return new FrontierProcessors.SettleAndClaim(
          settlements,
          in.readLong(),
          in.readLong(),
          in.readLong(),
          in.readInt(),
          in.readInt(),
          in.readLong(),
          in.readString(),
          in.readLong());
    }

    @Override
    public int getTypeId() {
      return SETTLE_AND_CLAIM;
    }
  }

  private static final class SettleResultSerializer implements StreamSerializer<SettleResult> {
    @Override
    public void write(ObjectDataOutput out, SettleResult result) throws IOException {
      out.writeLongArray(result.refused());
      Claim claim = result.claim();
      out.writeLong(claim.wakeAt());
      out.writeInt(claim.queued());
      out.writeInt(claim.leases().size());
      for (Lease lease : claim.leases()) {
        writeLeaseWithoutOwner(out, lease);
      }
    }

    @Override
    public SettleResult read(ObjectDataInput in) throws IOException {
      long[] refused = in.readLongArray();
      long wakeAt = in.readLong();
      int queued = in.readInt();
      int n = in.readInt();
      List<Lease> leases = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        leases.add(readLeaseWithoutOwner(in, ""));
      }
      return new SettleResult(refused, new Claim(leases, wakeAt, queued));
    }

    @Override
    public int getTypeId() {
      return SETTLE_RESULT;
    }
  }

  private static final class HostQueueSerializer implements StreamSerializer<HostQueue> {
    @Override
    public void write(ObjectDataOutput out, HostQueue queue) throws IOException {
      queue.writeTo(out);
    }

    @Override
    public HostQueue read(ObjectDataInput in) throws IOException {
      return HostQueue.readFrom(in);
    }

    @Override
    public int getTypeId() {
      return HOST_QUEUE;
    }
  }

  private static final class ReleaseOwnerSerializer
      implements StreamSerializer<FrontierProcessors.ReleaseOwner> {
    @Override
    public void write(ObjectDataOutput out, FrontierProcessors.ReleaseOwner op) throws IOException {
      out.writeString(op.owner());
    }

    @Override
    public FrontierProcessors.ReleaseOwner read(ObjectDataInput in) throws IOException {
      return new FrontierProcessors.ReleaseOwner(in.readString());
    }

    @Override
    public int getTypeId() {
      return RELEASE_OWNER;
    }
  }

  private static final class SweepSerializer implements StreamSerializer<FrontierProcessors.Sweep> {
    @Override
    public void write(ObjectDataOutput out, FrontierProcessors.Sweep op) throws IOException {
      out.writeLong(op.now());
    }

    @Override
    public FrontierProcessors.Sweep read(ObjectDataInput in) throws IOException {
      return new FrontierProcessors.Sweep(in.readLong());
    }

    @Override
    public int getTypeId() {
      return SWEEP;
    }
  }

  private static final class OfferResultSerializer implements StreamSerializer<OfferResult> {
    @Override
    public void write(ObjectDataOutput out, OfferResult result) throws IOException {
      out.writeBooleanArray(result.admitted());
      out.writeBoolean(result.wasIdle());
      out.writeBooleanArray(result.full());
    }

    @Override
    public OfferResult read(ObjectDataInput in) throws IOException {
      return new OfferResult(in.readBooleanArray(), in.readBoolean(), in.readBooleanArray());
    }

    @Override
    public int getTypeId() {
      return OFFER_RESULT;
    }
  }

  private static final class KeyStatsSerializer implements StreamSerializer<KeyStats> {
    @Override
    public void write(ObjectDataOutput out, KeyStats k) throws IOException {
      out.writeString(k.key());
      out.writeLong(k.queued());
      out.writeLong(k.leased());
      out.writeLong(k.done());
      out.writeLong(k.failed());
      out.writeLong(k.nextAllowedAt());
      out.writeLong(k.throttled());
      out.writeLong(k.settled());
      out.writeInt(k.budget());
      out.writeLong(k.spacingMicros());
      out.writeBoolean(k.coordinated());
      out.writeBoolean(k.starting());
      out.writeLong(k.startPaceMicros());
    }

    @Override
    public KeyStats read(ObjectDataInput in) throws IOException {
      return new KeyStats(
          in.readString(),
          in.readLong(),
          in.readLong(),
          in.readLong(),
          in.readLong(),
          in.readLong(),
          in.readLong(),
          in.readLong(),
          in.readInt(),
          in.readLong(),
          in.readBoolean(),
          in.readBoolean(),
          in.readLong());
    }

    @Override
    public int getTypeId() {
      return KEY_STATS;
    }
  }

  /** Writes nothing: for operations without fields. */
  private record StatelessSerializer<T>(int typeId, T instance) implements StreamSerializer<T> {
    @Override
    public void write(ObjectDataOutput out, T object) {}

    @Override
    public T read(ObjectDataInput in) {
      return instance;
    }

    @Override
    public int getTypeId() {
      return typeId;
    }
  }

  private static final class SetBudgetSerializer
      implements StreamSerializer<FrontierProcessors.SetBudget> {
    @Override
    public void write(ObjectDataOutput out, FrontierProcessors.SetBudget op) throws IOException {
      out.writeInt(op.concurrency());
      out.writeLong(op.spacingMicros());
    }

    @Override
    public FrontierProcessors.SetBudget read(ObjectDataInput in) throws IOException {
      return new FrontierProcessors.SetBudget(in.readInt(), in.readLong());
    }

    @Override
    public int getTypeId() {
      return SET_BUDGET;
    }
  }

  private static final class RestoreSerializer
      implements StreamSerializer<FrontierProcessors.Restore> {
    @Override
    public void write(ObjectDataOutput out, FrontierProcessors.Restore op) throws IOException {
      Wire.writeBytes(out, op.saved());
    }

    @Override
    public FrontierProcessors.Restore read(ObjectDataInput in) throws IOException {
      return new FrontierProcessors.Restore(Wire.readBytes(in));
    }

    @Override
    public int getTypeId() {
      return RESTORE;
    }
  }

  private static final class ReplaySerializer
      implements StreamSerializer<FrontierProcessors.Replay> {
    @Override
    public void write(ObjectDataOutput out, FrontierProcessors.Replay op) throws IOException {
      out.writeInt(op.journals().size());
      for (byte[] journal : op.journals()) {
        Wire.writeBytes(out, journal);
      }
    }

    @Override
    public FrontierProcessors.Replay read(ObjectDataInput in) throws IOException {
      int n = in.readInt();
      List<byte[]> journals = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        journals.add(Wire.readBytes(in));
      }
      return new FrontierProcessors.Replay(journals);
    }

    @Override
    public int getTypeId() {
      return REPLAY;
    }
  }

  /** Serialises a record of one long. */
  private record OneLong<T>(
      int typeId,
      java.util.function.LongFunction<T> make,
      java.util.function.ToLongFunction<T> value)
      implements StreamSerializer<T> {
    @Override
    public void write(ObjectDataOutput out, T record) throws IOException {
      out.writeLong(value.applyAsLong(record));
    }

    @Override
    public T read(ObjectDataInput in) throws IOException {
      return make.apply(in.readLong());
    }

    @Override
    public int getTypeId() {
      return typeId;
    }
  }

  /** Serialises a record of two longs. */
  private record TwoLongs<T>(
      int typeId,
      java.util.function.BiFunction<Long, Long, T> make,
      java.util.function.ToLongFunction<T> first,
      java.util.function.ToLongFunction<T> second)
      implements StreamSerializer<T> {
    @Override
    public void write(ObjectDataOutput out, T value) throws IOException {
      out.writeLong(first.applyAsLong(value));
      out.writeLong(second.applyAsLong(value));
    }

    @Override
    public T read(ObjectDataInput in) throws IOException {
      return make.apply(in.readLong(), in.readLong());
    }

    @Override
    public int getTypeId() {
      return typeId;
    }
  }
}
