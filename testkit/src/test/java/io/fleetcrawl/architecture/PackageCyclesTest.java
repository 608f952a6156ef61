package io.fleetcrawl.architecture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.spi.ToolProvider;
import org.junit.jupiter.api.Test;

/**
 * Keeps the product's packages free of cycles, so each concern can be read, tested and moved on its
 * own. The dependencies are the compiled classes' own, as the JDK's jdeps reads them (so imports,
 * fully qualified names and constants all count), across every Fleetcrawl module on the test class
 * path.
 */
class PackageCyclesTest {
  private static final Pattern EDGE =
      Pattern.compile("^\\s+(io\\.fleetcrawl\\.[\\w.]+)\\s+->\\s+(io\\.fleetcrawl\\.[\\w.]+)\\s");

  @Test
  void noFleetcrawlPackageDependsOnItselfThroughOthers() {
    Map<String, Set<String>> graph = packageGraph();
    assertTrue(graph.size() >= 15, "jdeps saw the product's packages: " + graph.keySet());
    assertEquals(List.of(), cycles(graph), "package cycles (each a strongly connected set)");
  }

  @Test
  void theCycleCheckFindsACycle() {
    Map<String, Set<String>> graph = new TreeMap<>();
    graph.put("a", Set.of("b"));
    graph.put("b", Set.of("c"));
    graph.put("c", Set.of("a"));
    graph.put("d", Set.of("a"));
    assertEquals(List.of(Set.of("a", "b", "c")), cycles(graph));
  }

  /** Returns package -> packages it uses, for the Fleetcrawl modules' main classes. */
  private static Map<String, Set<String>> packageGraph() {
    List<String> inputs = new ArrayList<>();
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      String path = entry.replace('\\', '/');
      // A module's classes directory, its jar in target/ (reactor) or in the local repository.
      boolean module =
          path.endsWith("/target/classes")
              || path.matches(
                  ".*/(shared-model|coordinator|crawler-verticles|launcher|testkit)-[^/]*\\.jar");
      if (module && new File(entry).exists()) {
        inputs.add(entry);
      }
    }
    assertTrue(inputs.size() >= 5, "the five modules' classes on the class path: " + inputs);
    List<String> args = new ArrayList<>(List.of("-verbose:package", "-e", "io\\.fleetcrawl\\..*"));
    args.addAll(inputs);
    ToolProvider jdeps = ToolProvider.findFirst("jdeps").orElseThrow();
    StringWriter out = new StringWriter();
    int status = jdeps.run(new PrintWriter(out), new PrintWriter(out), args.toArray(String[]::new));
    assertEquals(0, status, "jdeps failed: " + out);
    Map<String, Set<String>> graph = new TreeMap<>();
    for (String line : out.toString().split("\n")) {
      Matcher m = EDGE.matcher(line);
      if (m.find()) {
        graph.computeIfAbsent(m.group(1), k -> new TreeSet<>());
        graph.computeIfAbsent(m.group(2), k -> new TreeSet<>());
        if (!m.group(1).equals(m.group(2))) {
          graph.get(m.group(1)).add(m.group(2));
        }
      }
    }
    return graph;
  }

  /** Returns the strongly connected sets of more than one package (Tarjan's algorithm). */
  static List<Set<String>> cycles(Map<String, Set<String>> graph) {
    Map<String, Integer> index = new HashMap<>();
    Map<String, Integer> low = new HashMap<>();
    Deque<String> stack = new ArrayDeque<>();
    Set<String> onStack = new TreeSet<>();
    List<Set<String>> found = new ArrayList<>();
    for (String start : new TreeSet<>(graph.keySet())) {
      if (!index.containsKey(start)) {
        connect(start, graph, index, low, stack, onStack, found);
      }
    }
    return found;
  }

  private static void connect(
      String v,
      Map<String, Set<String>> graph,
      Map<String, Integer> index,
      Map<String, Integer> low,
      Deque<String> stack,
      Set<String> onStack,
      List<Set<String>> found) {
    index.put(v, index.size());
    low.put(v, index.get(v));
    stack.push(v);
    onStack.add(v);
    for (String w : graph.getOrDefault(v, Set.of())) {
      if (!index.containsKey(w)) {
        connect(w, graph, index, low, stack, onStack, found);
        low.put(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.contains(w)) {
        low.put(v, Math.min(low.get(v), index.get(w)));
      }
    }
    if (low.get(v).equals(index.get(v))) {
      Set<String> component = new TreeSet<>();
      String w;
      do {
        w = stack.pop();
        onStack.remove(w);
        component.add(w);
      } while (!w.equals(v));
      if (component.size() > 1) {
        found.add(component);
      }
    }
  }
}
