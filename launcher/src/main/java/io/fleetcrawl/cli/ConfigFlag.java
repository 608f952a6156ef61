package io.fleetcrawl.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The {@code --config} flag of the commands whose defaults are layered. Its value is read before
 * picocli parses anything (see {@link Fleetcrawl#commandLine(String[], java.util.Map)}), since the
 * file supplies the other flags' defaults; the field only lets picocli accept and document it.
 */
public final class ConfigFlag {
  @Option(
      names = "--config",
      paramLabel = "FILE",
      description =
          "YAML settings under the flags and the environment, over the bundled"
              + " fleetcrawl-defaults.yaml (env FLEETCRAWL_CONFIG).")
  Path config;
}
