package stampede.scenarios;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import stampede.settings.Profile;

/**
 * The priority-overload scenario's schedule and verdicts, without running it: the offered loads ramp 0.5x, 3x, 0.5x;
 * the draws give the traffic mix, the miss ratio and the half of misses with a stale value; a row meets the issue's
 * test only with CRITICAL at least 99% answered and at most 20 loads at the database.
 */
class PriorityOverloadTest {
  private final PriorityOverload.Phases ph = PriorityOverload.Phases.of(Profile.QUICK);

  @Test
  void theOfferedLoadsRampFromHalfToThreeTimesTheCapacityAndBack() {
    assertEquals(0.5, ph.multiple(0), 1e-9);
    assertEquals(-1, ph.at(ph.warmMs() - 1));
    assertEquals(0.5, ph.multiple(ph.warmMs()), 1e-9);
    assertEquals(1.75, ph.multiple(ph.warmMs() + ph.upMs() / 2.0), 1e-9);
    assertEquals(3, ph.multiple(ph.warmMs() + ph.upMs() + 1), 1e-9);
    assertEquals(1, ph.at(ph.warmMs() + ph.upMs() + 1));
    assertEquals(2, ph.at(ph.warmMs() + ph.upMs() + ph.peakMs()));
    assertEquals(0.5, ph.multiple(ph.totalMs()), 1e-9);
  }

  @Test
  void theDrawsGiveTheMixTheMissRatioAndStaleValuesForHalfTheMisses() {
    int n = 200_000;
    int[] classes = new int[3];
    int misses = 0;
    int stale = 0;
    for (long i = 0; i < n; i++) {
      classes[PriorityOverload.classOf(i)]++;
      if (PriorityOverload.misses(i, 3)) {
        misses++;
        stale += PriorityOverload.hasStale(i) ? 1 : 0;
      }
    }
    assertEquals(List.of(n / 10, n * 6 / 10, n * 3 / 10), List.of(classes[0], classes[1], classes[2]));
    assertEquals(0.6, (double) misses / n, 0.005, "3x 200 loads/s of 1,000 requests/s");
    assertEquals(0.5, (double) stale / misses, 0.01);
    assertTrue(PriorityOverload.key(10, true).startsWith("critical:m10"));
    assertEquals("bulk:h9", PriorityOverload.key(9, false));
  }

  @Test
  void aRowMeetsTheTestOnlyWithCriticalAnsweredAndTheDatabaseWithinItsPool() {
    List<PriorityOverloadResult.Row> rows = new ArrayList<>();
    List<PriorityOverloadResult.Series> series = new ArrayList<>();
    List<Generated> generated = new ArrayList<>();
    Object[][] rowsAtPeak = {{"A", 990L, 10L, 20}, {"B", 989L, 11L, 20}, {"C", 1_000L, 0L, 21}};
    for (Object[] r : rowsAtPeak) {
      String name = (String) r[0];
      rows.add(new PriorityOverloadResult.Row(name, "CRITICAL", PriorityOverload.PHASES[1], (long) r[1], 0,
          (long) r[2], 0, 1, 2, (int) r[3], 100, 120));
      rows.add(new PriorityOverloadResult.Row(name, "BULK", PriorityOverload.PHASES[1], 700, 0, 300, 0, 1, 2,
          (int) r[3], 100, 120));
      series.add(new PriorityOverloadResult.Series(name, new long[3][0], new long[0], Map.of()));
      generated.add(new Generated(1_000, false, 1));
    }
    Floor floor = FloorTest.floor(1_000, 0.5, 0.2, 1.5, 3.0);
    Map<String, Object> view = new PriorityOverloadResult(rows, series, ph, generated, floor).view();
    assertEquals(List.of(
        "A: CRITICAL 99.00% answered, BULK 30.00% refused, at most 20 loads at the database: meets it",
        "B: CRITICAL 98.90% answered, BULK 30.00% refused, at most 20 loads at the database: does not",
        "C: CRITICAL 100.00% answered, BULK 30.00% refused, at most 21 loads at the database: does not"),
        view.get("verdicts"));
  }
}
