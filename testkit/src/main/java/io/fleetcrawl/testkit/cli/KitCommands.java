package io.fleetcrawl.testkit.cli;

import io.fleetcrawl.cli.CommandSet;
import java.util.List;

/** The test kit's commands, added to {@code fleetcrawl} when the kit is on the class path. */
public final class KitCommands implements CommandSet {
  @Override
  public List<Object> commands() {
    return List.of(
        new DemoCommand(),
        new FetchBenchCommand(),
        new FrontierBenchCommand(),
        new FrontierMemberCommand(),
        new StateBenchCommand(),
        new TreeSiteCommand());
  }
}
