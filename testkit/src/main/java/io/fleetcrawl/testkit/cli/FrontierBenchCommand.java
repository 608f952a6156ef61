package io.fleetcrawl.testkit.cli;

import com.hazelcast.config.Config;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.partition.MigrationListener;
import com.hazelcast.partition.MigrationState;
import com.hazelcast.partition.ReplicaMigrationEvent;
import io.fleetcrawl.bus.Json;
import io.fleetcrawl.cli.BoundedRun;
import io.fleetcrawl.cli.Fleetcrawl;
import io.fleetcrawl.frontier.FrontierStore;
import io.fleetcrawl.frontier.Lease;
import io.fleetcrawl.frontier.SettleResult;
import io.fleetcrawl.frontier.Settlement;
import io.fleetcrawl.model.CrawlRequest;
import io.fleetcrawl.model.InvalidInputException;
import io.fleetcrawl.node.ClusterSettings;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code fleetcrawl frontier-bench}: fills a real Hazelcast frontier (one or more members in this
 * JVM, joined over loopback, one synchronous backup) and reports enqueue-with-dedup and
 * claim-and-ack rates and the heap each queued and each seen URL costs, backups included.
 */
@Command(
    name = "frontier-bench",
    mixinStandardHelpOptions = true,
    description =
        "Measure the frontier: enqueue and claim+ack rates, bytes per queued and per seen URL.")
public final class FrontierBenchCommand implements Callable<Integer> {
  @Option(
      names = "--urls",
      defaultValue = "1000000",
      description = "URLs to enqueue (default: ${DEFAULT-VALUE}).")
  int urls;

  @Option(
      names = "--keys",
      defaultValue = "1000",
      description = "Politeness keys (hosts) (default: ${DEFAULT-VALUE}).")
  int keys;

  @Option(
      names = "--members",
      defaultValue = "2",
      description = "Hazelcast members in this JVM (default: ${DEFAULT-VALUE}).")
  int members;

  @Option(
      names = "--remote-members",
      defaultValue = "0",
      description =
          "Extra members, each in a JVM of its own; heap figures then cover this JVM only"
              + " (default: ${DEFAULT-VALUE}).")
  int remoteMembers;

  @Option(
      names = "--batch",
      defaultValue = "20",
      description = "URLs per enqueue round trip, as a page's links (default: ${DEFAULT-VALUE}).")
  int batch;

  @Option(
      names = "--in-flight",
      defaultValue = "64",
      description = "Round trips in flight (default: ${DEFAULT-VALUE}).")
  int inFlight;

  @Option(
      names = "--join-after-fill",
      description =
          "Once the URLs are queued, start one more member (a JVM of its own) and measure the"
              + " partition migration it causes: time, partitions moved, bytes it received.")
  boolean joinAfterFill;

