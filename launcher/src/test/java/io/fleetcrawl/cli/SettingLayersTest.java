package io.fleetcrawl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fleetcrawl.config.CrawlConfig;
import io.fleetcrawl.config.FetchConfig;
import io.fleetcrawl.config.OutputConfig;
import io.fleetcrawl.config.PoolConfig;
import io.fleetcrawl.config.RequestConfig;
import io.fleetcrawl.config.TrapLimits;
import io.fleetcrawl.model.InvalidInputException;
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
import picocli.CommandLine.ParseResult;

/**
 * A setting comes from the first layer that has it: a flag, the environment, the config file, the
 * bundled defaults file. The defaults file is the one place defaults are written down.
 */
class SettingLayersTest {
  @TempDir Path dir;

  private static JsonNode bundledDefaults() throws Exception {
    try (InputStream in = SettingLayers.class.getResourceAsStream("/" + SettingLayers.DEFAULTS)) {
      return SettingLayers.YAML.readTree(in);
    }
  }

  /** Parses as {@code main} would, lists included, and returns the running command's options. */
  private static CommandLine parse(Map<String, String> env, String... args) {
    CommandLine commandLine = Fleetcrawl.commandLine(args, env);
    ParseResult parsed = commandLine.parseArgs(args);
    LayeredDefaults.applyLists(parsed);
    return parsed.subcommand().commandSpec().commandLine();
  }

  /** Returns the refusal of a command line whose settings cannot be loaded. */
  private static InvalidInputException refused(String... args) {
    return assertThrows(InvalidInputException.class, () -> Fleetcrawl.commandLine(args, Map.of()));
  }

  private static Object value(CommandLine command, String flag) {
    return command.getCommandSpec().findOption(flag).getValue();
  }

  @Test
  void everyFlagOfALayeredCommandHasItsDefaultWrittenInTheDefaultsFile() throws Exception {
    JsonNode defaults = bundledDefaults();
    CommandLine root = Fleetcrawl.commandLine(new String[0], Map.of());
    List<String> missing = new ArrayList<>();
    for (String command : Fleetcrawl.LAYERED) {
      if (!root.getSubcommands().containsKey(command)) {
        continue; // the test kit's (its own test covers it)
      }
      for (OptionSpec option : root.getSubcommands().get(command).getCommandSpec().options()) {
        String key = LayeredDefaults.key(option);
        boolean exempt =
            option.usageHelp() || option.versionHelp() || option.required() || key.equals("config");
        boolean written = defaults.has(key) || defaults.path("commands").path(command).has(key);
        if (!exempt && !written) {
          missing.add(command + " --" + key);
        }
      }
    }
    assertEquals(List.of(), missing, "flags without a line in " + SettingLayers.DEFAULTS);
  }

  @Test
  void theDefaultsFileAgreesWithTheDefaultsTheRecordsDocument() throws Exception {
    JsonNode d = bundledDefaults();
    assertEquals(CrawlConfig.DEFAULT_NAME, d.get("crawl").asText());
    assertEquals(CrawlConfig.DEFAULT_MAX_DEPTH, d.get("max-depth").asInt());
    assertEquals(CrawlConfig.DEFAULT_MAX_ATTEMPTS, d.get("max-attempts").asInt());
    assertEquals(CrawlConfig.DEFAULT_MAX_URLS_PER_HOST, d.get("max-urls-per-host").asLong());
    assertEquals(CrawlConfig.DEFAULT_USER_AGENT, d.get("user-agent").asText());
    assertEquals(TrapLimits.DEFAULT_MAX_URL_LENGTH, d.get("max-url-length").asInt());
    assertEquals(TrapLimits.DEFAULT_MAX_LINKS_PER_PAGE, d.get("max-links-per-page").asInt());
    assertEquals(TrapLimits.DEFAULT_MAX_SEGMENT_REPEATS, d.get("max-segment-repeats").asInt());
    assertEquals(TrapLimits.DEFAULT_MAX_QUERY_PARAMS, d.get("max-query-params").asInt());
    List<String> strip = new java.util.ArrayList<>();
    d.get("strip-param").forEach(n -> strip.add(n.asText()));
    assertEquals(TrapLimits.DEFAULT_STRIP_PARAMS, strip);
    assertEquals(FetchConfig.DEFAULT_PER_HOST_CONCURRENCY, d.get("per-host-concurrency").asInt());
    assertEquals(FetchConfig.DEFAULT_WORKER_MAX_IN_FLIGHT, d.get("worker-max-in-flight").asInt());
    assertEquals(FetchConfig.DEFAULT_TOTAL_TIMEOUT_MS, d.get("total-timeout-ms").asInt());
    assertEquals(FetchConfig.DEFAULT_MAX_BODY_BYTES, d.get("max-body-bytes").asInt());
    assertEquals(FetchConfig.DEFAULT_MAX_CRAWL_DELAY_MS, d.get("max-crawl-delay-ms").asLong());
    assertEquals(RequestConfig.DEFAULT_MAX_COOKIES_PER_HOST, d.get("max-cookies-per-host").asInt());
    assertEquals(
        RequestConfig.DEFAULT_COOKIE_MEMORY_BYTES >> 20, d.get("cookie-memory-mb").asLong());
    assertEquals(OutputConfig.DEFAULT_WARC_ROTATE_BYTES >> 20, d.get("warc-rotate-mb").asLong());
    assertEquals(OutputConfig.DEFAULT_MAX_OUTLINKS, d.get("max-outlinks").asInt());
    assertEquals(PoolConfig.DEFAULT_HTTP1_MAX_PER_ORIGIN, d.get("http1-max-per-origin").asInt());
    assertEquals(PoolConfig.DEFAULT_IDLE_EXPIRY_SECONDS, d.get("idle-expiry-seconds").asInt());
    assertEquals(PoolConfig.DEFAULT_MAX_IDLE_CONNECTIONS, d.get("max-idle-connections").asInt());
    assertEquals(PoolConfig.DEFAULT_MAX_LIFETIME_SECONDS, d.get("max-lifetime-seconds").asInt());
    assertEquals(PoolConfig.DEFAULT_CONNECT_TIMEOUT_MS, d.get("connect-timeout-ms").asInt());
    assertEquals(PoolConfig.DEFAULT_DNS_TTL_SECONDS, d.get("dns-ttl-seconds").asInt());
    assertEquals(PoolConfig.DEFAULT_PROXY_MAX_FAILURES, d.get("proxy-max-failures").asInt());
    assertEquals(
        io.fleetcrawl.ratecontrol.DomainController.Settings.defaults().startRate(),
        d.get("start-rate").asDouble());
  }

