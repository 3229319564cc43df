package stampede.scenarios;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import stampede.report.JsonWriter;

/**
 * A partial run (-Dscenarios.only) merges its scenarios into the scenarios.json already there; a whole run replaces
 * it.
 */
class ScenarioWriterTest {
  static final List<String> PLAN = List.of("callers-sweep", "midnight", "locking");

  static Map<String, Object> run(String date, String profile, String... ids) {
    Map<String, Object> run = new LinkedHashMap<>(PagesTest.run());
    run.put("date", date);
    run.put("profile", profile);
    Map<String, Object> seconds = new LinkedHashMap<>();
    for (String id : ids) {
      seconds.put(id, 1L);
    }
    run.put("scenarioSeconds", seconds);
    return run;
  }

  static void write(Path dir, Map<String, Object> run, boolean partial, String... ids) throws Exception {
    ScenarioWriter w = new ScenarioWriter(dir, run, PLAN, partial);
    for (String id : ids) {
      w.write(new Outcome(id, null, new IllegalStateException(id + " of " + run.get("date")), 1, 10, Map.of()));
    }
    w.finish();
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> scenarios(Map<String, Object> doc) {
    return (Map<String, Object>) doc.get("scenarios");
  }

  @Test
  void aPartialRunReplacesItsScenariosAndKeepsTheOthersInThePlansOrder(@TempDir Path dir) throws Exception {
    write(dir, run("day 1", "quick", "callers-sweep", "locking"), false, "callers-sweep", "locking");
    write(dir, run("day 2", "quick", "midnight", "locking"), true, "midnight", "locking");
    Map<String, Object> doc = JsonWriter.read(dir.resolve("scenarios.json"));
    assertEquals(List.of("callers-sweep", "midnight", "locking"), List.copyOf(scenarios(doc).keySet()));
    assertEquals("day 2", ((Map<?, ?>) doc.get("run")).get("date"));
    List<?> earlier = (List<?>) doc.get("earlierRuns");
    assertEquals(1, earlier.size());
    assertEquals("day 1", ((Map<?, ?>) earlier.get(0)).get("date"));
    assertEquals(List.of("callers-sweep"), ((Map<?, ?>) earlier.get(0)).get("scenarios"), "locking is day 2's now");
    assertEquals("locking: failed", ((Map<?, ?>) scenarios(doc).get("locking")).get("title"));

    // a third run, of callers-sweep only: day 1 measured nothing that is left
    write(dir, run("day 3", "quick", "callers-sweep"), true, "callers-sweep");
    doc = JsonWriter.read(dir.resolve("scenarios.json"));
    assertEquals(List.of("callers-sweep", "midnight", "locking"), List.copyOf(scenarios(doc).keySet()));
    List<?> runs = (List<?>) doc.get("earlierRuns");
    assertEquals(List.of("day 2"), runs.stream().map(r -> ((Map<?, ?>) r).get("date")).toList());
    assertEquals(List.of("midnight", "locking"), ((Map<?, ?>) runs.get(0)).get("scenarios"));
  }

  @Test
  void aWholeRunAnotherProfileOrAnUnreadableFileIsReplaced(@TempDir Path dir) throws Exception {
    write(dir, run("day 1", "quick", "callers-sweep"), false, "callers-sweep");
    write(dir, run("day 2", "smoke", "midnight"), true, "midnight");
    assertEquals(List.of("midnight"), List.copyOf(scenarios(JsonWriter.read(dir.resolve("scenarios.json"))).keySet()));
    write(dir, run("day 3", "smoke", "locking"), false, "locking");
    Map<String, Object> doc = JsonWriter.read(dir.resolve("scenarios.json"));
    assertEquals(List.of("locking"), List.copyOf(scenarios(doc).keySet()));
    assertFalse(doc.containsKey("earlierRuns"));
    Files.writeString(dir.resolve("scenarios.json"), "{ not json");
    write(dir, run("day 4", "smoke", "midnight"), true, "midnight");
    assertEquals(List.of("midnight"), List.copyOf(scenarios(JsonWriter.read(dir.resolve("scenarios.json"))).keySet()));
  }
}
