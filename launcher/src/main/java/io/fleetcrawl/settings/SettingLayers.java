package io.fleetcrawl.settings;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fleetcrawl.model.InvalidInputException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Where a setting comes from when no flag names it, in this order: the environment ({@code
 * FLEETCRAWL_} and the flag's name in capitals, dashes as underscores), the config file ({@code
 * --config FILE} or {@code FLEETCRAWL_CONFIG}), then the bundled defaults file, {@value #DEFAULTS},
 * which is the one place every default is written down and explained.
 *
 * <p>Both files are YAML with the same shape: top-level keys are flag names without their dashes
 * and apply to every command that has the flag; under {@code commands:}, a section named after a
 * command ({@code node:}, {@code demo:}) holds keys for that command alone, which win over the
 * top-level ones of the same file. A key that names no flag of any command is refused with the
 * file, the line and the nearest known key, so a typo never passes silently as a default.
 */
public final class SettingLayers {
  /** The bundled defaults, on the class path; also linked from the README. */
  public static final String DEFAULTS = "fleetcrawl-defaults.yaml";

  /** The environment variable naming a config file, when no --config flag does. */
  public static final String CONFIG_ENV = "FLEETCRAWL_CONFIG";

  /** The key whose sections hold one command's settings each. */
  static final String COMMANDS = "commands";

  /** Reads YAML (and so JSON, which is YAML too) for both files and for {@code --crawls}. */
  public static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private final ObjectNode defaults;
  private final ObjectNode config;
  private final Path configFile;
  private final Map<String, String> env;

  private SettingLayers(
      ObjectNode defaults, ObjectNode config, Path configFile, Map<String, String> env) {
    this.defaults = defaults;
    this.config = config;
    this.configFile = configFile;
    this.env = env;
  }

  /**
   * Reads the bundled defaults and, if named, the config file.
   *
   * @param configFile the file --config names, or null for {@code FLEETCRAWL_CONFIG} or none
   * @param env the process environment
   */
  public static SettingLayers load(Path configFile, Map<String, String> env) {
    ObjectNode defaults;
    try (InputStream in = SettingLayers.class.getResourceAsStream("/" + DEFAULTS)) {
      if (in == null) {
        throw new IllegalStateException(DEFAULTS + " is missing from the jar");
      }
      defaults = object(YAML.readTree(in), DEFAULTS);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read the bundled " + DEFAULTS, e);
    }
    Path file = configFile;
    String fromEnv = env.get(CONFIG_ENV);
    if (file == null && fromEnv != null && !fromEnv.isBlank()) {
      file = Path.of(fromEnv);
    }
    ObjectNode config = YAML.createObjectNode();
    if (file != null) {
      if (!Files.isReadable(file)) {
        throw new InvalidInputException("invalid --config: cannot read " + file);
      }
      try {
        config = object(YAML.readTree(file.toFile()), "--config " + file);
      } catch (JsonProcessingException e) {
        throw new InvalidInputException(
            "invalid --config " + file + at(e.getLocation()) + ": " + e.getOriginalMessage());
      } catch (IOException e) {
        throw new InvalidInputException("invalid --config " + file + ": " + e.getMessage());
      }
    }
    return new SettingLayers(defaults, config, file, env);
  }

  private static ObjectNode object(JsonNode tree, String what) {
    if (tree == null || tree.isMissingNode() || tree.isNull()) {
      return YAML.createObjectNode();
    }
    if (!(tree instanceof ObjectNode o)) {
      throw new InvalidInputException(
          "invalid "
              + what
              + ": expected settings as 'name: value' lines, found "
              + tree.getNodeType());
    }
    return o;
  }

  private static String at(JsonLocation location) {
    return location == null || location.getLineNr() < 1 ? "" : " line " + location.getLineNr();
  }

  /** Returns the config file in use, or null. */
  public Path configFile() {
    return configFile;
  }

  /**
   * Returns the value of a setting for a command, from the first layer that has it, or null: a
   * text, or a list of texts for a YAML sequence.
   *
   * @param key the flag's long name without its dashes
   */
  public Object value(String command, String key) {
    String fromEnv = fromEnv(key);
    if (fromEnv != null) {
      return fromEnv;
    }
    JsonNode node = lookup(config, command, key);
    if (node == null) {
      node = lookup(defaults, command, key);
    }
    return node == null || node.isNull() ? null : plain(node);
  }

  /**
   * Returns where the value {@link #value} gives comes from, for error messages: the environment
   * variable, the config file (with the key) or the bundled defaults; null when no layer has one.
   */
  public String source(String command, String key) {
    if (fromEnv(key) != null) {
      return "the environment variable " + envName(key);
    }
    if (lookup(config, command, key) != null) {
      return "'" + key + "' in --config " + configFile;
    }
    return lookup(defaults, command, key) != null ? "'" + key + "' in " + DEFAULTS : null;
  }

  /**
   * Returns the environment's value for a setting, or null; a variable set to blank counts as
   * unset, as deployment files often write them ({@code FLEETCRAWL_MEMBERS=}).
   */
  private String fromEnv(String key) {
    String value = env.get(envName(key));
    return value == null || value.isBlank() ? null : value;
  }

  /** Returns the environment variable that sets a flag: {@code FLEETCRAWL_MAX_DEPTH}. */
  public static String envName(String key) {
    return "FLEETCRAWL_" + key.toUpperCase(Locale.ROOT).replace('-', '_');
  }

  private static JsonNode lookup(ObjectNode layer, String command, String key) {
    JsonNode section = layer.path(COMMANDS).get(command);
    if (section instanceof ObjectNode s && s.has(key)) {
      return s.get(key);
    }
    return layer.has(key) ? layer.get(key) : null;
  }

  private static Object plain(JsonNode node) {
    if (node.isArray()) {
      List<String> items = new ArrayList<>();
      node.forEach(n -> items.add(n.asText()));
      return items;
    }
    return node.asText();
  }

  /**
   * Refuses keys that name no flag, in the config file and in the defaults: top-level keys must be
   * known to some command, a command's section must hold that command's flags.
   *
   * @param flags every command's flag names (without dashes), by command name; null for a command
   *     that is known but not installed (the test kit's), whose section is then not checked
   */
  public void check(Map<String, Set<String>> flags) {
    check(config, configFile == null ? null : "--config " + configFile, flags);
    check(defaults, DEFAULTS, flags);
  }

  private static void check(ObjectNode layer, String where, Map<String, Set<String>> flags) {
    if (where == null) {
      return;
    }
    Set<String> all = new TreeSet<>();
    flags.values().stream().filter(java.util.Objects::nonNull).forEach(all::addAll);
    for (Iterator<Map.Entry<String, JsonNode>> it = layer.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (COMMANDS.equals(e.getKey())) {
        checkSections(e.getValue(), where, flags);
      } else if (!all.contains(e.getKey())) {
        throw unknown(where, e.getKey(), e.getKey(), all);
      }
    }
  }

  private static void checkSections(
      JsonNode sections, String where, Map<String, Set<String>> flags) {
    if (!sections.isObject()) {
      throw new InvalidInputException(
          "invalid " + where + ": '" + COMMANDS + "' must hold one section per command");
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = sections.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> section = it.next();
      if (!flags.containsKey(section.getKey())) {
        throw unknown(where, COMMANDS + "." + section.getKey(), section.getKey(), flags.keySet());
      }
      Set<String> own = flags.get(section.getKey());
      if (own == null) {
        continue;
      }
      if (!section.getValue().isObject()) {
        throw new InvalidInputException(
            "invalid "
                + where
                + ": '"
                + COMMANDS
                + "."
                + section.getKey()
                + "' must hold settings");
      }
      for (Iterator<String> keys = section.getValue().fieldNames(); keys.hasNext(); ) {
        String key = keys.next();
        if (!own.contains(key)) {
          throw unknown(where, COMMANDS + "." + section.getKey() + "." + key, key, own);
        }
      }
    }
  }

  private static InvalidInputException unknown(
      String where, String shown, String key, Set<String> known) {
    String nearest = null;
    int best = Integer.MAX_VALUE;
    for (String k : known) {
      int d = distance(key, k);
      if (d < best) {
        best = d;
        nearest = k;
      }
    }
    String hint = nearest != null && best <= 3 ? "; did you mean '" + nearest + "'?" : "";
    return new InvalidInputException(
        "invalid "
            + where
            + ": unknown setting '"
            + shown
            + "'"
            + hint
            + " (settings are flag names without the dashes; see "
            + DEFAULTS
            + ")");
  }

  /** Levenshtein distance, for the hint on a misspelt key. */
  static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}
