package io.fleetcrawl.cli;

import io.fleetcrawl.model.InvalidInputException;
import io.fleetcrawl.node.SerialFilter;
import io.fleetcrawl.settings.LayeredDefaults;
import io.fleetcrawl.settings.SettingLayers;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.OptionSpec;

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
      ControlCommand.class,
    })
public final class Fleetcrawl implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /**
   * The commands whose flags take their defaults from the layers (demo and fetch-bench when the
   * test kit is on the class path); the kit's other commands are tools and take flags only.
   */
  static final List<String> LAYERED =
      List.of("crawl", "node", "submit", "status", "control", "demo", "fetch-bench");

  /** Runs the command line and exits with its status: 0 done, 1 failed, 2 bad arguments. */
  public static void main(String[] args) {
    SerialFilter.install();
    CommandLine commandLine;
    try {
      commandLine = commandLine(args, System.getenv());
    } catch (InvalidInputException e) {
      System.err.println("fleetcrawl: " + e.getMessage());
      System.exit(2);
      return;
    }
    System.exit(commandLine.execute(args));
  }

  /**
   * Returns the command line with the defaults layered under the flags: the environment, then the
   * config file named by {@code --config} in {@code args} (or by {@code FLEETCRAWL_CONFIG}), then
   * the bundled defaults; see {@link SettingLayers}.
   *
   * @throws InvalidInputException when the config file cannot be read or names an unknown key
   */
  public static CommandLine commandLine(String[] args, Map<String, String> env) {
    SettingLayers layers = SettingLayers.load(configFile(args), env);
    CommandLine commandLine = commandLine(layers);
    Map<String, Set<String>> flags = new LinkedHashMap<>();
    for (String name : LAYERED) {
      CommandLine command = commandLine.getSubcommands().get(name);
      if (command == null) {
        flags.put(name, null); // a test-kit command, and the kit is not on the class path
        continue;
      }
      Set<String> keys = new TreeSet<>();
      for (OptionSpec option : command.getCommandSpec().options()) {
        if (!option.usageHelp()
            && !option.versionHelp()
            && !"--config".equals(option.longestName())) {
          keys.add(LayeredDefaults.key(option));
        }
      }
      flags.put(name, keys);
    }
    layers.check(flags);
    return commandLine;
  }

  /** Returns the command line with the bundled defaults and this process's environment. */
  public static CommandLine commandLine() {
    return commandLine(new String[0], System.getenv());
  }

  private static CommandLine commandLine(SettingLayers layers) {
    CommandLine commandLine = new CommandLine(new Fleetcrawl());
    // Added before the settings below, which picocli applies to the subcommands present.
    for (CommandSet set : ServiceLoader.load(CommandSet.class)) {
      set.commands().forEach(commandLine::addSubcommand);
    }
    commandLine
        .setCaseInsensitiveEnumValuesAllowed(true)
        .setExecutionStrategy(LayeredDefaults.strategy())
        .setParameterExceptionHandler(Fleetcrawl::badArguments)
        .setExecutionExceptionHandler(
            (thrown, cmd, parsed) -> {
              Exception e = thrown;
              // A refusal found while the node starts arrives wrapped by the future it ran
              // in.
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
    for (String name : LAYERED) {
      CommandLine command = commandLine.getSubcommands().get(name);
      if (command != null) {
        command.setDefaultValueProvider(new LayeredDefaults(layers, name));
      }
    }
    return commandLine;
  }

  /**
   * Reports bad arguments as picocli does (the message, then suggestions or the usage), except for
   * a bad value a settings layer gave: that names the layer (the environment variable or the file
   * and key) instead of printing the usage of a flag the user never typed.
   */
  private static int badArguments(CommandLine.ParameterException e, String[] args) {
    CommandLine cmd = e.getCommandLine();
    PrintWriter err = cmd.getErr();
    if (e.getArgSpec() instanceof OptionSpec option
        && cmd.getCommandSpec().defaultValueProvider() instanceof LayeredDefaults layered) {
      String source = layered.sourceUnlessGiven(option, args);
      if (source != null) {
        err.println("fleetcrawl: " + e.getMessage() + " (the value comes from " + source + ")");
        return cmd.getCommandSpec().exitCodeOnInvalidInput();
      }
    }
    err.println(e.getMessage());
    if (!CommandLine.UnmatchedArgumentException.printSuggestions(e, err)) {
      cmd.usage(err, cmd.getColorScheme());
    }
    return cmd.getCommandSpec().exitCodeOnInvalidInput();
  }

  /**
   * Returns the file {@code --config FILE} or {@code --config=FILE} names, or null. Read before
   * parsing, because the file supplies the defaults picocli applies while it parses.
   */
  static Path configFile(String[] args) {
    for (int i = 0; i < args.length; i++) {
      if ("--config".equals(args[i]) && i + 1 < args.length) {
        return Path.of(args[i + 1]);
      }
      if (args[i].startsWith("--config=")) {
        return Path.of(args[i].substring("--config=".length()));
      }
    }
    return null;
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(
        spec.commandLine(), "missing command: crawl, node, submit or status");
  }
}