  @Test
  void aNegativeStartRateIsRefusedNamingTheFlagAndTheValue() {
    String[] args = {
      "crawl",
      "--seeds",
      "http://a.example/",
      "--out",
      dir.resolve("o").toString(),
      "--start-rate",
      "-5"
    };
    StringWriter err = new StringWriter();
    int code = Fleetcrawl.commandLine(args, Map.of()).setErr(new PrintWriter(err)).execute(args);
    assertEquals(2, code, err.toString());
    assertTrue(err.toString().contains("invalid --start-rate -5"), err.toString());
  }

  @Test
  void aFlagWinsOverTheEnvironmentWhichWinsOverTheConfigFileWhichWinsOverTheDefaults()
      throws Exception {
    Path config = dir.resolve("crawl.yaml");
    Files.writeString(
        config,
        """
        # a site we own
        max-depth: 7
        per-host-concurrency: 3
        max-attempts: 5
        include: ['^https://a\\.example/', '^https://b\\.example/']
        store-types: [text/html, application/pdf]
        commands:
          node:
            status-port: 9000
        """);
    Map<String, String> env = Map.of("FLEETCRAWL_PER_HOST_CONCURRENCY", "5");

    CommandLine crawl =
        parse(
            env,
            "crawl",
            "--seeds",
            "http://a.example/",
            "--out",
            "out",
            "--config",
            config.toString(),
            "--max-depth",
            "9");

    assertEquals(9, value(crawl, "--max-depth"), "the flag");
    assertEquals(5, value(crawl, "--per-host-concurrency"), "the environment");
    assertEquals(5, value(crawl, "--max-attempts"), "the config file");
    assertEquals(
        List.of("^https://a\\.example/", "^https://b\\.example/"),
        value(crawl, "--include"),
        "a list from the config file");
    assertEquals(List.of("text/html", "application/pdf"), value(crawl, "--store-types"));
    assertEquals(60_000, value(crawl, "--total-timeout-ms"), "the bundled defaults");

    CommandLine node = parse(Map.of(), "node", "--config=" + config);
    assertEquals(9000, value(node, "--status-port"), "the node's own section");
    assertEquals(3, value(node, "--per-host-concurrency"), "a shared key, for every command");
  }

  @Test
  void theConfigFileCanComeFromTheEnvironmentAndAFlagListReplacesItsList() throws Exception {
    Path config = dir.resolve("c.yaml");
    Files.writeString(config, "exclude: ['\\.pdf$']\n");
    CommandLine crawl =
        parse(
            Map.of(SettingLayers.CONFIG_ENV, config.toString()),
            "crawl",
            "--seeds",
            "http://a.example/",
            "--out",
            "out",
            "--exclude",
            "\\.zip$",
            "--exclude",
            "\\.gz$");
    assertEquals(List.of("\\.zip$", "\\.gz$"), value(crawl, "--exclude"));

    CommandLine plain =
        parse(
            Map.of(SettingLayers.CONFIG_ENV, config.toString()),
            "crawl",
            "--seeds",
            "http://a.example/",
            "--out",
            "out");
    assertEquals(List.of("\\.pdf$"), value(plain, "--exclude"));
    assertNull(value(plain, "--max-pages"), "no value in any layer: the flag's own fallback");
  }

