package io.fleetcrawl.testkit.cli;

import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.fleetcrawl.node.ClusterSettings;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code fleetcrawl frontier-member}: a bare Hazelcast member holding frontier partitions, for
 * {@code frontier-bench --remote-members}. It runs until its standard input closes.
 */
@Command(
    name = "frontier-member",
    hidden = true,
    description = "A bare frontier member for frontier-bench; exits when stdin closes.")
public final class FrontierMemberCommand implements Callable<Integer> {
  @Option(names = "--cluster-name", required = true)
  String clusterName;

  @Override
  public Integer call() throws Exception {
    HazelcastInstance member =
        Hazelcast.newHazelcastInstance(
            new ClusterSettings(null, clusterName, List.of(), null).toHazelcastConfig());
    System.out.println("frontier member ready");
    System.out.flush();
    try {
      while (System.in.read() >= 0) {
        // Wait for the bench to close our stdin (or to die, which closes it too).
      }
    } finally {
      member.shutdown();
    }
    return 0;
  }
}
