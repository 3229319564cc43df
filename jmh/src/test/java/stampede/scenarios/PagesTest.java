package stampede.scenarios;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A scenario's page, chart and JSON written from a fixed record by the runner's writer: the measured data goes in,
 * the template's prose and the table's formats come out, whatever machine runs the test.
 */
class PagesTest {

  static Map<String, Object> run() {
    Map<String, Object> run = new LinkedHashMap<>();
    run.put("date", "2026-01-01T00:00:00Z");
    run.put("cores", 2);
    run.put("os", "Linux 6 amd64");
    run.put("cpuModel", "Test CPU");
    run.put("jvmVersion", "17.0.15");
    run.put("profile", "smoke");
    run.put("command", "mvn -B -ntp -P bench -pl jmh -am verify -DskipTests -Dbench.profile=smoke");
    run.put("futexHash", "futex hash left as it was");
    return run;
  }

  static LockingEverywhere.Row row(String strategy, long loads, long... latencyMillis) {
    return row(strategy, loads, Map.of(), latencyMillis);
  }

  static LockingEverywhere.Row row(String strategy, long loads, Map<String, Long> errors, long... latencyMillis) {
    Histogram h = new Histogram(3);
    for (long ms : latencyMillis) {
      h.recordValue(ms * 1_000_000L);
    }
    return new LockingEverywhere.Row(strategy, latencyMillis.length, h.getMaxValue() / 1e6,
        h.getValueAtPercentile(50) / 1e6, h.getValueAtPercentile(99) / 1e6, loads, 0,
        errors.values().stream().mapToLong(Long::longValue).sum(), errors, 0.5, h);
  }

  @Test
  void eachRowsErrorsAreShownByKindOnThePageAndInTheJson(@TempDir Path dir) throws Exception {
    Map<String, Long> kinds = new LinkedHashMap<>();
    kinds.put("RejectedException: load shed", 3L);
    kinds.put("LoadException: DatabaseDownException: database down while loading", 1L);
    LockingEverywhere.Result result = new LockingEverywhere.Result(2, List.of(row("SINGLE_FLIGHT", 2, 50, 51),
        row("ONE_LEASE", 2, kinds, 50, 51, 52, 53)));
    ScenarioWriter writer = new ScenarioWriter(dir, run());
    writer.write(new Outcome("locking", result, null, 3.4, 2_500, Map.of()));
    String page = Files.readString(dir.resolve("locking.md"), StandardCharsets.UTF_8);
    assertTrue(page.contains("| ONE_LEASE | 53.0 ms | 51.0 | 53.0 | 2 | 0 | 4 | 0.500 ms |\n\n"
        + "Errors by kind (the exception a caller got and its reason, with how many got it):\n\n"
        + "- ONE_LEASE: RejectedException: load shed (3); LoadException: DatabaseDownException: database down while "
        + "loading (1)\n\n"
        + "- *every caller had a value after*"), page);
    assertFalse(page.contains("- SINGLE_FLIGHT:"), "a row without errors has no line");
    writer.finish();
    String json = Files.readString(dir.resolve("scenarios.json"), StandardCharsets.UTF_8);
    assertTrue(json.contains("\"errors\" : 4,\n        \"errorKinds\" : {\n"
        + "          \"RejectedException: load shed\" : 3,\n"
        + "          \"LoadException: DatabaseDownException: database down while loading\" : 1\n        },"), json);
    assertTrue(json.contains("\"errors\" : 0,\n        \"errorKinds\" : { },"), json);
  }

