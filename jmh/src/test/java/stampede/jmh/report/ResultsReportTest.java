package stampede.jmh.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import stampede.report.MachineInfo;

class ResultsReportTest {

  static String fixture() throws IOException {
    try (InputStream in = ResultsReportTest.class.getResourceAsStream("/jmh-fixture.json")) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  static final Map<String, Object> INFO = Map.of("cores", 2.0, "os", "Linux 6 amd64", "cpuModel", "Test CPU",
      "jvmVersion", "17.0.15", "jvmVendor", "Test", "date", "2026-01-01T00:00:00Z", "profile", "quick");

  @Test
  void parsesJmhJson() throws IOException {
    List<ResultsReport.Result> rs = ResultsReport.parse(fixture());
    assertEquals(9, rs.size());
    ResultsReport.Result first = rs.get(0);
    assertEquals("HotKeyBenchmark", first.benchmarkClass());
    assertEquals("get", first.method());
    assertEquals(8, first.threads());
    assertEquals("CACHE_ASIDE", first.param("strategy"));
    assertEquals(80.0, first.sum("loads"));
    assertEquals(8.0, first.max("peakLoads"));
    assertEquals(25.0, first.percentiles().get("99.9"));
    assertEquals(2.0, first.iterationSeconds());
    assertTrue(Double.isNaN(rs.get(4).scoreError()), "JMH writes NaN as a string");
  }

  @Test
  void hotKeyTableRowsAreRatios() throws IOException {
    Map<String, String> files = ResultsReport.render(ResultsReport.parse(fixture()), INFO);
    String md = files.get("hot-key.md");
    assertTrue(md.contains("Machine: 2 cores, Linux 6 amd64, CPU Test CPU. JVM: 17.0.15, Test."), md);
    assertTrue(md.contains("Parameters: dbLatencyMs=5-50, ttlMs=300. Threads: 8."), md);
    // loads/episodes = 80/10; calls/s = 8 threads / 0.008 ms; errors 20/2000; peak = max; loads/s = 80 / (1x2x2 s)
    assertTrue(md.contains("| CACHE_ASIDE | CAFFEINE | 8.00 | 1,000,000 | 0.0002 | 0.50 | 25.0 | 0.00% | 1.00% | 8 | 20.0 |"),
        md);
    assertTrue(md.contains("| SINGLE_FLIGHT | REDIS | 1.00 | 8,000 | 0.50 | 20.0 | 45.0 | 1.00% | 0.00% | 1 | 3.0 |"),
        md);
    // absent counters print "-", and the Caffeine peer gets an n/a row for Redis
    assertTrue(md.contains("| CAFFEINE_ASYNC_GET | CAFFEINE | 1.00 | 800,000 | 0.0002 | 0.0200 | 30.0 | - | - | - | 2.5 |"),
        md);
    assertTrue(md.contains("| CAFFEINE_ASYNC_GET | REDIS | n/a | n/a | n/a | n/a | n/a | n/a | n/a | n/a | n/a |"), md);
    // rows follow the StrategyType order
    assertTrue(md.indexOf("CACHE_ASIDE") < md.indexOf("SINGLE_FLIGHT"));
  }

  @Test
  void hitPathTableComparesWithTheBaselineOfTheSameWorkAtOneAndEightThreads() throws IOException {
    String md = ResultsReport.render(ResultsReport.parse(fixture()), INFO).get("hit-path.md");
    assertTrue(md.contains("| Caffeine `LoadingCache.get`, same expiry | CAFFEINE | 100.0 ± 10.0 | 0.50 | 100.0 ± 10.0 |"
        + " 1.00x ± 0.14 | 10.00 ± 1.00 | 1.00x ± 0.14 | baseline |"), md);
    // no error interval: "-"; 8 threads at 0.85x of Caffeine's throughput, but 0.85 + 0.10 reaches the 0.90x target
    assertTrue(md.contains("| SINGLE_FLIGHT | CAFFEINE | 105.0 ± - | 0.25 | 100.0 ± 10.0 | 1.05x ± - | 8.50 ± 0.50 |"
        + " 0.85x ± 0.10 | unclear (within the interval): 8 threads 0.85x |"), md);
    // on Redis, against the raw GET of that strategy's entry size, measured in a trial of its own: 1.25 - 0.04 > 1.10
    assertTrue(md.contains("| SINGLE_FLIGHT | REDIS | 50,000.0 ± 1,000.0 | 900.00 | 40,000.0 ± 1,000.0 | 1.25x ± 0.04 |"
        + " - | - | missed: 1 thread 1.25x |"), md);
    assertFalse(md.contains("getIfPresent"), "no baseline that does less work than the store");
  }

  @Test
  void onlyScenariosWithResultsGetAFile(@TempDir Path dir) throws IOException {
    Path json = dir.resolve("jmh-result.json");
    Files.writeString(json, fixture());
    MachineInfo.write(new LinkedHashMap<>(INFO), dir.resolve("run-info.json"));
    Files.writeString(dir.resolve("mass-expiry.md"), "left by an earlier run");
    List<Path> written = ResultsReport.write(json, dir);
    assertEquals(List.of(dir.resolve("hot-key.md"), dir.resolve("hit-path.md")), written);
    assertFalse(Files.exists(dir.resolve("mass-expiry.md")));
    assertTrue(Files.readString(dir.resolve("hot-key.md")).contains("Profile: quick."));
  }

  @Test
  void runInfoRoundTripsThroughJson(@TempDir Path dir) throws IOException {
    Map<String, Object> info = new LinkedHashMap<>(INFO);
    info.put("cpuModel", "Quoted \"CPU\" \\ with\ttabs, unicode \u00e9");
    info.put("command", "mvn -Dbench.only='HotKey|HitPath'");
    info.put("wallSeconds", 482L);
    Path file = dir.resolve("run-info.json");
    MachineInfo.write(info, file);
    Map<String, Object> back = MachineInfo.read(file);
    assertEquals(List.copyOf(info.keySet()), List.copyOf(back.keySet()), "keys in order");
    assertEquals(info.get("cpuModel"), back.get("cpuModel"));
    assertEquals(info.get("command"), back.get("command"));
    assertEquals(482, ((Number) back.get("wallSeconds")).intValue());
    assertTrue(ResultsReport.stamp(back).startsWith("Machine: 2 cores, Linux 6 amd64, CPU Quoted \"CPU\""),
        ResultsReport.stamp(back));
  }

  @Test
  void rejectsWhatIsNotAJmhResultArray() throws IOException {
    assertThrows(IOException.class, () -> ResultsReport.parse("{\"benchmark\": \"x\"}"));
    assertThrows(IOException.class, () -> ResultsReport.parse("[{\"benchmark\": "));
    assertEquals(List.of(), ResultsReport.parse("[]"));
  }

  @Test
  void timeUnits() {
    assertEquals(0.5, ResultsReport.seconds("500 ms"));
    assertEquals(2.0, ResultsReport.seconds("2 s"));
  }
}
