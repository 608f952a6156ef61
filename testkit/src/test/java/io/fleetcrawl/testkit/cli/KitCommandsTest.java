package io.fleetcrawl.testkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fleetcrawl.cli.Fleetcrawl;
import io.fleetcrawl.settings.LayeredDefaults;
import io.fleetcrawl.settings.SettingLayers;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/** With the kit on the class path, fleetcrawl has its commands, layered like the product's. */
class KitCommandsTest {
  @TempDir Path dir;

  @Test
  void theKitsCommandsJoinFleetcrawlWithHelp() {
    CommandLine root = Fleetcrawl.commandLine(new String[0], Map.of());
    for (String command :
        new String[] {"demo", "tree-site", "fetch-bench", "frontier-bench", "frontier-member"}) {
      assertTrue(root.getSubcommands().containsKey(command), command);
    }
    for (String command : new String[] {"demo", "fetch-bench", "frontier-bench"}) {
      StringWriter out = new StringWriter();
      CommandLine commandLine = Fleetcrawl.commandLine(new String[0], Map.of());
      int status = commandLine.setOut(new PrintWriter(out)).execute(command, "--help");
      assertEquals(0, status, command);
      assertTrue(out.toString().contains("Usage: fleetcrawl " + command), out.toString());
    }
  }

  @Test
  void theDemoTakesItsOwnDefaultsAndTheSharedOnesFromTheLayers() throws Exception {
    Path config = dir.resolve("c.yaml");
    Files.writeString(config, "max-depth: 4\ncommands:\n  demo:\n    pages-per-host: 20\n");
    String[] args = {"demo", "--config", config.toString()};
    CommandLine demo =
        Fleetcrawl.commandLine(args, Map.of())
            .parseArgs(args)
            .subcommand()
            .commandSpec()
            .commandLine();
    assertEquals(Path.of("fleetcrawl-demo"), option(demo, "--out"), "the defaults file's");
    assertEquals(20, option(demo, "--pages-per-host"), "the config file's demo section");
    assertEquals(4, option(demo, "--max-depth"), "a shared key of the config file");
  }

  @Test
  void everyFlagOfTheKitsLayeredCommandsHasItsDefaultInTheDefaultsFile() throws Exception {
    JsonNode defaults;
    try (InputStream in = SettingLayers.class.getResourceAsStream("/" + SettingLayers.DEFAULTS)) {
      defaults = SettingLayers.YAML.readTree(in);
    }
    CommandLine root = Fleetcrawl.commandLine(new String[0], Map.of());
    List<String> missing = new ArrayList<>();
    for (String command : List.of("demo", "fetch-bench")) {
      for (OptionSpec option : root.getSubcommands().get(command).getCommandSpec().options()) {
        String key = LayeredDefaults.key(option);
        boolean exempt =
            option.usageHelp() || option.versionHelp() || option.required() || key.equals("config");
        if (!exempt && !defaults.has(key) && !defaults.path("commands").path(command).has(key)) {
          missing.add(command + " --" + key);
        }
      }
    }
    assertEquals(List.of(), missing, "flags without a line in " + SettingLayers.DEFAULTS);
  }

  private static Object option(CommandLine command, String name) {
    return command.getCommandSpec().findOption(name).getValue();
  }
}