  @Test
  void theLockingPageFromTwoRows(@TempDir Path dir) throws Exception {
    LockingEverywhere.Result result = new LockingEverywhere.Result(2, List.of(row("SINGLE_FLIGHT", 2, 50, 51, 52, 53),
        row("GLOBAL_LOCK", 2, 50, 51, 100, 101)));
    ScenarioWriter writer = new ScenarioWriter(dir, run());
    writer.write(new Outcome("locking", result, null, 3.4, 2_500, Map.of("cache.gets{cache=X}", 4L)));
    String page = Files.readString(dir.resolve("locking.md"), StandardCharsets.UTF_8);
    assertEquals("# Locking everywhere: 2 keys expiring together\n\n"
        + "![Locking everywhere: 2 keys expiring together](locking.png)\n\n"
        + "Many keys expire at the same instant and their callers arrive together. How long until every caller has a "
        + "value, with one lock per key, one lock for all keys, single flight, or nothing?\n\n"
        + "- **Keys**: 2, loaded once at one instant (the store's clock held a TTL in the past), so all expire "
        + "together; 2 callers per key (4 requests) intended at the expiry instant\n"
        + "- **Load**: 50 ms (parks), unbounded connections: serialized, the keys take 2 x 50 ms = 0 s\n"
        + "- **Store**: Caffeine, in process, TTL 60 s (no key expires twice while a queue drains); the per-key lock "
        + "is DistributedLock on the in-process lease port\n"
        + "- **GLOBAL_LOCK**: cache-aside whose miss path takes one process-wide lock (double-check, load, write): "
        + "synchronized (cache)\n"
        + "- **ONE_LEASE**: DistributedLock (lease 2 s, wait 2 s, then load without caching) whose Locks map every "
        + "key to one lease\n\n"
        + "| strategy | every caller had a value after | p50 ms | p99 ms | loads | lock fallbacks | errors "
        + "| last caller started |\n"
        + "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n"
        + "| SINGLE_FLIGHT | 53.0 ms | 51.0 | 53.0 | 2 | 0 | 0 | 0.500 ms |\n"
        + "| GLOBAL_LOCK | 101 ms | 51.0 | 101 | 2 | 0 | 0 | 0.500 ms |\n\n"
        + "- *every caller had a value after*: the slowest caller's wait from the expiry instant. *lock fallbacks*: "
        + "callers that gave up waiting for the lock and loaded without caching (LOCK_FALLBACK). *last caller "
        + "started*: how late after the expiry instant the last caller thread ran (2 cores).\n\n"
        + "Run: 2026-01-01T00:00:00Z on 2 cores (Test CPU, Linux 6 amd64), JVM 17.0.15, profile `smoke`; futex hash "
        + "left as it was. Command: `mvn -B -ntp -P bench -pl jmh -am verify -DskipTests -Dbench.profile=smoke`. "
        + "This scenario took 3 s, with 2,500 caller threads.\n", page);
    assertTrue(Files.size(dir.resolve("locking.png")) > 1_000, "the chart");
    assertEquals(List.of(), writer.finish());
    String json = Files.readString(dir.resolve("scenarios.json"), StandardCharsets.UTF_8);
    assertTrue(json.contains("\"title\" : \"Locking everywhere: 2 keys expiring together\",\n"
        + "      \"seconds\" : 3,\n      \"callerThreads\" : 2500,\n      \"data\" : { },\n      \"rows\" : [ {\n"
        + "        \"strategy\" : \"SINGLE_FLIGHT\",\n        \"requests\" : 4,\n"
        + "        \"everyCallerHadAValueAfterMs\" : 53.0"), json);
    assertFalse(json.contains("latency"), "the histogram is the chart's, not the JSON's");
    assertTrue(json.contains("\"meters\" : {\n        \"cache.gets{cache=X}\" : 4\n      }"), json);
  }

  @Test
  void aFailedScenarioGetsAPageThatSaysWhyAndFailsTheRun(@TempDir Path dir) throws Exception {
    ScenarioWriter writer = new ScenarioWriter(dir, run());
    writer.write(new Outcome("midnight", null, new IllegalStateException("boom"), 1.2, 2_500, Map.of()));
    assertEquals("# midnight: failed\n\n"
        + "This scenario failed in this run: `java.lang.IllegalStateException: boom`.\n\n\n"
        + "- Stack trace in the build log.\n\n"
        + "Run: 2026-01-01T00:00:00Z on 2 cores (Test CPU, Linux 6 amd64), JVM 17.0.15, profile `smoke`; futex hash "
        + "left as it was. Command: `mvn -B -ntp -P bench -pl jmh -am verify -DskipTests -Dbench.profile=smoke`. "
        + "This scenario took 1 s, with 2,500 caller threads.\n",
        Files.readString(dir.resolve("midnight.md"), StandardCharsets.UTF_8));
    assertFalse(Files.exists(dir.resolve("midnight.png")));
    assertEquals(List.of("midnight"), writer.finish());
    assertTrue(Files.readString(dir.resolve("scenarios.json")).contains("\"title\" : \"midnight: failed\""));
  }
}
