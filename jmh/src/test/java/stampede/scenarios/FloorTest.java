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

  @Test
  void aP99WithinTwiceTheFloorIsMarked() {
    Floor f = new Floor(1_000, 1, 1_000, false, 0.5, 0.2, 1.5, 3.0);
    assertEquals("3.00 (floor)", f.p99(3.0));
    assertEquals("3.01", f.p99(3.01));
    assertEquals("-", f.p99(Double.NaN));
    assertFalse(f.machineBound(50));
  }

  @Test
  void theFloorHeadsThePageAndIsInTheJson(@TempDir Path dir) throws Exception {
    Floor f = new Floor(5_000, 1, 5_000, false, 0.5, 0.2, 1.5, 3.0);
    Midnight.Sizes sizes = new Midnight.Sizes(20_000, 2_000, 2, 20, 5_000, 500);
    Midnight.Row row = new Midnight.Row("SINGLE_FLIGHT_JITTER", 10, 5, 3, 2.0, 4.0, 5.0, 0, Map.of(), 100, 5_000,
        false, 0.2, 0.4, 3, false, new long[30]);
    ScenarioWriter w = new ScenarioWriter(dir, PagesTest.run());
    w.write(new Outcome("midnight", new Midnight.Result(List.of(row), sizes, f), null, 1, 10, Map.of()));
    String page = Files.readString(dir.resolve("midnight.md"), StandardCharsets.UTF_8);
    assertTrue(page.contains("the peak load rate?\n\n**Floor**: a call that answers at once, through the same "
        + "generator and caller pool at 5,000 requests/s for 1.0 s, waited p50 0.200 ms, p99 1.50 ms, max 3.00 ms; the "
        + "generator achieved 5,000/s, its largest lag 0.500 ms. A p99 marked \"(floor)\" is at most 2.00 x this "
        + "floor's: the machine, not the strategy, set it.\n\n- **Keys**: 20,000"), page);
    assertTrue(page.contains("| SINGLE_FLIGHT_JITTER | 10 | 5 | 50 | 3 | 2.00 (floor) | 4.00 |"), page);
    w.finish();
    String json = Files.readString(dir.resolve("scenarios.json"), StandardCharsets.UTF_8);
    assertTrue(json.contains("\"data\" : {\n        \"floor\" : {\n          \"targetPerSecond\" : 5000.0,"), json);
  }
}