  @Override
  public Integer call() throws Exception {
    if (urls < 1 || keys < 1 || members < 1 || batch < 1 || inFlight < 1 || remoteMembers < 0) {
      throw new InvalidInputException("invalid frontier-bench option: every count must be >= 1");
    }
    String cluster = "frontier-bench-" + UUID.randomUUID();
    List<HazelcastInstance> instances = new ArrayList<>();
    List<Process> remote = new ArrayList<>();
    Vertx vertx = Vertx.vertx();
    try {
      for (int i = 0; i < remoteMembers; i++) {
        remote.add(startRemoteMember(cluster));
      }
      for (int i = 0; i < members; i++) {
        Config config = new ClusterSettings(null, cluster, List.of(), null).toHazelcastConfig();
        instances.add(Hazelcast.newHazelcastInstance(config));
      }
      FrontierStore frontier = new FrontierStore(instances.get(0), "bench");
      Context context = vertx.getOrCreateContext();
      long heapEmpty = usedHeapAfterGc();

      long t0 = System.nanoTime();
      runBounded(
          context,
          urls / batch + (urls % batch == 0 ? 0 : 1),
          i -> {
            String key = "host" + (i % keys) + ".example";
            List<CrawlRequest> requests = new ArrayList<>(batch);
            for (int j = 0; j < batch && (long) i * batch + j < urls; j++) {
              requests.add(
                  new CrawlRequest(
                      "https://" + key + "/section/" + (i / keys) + "/page-" + j + ".html", 2, 0));
            }
            return frontier.offer(context, key, requests).mapEmpty();
          });
      double enqueueSeconds = (System.nanoTime() - t0) / 1e9;
      long heapQueued = usedHeapAfterGc();
      Map<String, Object> migration =
          joinAfterFill ? joinAndMigrate(cluster, instances, remote) : null;

      long t1 = System.nanoTime();
      long[] claimed = {0};
      runBounded(context, keys, k -> drain(context, frontier, "host" + k + ".example", claimed));
      double drainSeconds = (System.nanoTime() - t1) / 1e9;
      long heapSeen = usedHeapAfterGc();

      Map<String, Object> result = new LinkedHashMap<>();
      result.put("urls", urls);
      result.put("keys", keys);
      result.put("members", members + remoteMembers);
      result.put("jvms", 1 + remoteMembers);
      result.put("backups", members + remoteMembers > 1 ? 1 : 0);
      result.put("enqueuePerSecond", Math.round(urls / enqueueSeconds));
      result.put("claimAndAckPerSecond", Math.round(claimed[0] / drainSeconds));
      result.put("claimed", claimed[0]);
      if (remoteMembers == 0) {
        result.put("bytesPerQueuedUrl", Math.round((heapQueued - heapEmpty) / (double) urls));
        result.put("bytesPerSeenUrl", Math.round((heapSeen - heapEmpty) / (double) urls));
        result.put("heapQueuedMiB", (heapQueued - heapEmpty) >> 20);
      }
      if (migration != null) {
        result.put("join", migration);
      }
      System.out.println(new String(Json.toBytes(result)));
      return 0;
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
      instances.forEach(HazelcastInstance::shutdown);
      for (Process p : remote) {
        p.getOutputStream().close();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      }
    }
  }

  /**
   * Starts one more member in a JVM of its own and waits for the migration its arrival causes to
   * finish; answers its duration, the partitions moved and the bytes the newcomer received.
   */
  private static Map<String, Object> joinAndMigrate(
      String cluster, List<HazelcastInstance> instances, List<Process> remote) throws Exception {
    CountDownLatch finished = new CountDownLatch(1);
    AtomicReference<MigrationState> last = new AtomicReference<>();
    AtomicInteger failedReplicas = new AtomicInteger();
    instances
        .get(0)
        .getPartitionService()
        .addMigrationListener(
            new MigrationListener() {
              @Override
              public void migrationStarted(MigrationState state) {}

              @Override
              public void migrationFinished(MigrationState state) {
                last.set(state);
                finished.countDown();
              }

              @Override
              public void replicaMigrationCompleted(ReplicaMigrationEvent event) {}

              @Override
              public void replicaMigrationFailed(ReplicaMigrationEvent event) {
                failedReplicas.incrementAndGet();
              }
            });
    long t0 = System.nanoTime();
    Process joiner = startRemoteMember(cluster);
    remote.add(joiner);
    double joinedSeconds = (System.nanoTime() - t0) / 1e9;
    if (!finished.await(30, TimeUnit.MINUTES)) {
      throw new IllegalStateException("the migration did not finish in 30 minutes");
    }
    while (!instances.get(0).getPartitionService().isClusterSafe()) {
      Thread.sleep(50);
    }
    double safeSeconds = (System.nanoTime() - t0) / 1e9;
    MigrationState state = last.get();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("joinedSeconds", Math.round(joinedSeconds * 100) / 100.0);
    m.put("migrationMs", state.getTotalElapsedTime());
    m.put("replicaMigrations", state.getCompletedMigrations());
    m.put("failedReplicaMigrations", failedReplicas.get());
    m.put("clusterSafeAfterSeconds", Math.round(safeSeconds * 100) / 100.0);
    m.put("newcomerReceivedMiB", Math.round(receivedBytes(joiner.pid()) / 1048576.0 * 10) / 10.0);
    return m;
  }

