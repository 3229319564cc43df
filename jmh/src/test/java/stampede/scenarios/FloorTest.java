package stampede.scenarios;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import stampede.settings.TestSettings;

/**
 * The floor of a rate-driven page: a no-op call through the same generator and caller pool; its numbers head the
 * page, and a p99 within twice the floor's is marked machine-bound.
 */
class FloorTest {

  @Test
  void aNoOpCallThroughTheGeneratorMeasuresTheMachine() {
    Context ctx = new Context(TestSettings.of("bench.profile=smoke"), null, OpenLoop.Clock.system());
    try {
      ctx.resize(50);
      Floor f = Floor.measure(ctx, 2_000);
      assertEquals(2_000, f.targetPerSecond());
      assertTrue(f.achievedPerSecond() > 1_000, "achieved " + f.achievedPerSecond());
      assertTrue(f.p50ms() >= 0 && f.p99ms() >= f.p50ms() && f.maxMs() >= f.p99ms(), f.toString());
      assertTrue(f.p99ms() < 1_000, "a no-op waits for the machine only: " + f.p99ms());
      assertNull(Floor.measure(ctx, 0).view(), "no contender, no floor");
    } finally {
      ctx.close();
    }
  }

  /** A floor of these figures under the default rule (2 x p99 + 1 ms; lag over max(20 ms, 2 x the floor's)). */
  static Floor floor(double rate, double lagMs, double p50, double p99, double max) {
    return new Floor(rate, 1, rate, false, lagMs, p50, p99, max, Spread.one(p99),
        MachineBound.of(TestSettings.of().calibration()));
  }

  @Test
  void aP99WithinTwiceTheFloorPlusAMillisecondIsMarked() {
    Floor f = floor(1_000, 0.5, 0.2, 1.5, 3.0);
    assertEquals("4.00 (machine-bound: floor)", f.p99(4.0));
    assertEquals("4.01", f.p99(4.01));
    assertEquals("-", f.p99(Double.NaN));
    assertFalse(f.machineBound(50));
    assertEquals("4.50 (machine-bound: lag)", f.p99(4.5, 20.5), "a lag over 20 ms at any moment");
    assertEquals("4.50", f.p99(4.5, 20.0));
    assertEquals("1.00-4.50", f.p99(new Spread(1.0, 4.5, 2), 3), "the highest repeat is judged");
    assertEquals("1.00-4.00 (machine-bound: floor)", f.p99(new Spread(1.0, 4.0, 2), 3));
  }

  @Test
  void theFloorOfRepeatsIsTheWorstOfEach() {
    Floor a = floor(1_000, 0.5, 0.2, 1.5, 3.0);
    Floor b = new Floor(1_000, 1, 900, true, 7, 0.1, 2.5, 2.0, Spread.one(2.5), a.rule());
    Floor f = Floor.across(List.of(a, b));
    assertEquals(900, f.achievedPerSecond());
    assertTrue(f.behind());
    assertEquals(7, f.maxGeneratorLagMs());
    assertEquals(2.5, f.p99ms());
    assertEquals(3.0, f.maxMs());
    assertEquals(new Spread(1.5, 2.5, 2), f.p99s());
    assertEquals("6.00 (machine-bound: floor)", f.p99(6.0), "2 x 2.5 + 1");
  }

  @Test
  void theFloorHeadsThePageAndIsInTheJson(@TempDir Path dir) throws Exception {
    Floor f = floor(5_000, 0.5, 0.2, 1.5, 3.0);
    Midnight.Sizes sizes = new Midnight.Sizes(20_000, 2_000, 2, 20, 5_000, 500);
    Midnight.Row row = new Midnight.Row("SINGLE_FLIGHT_JITTER", 10, 5, 3, 2.0, 4.0, 5.0, 0, Map.of(), 100, 5_000,
        false, 0.5, 0.2, 0.4, 3, false, new long[30]);
    ScenarioWriter w = new ScenarioWriter(dir, PagesTest.run());
    w.write(new Outcome("midnight", new Midnight.Result(List.of(row), sizes, f), null, 1, 10, Map.of()));
    String page = Files.readString(dir.resolve("midnight.md"), StandardCharsets.UTF_8);
    assertTrue(page.contains("the peak load rate?\n\n**Floor**: a call that answers at once, through the same "
        + "generator and caller pool at 5,000 requests/s for 1.0 s, waited p50 0.200 ms, p99 1.50 ms, max 3.00 ms; "
        + "the generator achieved 5,000/s, its largest lag 0.500 ms. Each row ran once here: its latencies carry "
        + "no spread from repeats, so no difference between rows can be called above the noise.\n\n"
        + "**Machine-bound rows** are not ranked: a p99 marked \"(machine-bound: floor)\" is at most 2.00 x the "
        + "floor's p99 + 1.00 ms (here 4.00 ms), so no shorter tail could have shown; \"(machine-bound: lag)\" "
        + "means the generator fell more than 20.0 ms behind"), page);
    assertTrue(page.contains("ms behind its schedule (the larger of 20.0 ms and 2.00 x the floor's largest lag) at "
        + "some moment of that row's run, even if it caught up later, so its requests left late and their latency "
        + "counts the machine's stall.\n\n- **Keys**: 20,000"), page);
    assertTrue(page.contains("| SINGLE_FLIGHT_JITTER | 10 | 5 | 50 | 3 | 2.00 (machine-bound: floor) | 4.00 |"), page);
    w.finish();
    String json = Files.readString(dir.resolve("scenarios.json"), StandardCharsets.UTF_8);
    assertTrue(json.contains("\"data\" : {\n        \"floor\" : {\n          \"targetPerSecond\" : 5000.0,"), json);
  }
}
