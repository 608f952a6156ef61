package io.fleetcrawl.cli;

import io.fleetcrawl.model.InvalidInputException;
import io.fleetcrawl.node.SerialFilter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code fleetcrawl} command: dispatches to its subcommands. */
@Command(
    name = "fleetcrawl",
    mixinStandardHelpOptions = true,
    version = "fleetcrawl 0.1.0",
    description = "A distributed, polite web crawler on Vert.x and Hazelcast.",
    subcommands = {
      CrawlCommand.class,
      NodeCommand.class,
      SubmitCommand.class,
      StatusCommand.class,
      DemoCommand.class,
      FetchBenchCommand.class,
      FrontierBenchCommand.class,
      FrontierMemberCommand.class,
      TreeSiteCommand.class
    })
public final class Fleetcrawl implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** Runs the command line and exits with its status: 0 done, 1 failed, 2 bad arguments. */
  public static void main(String[] args) {
    SerialFilter.install();
    System.exit(commandLine().execute(args));
  }

  /** Returns the configured command line, for tests and for {@link #main}. */
  public static CommandLine commandLine() {
    return new CommandLine(new Fleetcrawl())
        .setCaseInsensitiveEnumValuesAllowed(true)
        .setExecutionExceptionHandler(
            (thrown, cmd, parsed) -> {
              Exception e = thrown;
              // A refusal found while the node starts arrives wrapped by the future it ran in.
              while ((e instanceof java.util.concurrent.ExecutionException
                      || e instanceof java.util.concurrent.CompletionException)
                  && e.getCause() instanceof Exception cause) {
                e = cause;
              }
              if (e instanceof InvalidInputException) {
                cmd.getErr().println("fleetcrawl: " + e.getMessage());
                return 2;
              }
              // Not the user's input: a fault of the crawler or of its surroundings.
              cmd.getErr().println("fleetcrawl: " + e);
              return 1;
            });
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(
        spec.commandLine(), "missing command: crawl, node or demo");
  }
}