  /** Bytes received by a process's TCP sockets, from the kernel's counters ({@code ss -tinp}). */
  private static long receivedBytes(long pid) throws Exception {
    Process ss = new ProcessBuilder("ss", "-tinpH").redirectErrorStream(true).start();
    List<String> lines =
        new String(ss.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8)
            .lines()
            .toList();
    ss.waitFor(10, TimeUnit.SECONDS);
    long total = 0;
    for (int i = 0; i + 1 < lines.size(); i++) {
      if (lines.get(i).contains("pid=" + pid + ",")) {
        Matcher m = BYTES_RECEIVED.matcher(lines.get(i + 1));
        if (m.find()) {
          total += Long.parseLong(m.group(1));
        }
      }
    }
    return total;
  }

  private static final Pattern BYTES_RECEIVED = Pattern.compile("bytes_received:(\\d+)");

  /** Starts a member in a JVM of its own, with this JVM's flags; waits until it has started. */
  private static Process startRemoteMember(String cluster) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(Fleetcrawl.class.getName());
    cmd.add("frontier-member");
    cmd.add("--cluster-name");
    cmd.add(cluster);
    Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    java.io.InputStream out = p.getInputStream();
    if (awaitLine(out, "frontier member ready")) {
      // Whatever the member prints later is read and dropped, so a full pipe never stalls it.
      Thread drain = new Thread(() -> dropAll(out), "frontier-member-output");
      drain.setDaemon(true);
      drain.start();
      return p;
    }
    throw new IllegalStateException("frontier member exited " + p.waitFor() + " before starting");
  }

  /**
   * Claims and acknowledges every URL of a key, in the worker's settle-and-claim rhythm. Each step
   * is scheduled afresh rather than composed onto the last: a key of millions of URLs would
   * otherwise build a chain of futures that overflows the stack when it completes.
   */
  private static Future<Void> drain(
      Context context, FrontierStore frontier, String key, long[] claimed) {
    Promise<Void> drained = Promise.promise();
    frontier
        .claim(context, key, 0, 64, 64, 600_000)
        .onComplete(r -> settleNext(context, frontier, key, r, claimed, drained));
    return drained.future();
  }

  private static void settleNext(
      Context context,
      FrontierStore frontier,
      String key,
      AsyncResult<SettleResult> result,
      long[] claimed,
      Promise<Void> drained) {
    if (result.failed()) {
      drained.fail(result.cause());
      return;
    }
    List<Lease> leases = result.result().claim().leases();
    if (leases.isEmpty()) {
      drained.complete();
      return;
    }
    claimed[0] += leases.size();
    List<Settlement> done = leases.stream().map(l -> Settlement.done(l.id())).toList();
    context.runOnContext(
        v ->
            frontier
                .settleAndClaim(context, key, done, 0, -1, 0, 64, 64, 600_000)
                .onComplete(r -> settleNext(context, frontier, key, r, claimed, drained)));
  }

  /** Runs {@code count} tasks with at most {@code --in-flight} outstanding; waits for all. */
  private void runBounded(Context context, int count, IntFunction<Future<Void>> task)
      throws Exception {
    BoundedRun.run(context, count, inFlight, task::apply).await(1, TimeUnit.HOURS);
  }

  /** Reads lines (ASCII) until one contains {@code text}; false at the end of the stream. */
  private static boolean awaitLine(java.io.InputStream in, String text) throws java.io.IOException {
    StringBuilder line = new StringBuilder();
    for (int b = in.read(); b >= 0; b = in.read()) {
      if (b == '\n') {
        if (line.indexOf(text) >= 0) {
          return true;
        }
        line.setLength(0);
      } else {
        line.append((char) b);
      }
    }
    return false;
  }

  private static void dropAll(java.io.InputStream in) {
    try (in) {
      in.transferTo(java.io.OutputStream.nullOutputStream());
    } catch (java.io.IOException e) {
      // The member is gone: nothing left to read.
    }
  }

  private static long usedHeapAfterGc() throws InterruptedException {
    // A heap figure means something only after a full collection (this is a benchmark).
    for (int i = 0; i < 3; i++) {
      ManagementFactory.getMemoryMXBean().gc();
      Thread.sleep(200);
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }
}