  @Test
  void anUnknownKeyIsRefusedNamingTheFileTheKeyAndTheNearestKnownOne() throws Exception {
    Path config = dir.resolve("typo.yaml");
    Files.writeString(config, "max-dept: 5\n");
    InvalidInputException e = refused("crawl", "--config", config.toString());
    assertTrue(e.getMessage().contains(config.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("unknown setting 'max-dept'"), e.getMessage());
    assertTrue(e.getMessage().contains("did you mean 'max-depth'"), e.getMessage());

    Files.writeString(config, "commands:\n  node:\n    seeds-file: x\n");
    e = refused("--config", config.toString());
    assertTrue(
        e.getMessage().contains("unknown setting 'commands.node.seeds-file'"), e.getMessage());
  }

  @Test
  void aConfigFileThatIsNotYamlSettingsIsRefusedNamingTheFileAndLine() throws Exception {
    Path config = dir.resolve("broken.yaml");
    Files.writeString(config, "max-depth: 5\ninclude: [unclosed\n");
    InvalidInputException e = refused("--config", config.toString());
    assertTrue(e.getMessage().startsWith("invalid --config " + config + " line "), e.getMessage());

    Files.writeString(config, "- just\n- a list\n");
    e = refused("--config", config.toString());
    assertTrue(e.getMessage().contains("expected settings as 'name: value' lines"), e.getMessage());

    e = refused("--config", dir.resolve("absent.yaml").toString());
    assertTrue(e.getMessage().contains("cannot read"), e.getMessage());
  }

  @Test
  void aBadValueFromALayerIsRefusedNamingTheFlagAndWhereTheValueCameFrom() throws Exception {
    Path config = dir.resolve("bad.yaml");
    Files.writeString(config, "max-depth: deep\n");
    StringWriter err = new StringWriter();
    String[] args = {
      "crawl", "--seeds", "http://a.example/", "--out", "o", "--config", config.toString()
    };
    int code = Fleetcrawl.commandLine(args, Map.of()).setErr(new PrintWriter(err)).execute(args);
    assertEquals(2, code);
    assertTrue(err.toString().contains("--max-depth"), err.toString());
    assertTrue(err.toString().contains("deep"), err.toString());
    assertTrue(
        err.toString().contains("the value comes from 'max-depth' in --config " + config),
        err.toString());
    assertTrue(!err.toString().contains("Usage:"), "no usage for a flag never typed: " + err);

    Files.writeString(config, "max-depth: [1, 2]\n");
    err = new StringWriter();
    code = Fleetcrawl.commandLine(args, Map.of()).setErr(new PrintWriter(err)).execute(args);
    assertEquals(2, code);
    assertTrue(err.toString().contains("takes one value"), err.toString());

    String[] plain = {"crawl", "--seeds", "http://a.example/", "--out", "o"};
    err = new StringWriter();
    code =
        Fleetcrawl.commandLine(plain, Map.of("FLEETCRAWL_MAX_DEPTH", "abc"))
            .setErr(new PrintWriter(err))
            .execute(plain);
    assertEquals(2, code);
    assertTrue(
        err.toString()
            .contains("the value comes from the environment variable FLEETCRAWL_MAX_DEPTH"),
        err.toString());
  }

  @Test
  void helpShowsTheDefaultTheLayersGive() throws Exception {
    Path config = dir.resolve("c.yaml");
    Files.writeString(config, "max-depth: 7\n");
    StringWriter out = new StringWriter();
    String[] args = {"crawl", "--help", "--config", config.toString()};
    Fleetcrawl.commandLine(args, Map.of()).setOut(new PrintWriter(out)).execute(args);
    assertTrue(out.toString().contains("Link hops from a seed (default: 7)"), out.toString());
    assertTrue(out.toString().contains("(default: 60000)"), out.toString());
  }

  @Test
  void theClusterVariablesReachTheClusterSettingsThroughTheLayersAndABlankOneCountsAsUnset() {
    String[] args = {"submit", "--file", "urls.txt"};
    Map<String, String> env =
        Map.of(
            "FLEETCRAWL_MEMBERS", " 127.0.0.1 , 127.0.0.2:5702",
            "FLEETCRAWL_CLUSTER_NAME", "prod",
            "FLEETCRAWL_PUBLIC_ADDRESS", "");
    ParseResult parsed = Fleetcrawl.commandLine(args, env).parseArgs(args);
    ClusterFlags flags =
        (ClusterFlags) parsed.subcommand().commandSpec().mixins().get("cluster").userObject();
    var settings = flags.settings();
    assertEquals(List.of("127.0.0.1", "127.0.0.2:5702"), settings.members());
    assertEquals("prod", settings.clusterName());
    assertNull(settings.publicAddress(), "FLEETCRAWL_PUBLIC_ADDRESS= is unset, not an address");

    String[] flagged = {"submit", "--file", "urls.txt", "--cluster-name", "staging"};
    ParseResult over = Fleetcrawl.commandLine(flagged, env).parseArgs(flagged);
    ClusterFlags overFlags =
        (ClusterFlags) over.subcommand().commandSpec().mixins().get("cluster").userObject();
    assertEquals("staging", overFlags.settings().clusterName(), "a flag wins over the variable");
  }
}
