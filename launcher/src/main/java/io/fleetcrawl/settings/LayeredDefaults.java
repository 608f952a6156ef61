package io.fleetcrawl.settings;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/**
 * Gives picocli each flag's default from the {@link SettingLayers} of one command, so a flag given
 * on the command line wins over the environment, the config file and the defaults file, in that
 * order. Picocli takes one text per default: a flag that can be repeated without a separator
 * ({@code --include}) gets a list from the layers through {@link #applyLists} after parsing.
 */
public final class LayeredDefaults implements IDefaultValueProvider {
  private final SettingLayers layers;
  private final String command;

  public LayeredDefaults(SettingLayers layers, String command) {
    this.layers = layers;
    this.command = command;
  }

  /**
   * Returns where a flag's value came from when the command line did not give it, or null when it
   * did or no layer has one: for an error about the value, which would otherwise name a flag the
   * user never typed.
   */
  public String sourceUnlessGiven(OptionSpec option, String[] args) {
    for (String arg : args) {
      for (String name : option.names()) {
        if (arg.equals(name) || arg.startsWith(name + "=")) {
          return null;
        }
      }
    }
    return layers.source(command, key(option));
  }

  /** Returns a flag's settings key: its longest name without the dashes. */
  public static String key(OptionSpec option) {
    return option.longestName().replaceFirst("^-+", "");
  }

  @Override
  public String defaultValue(ArgSpec arg) {
    if (!(arg instanceof OptionSpec option) || option.usageHelp() || option.versionHelp()) {
      return null;
    }
    Object value = layers.value(command, key(option));
    if (value == null) {
      return null;
    }
    if (value instanceof List<?> items) {
      if (!option.isMultiValue()) {
        throw new CommandLine.ParameterException(
            option.command().commandLine(),
            "Invalid value for option '"
                + option.longestName()
                + "': takes one value, not the list "
                + items,
            option,
            String.valueOf(items));
      }
      // Repeated without a separator: set after parsing, see applyLists. An empty list is the
      // flag's own empty default.
      return option.splitRegex().isEmpty() || items.isEmpty()
          ? null
          : String.join(",", stringify(items));
    }
    return option.isMultiValue() && option.splitRegex().isEmpty() ? null : value.toString();
  }

  /**
   * Sets, on the command that will run, every repeatable flag without a separator that the command
   * line left out and a layer gives: picocli's default values hold one text only.
   */
  public static void applyLists(ParseResult parsed) {
    ParseResult last = parsed;
    while (last.hasSubcommand()) {
      last = last.subcommand();
    }
    if (!(last.commandSpec().defaultValueProvider() instanceof LayeredDefaults defaults)) {
      return;
    }
    for (OptionSpec option : last.commandSpec().options()) {
      if (!option.isMultiValue()
          || !option.splitRegex().isEmpty()
          || last.hasMatchedOption(option)) {
        continue;
      }
      Object value = defaults.layers.value(defaults.command, key(option));
      if (value != null && !(value instanceof List<?> items && items.isEmpty())) {
        option.setValue(
            value instanceof List<?> items
                ? new ArrayList<>(stringify(items))
                : new ArrayList<>(List.of(value.toString())));
      }
    }
  }

  /** Runs the command line after {@link #applyLists}; picocli's usual strategy otherwise. */
  public static CommandLine.IExecutionStrategy strategy() {
    return parsed -> {
      applyLists(parsed);
      return new CommandLine.RunLast().execute(parsed);
    };
  }

  private static List<String> stringify(List<?> items) {
    List<String> out = new ArrayList<>();
    items.forEach(i -> out.add(String.valueOf(i)));
    return out;
  }
}
