package stampede.scenarios;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;
import stampede.scenarios.MachineBound.Why;
import stampede.settings.TestSettings;

/**
 * The machine-bound rule on fake figures: a p99 within 2 x the floor's + 1 ms, or a generator lag above the larger of
 * 20 ms and 2 x the floor's at any moment, marks a row; marked rows are not ranked; the ranking says which neighbours
 * differ by more than the spread of repeats.
 */
class MachineBoundTest {
  final MachineBound rule = MachineBound.of(TestSettings.of().calibration());

  @Test
  void theDefaultsAreTwiceTheFloorPlusAMillisecondAndTwentyMillisecondsOfLag() {
    assertEquals(new MachineBound(2.0, 1.0, 20.0, 2.0), rule);
    assertEquals(7.0, rule.p99Limit(3.0));
    assertEquals(20.0, rule.lagLimit(4.0));
    assertEquals(30.0, rule.lagLimit(15.0), "a floor that lagged 15 ms itself: 2 x 15");
  }

  @Test
  void judgesByTheFloorThenByTheLag() {
    // the published hot-key run at 100,000/s: floor p99 say 3 ms, lag 5 ms
    assertEquals(Why.FLOOR, rule.judge(3.0, 5.0, 5.61, 4.0), "XFETCH-like: p99 5.61 <= 7");
    assertEquals(Why.NO, rule.judge(3.0, 5.0, 12.5, 19.0), "p99 12.5 > 7, lag 19 <= 20");
    assertEquals(Why.LAG, rule.judge(3.0, 5.0, 93.7, 100), "SINGLE_FLIGHT: lag 100 ms > 20");
    assertEquals(Why.LAG, rule.judge(3.0, 5.0, 2.0, 25), "the lag wins when both hold");
    assertEquals(Why.LAG, rule.judge(3.0, 5.0, 449, 456), "a stall it caught up from still counts");
    assertEquals(Why.NO, rule.judge(3.0, 5.0, 12.5, Double.NaN), "lag unknown: the floor alone");
    assertEquals(Why.NO, rule.judge(Double.NaN, Double.NaN, 1.0, 500), "no floor measured: nothing marked");
  }

  @Test
  void machineBoundRowsAreNotRankedAndOverlappingRangesAreNotOrdered() {
    Ranking r = new Ranking(List.of(
        new Ranking.Entry("A", new Spread(10, 12, 2), Why.NO),
        new Ranking.Entry("B", new Spread(3, 4, 2), Why.NO),
        new Ranking.Entry("C", new Spread(1, 2, 2), Why.FLOOR),
        new Ranking.Entry("D", new Spread(11, 30, 2), Why.NO),
        new Ranking.Entry("E", new Spread(90, 95, 2), Why.LAG)));
    assertEquals(List.of("B", "A", "D"), r.ranked().stream().map(Ranking.Entry::label).toList());
    assertEquals(List.of("<", "~"), r.separators(), "B 3-4 < A 10-12; A 10-12 overlaps D 11-30");
    assertEquals(List.of("C", "E"), r.unranked().stream().map(Ranking.Entry::label).toList());
  }

  @Test
  void spreadsSeparateOnlyWhenTheyDoNotOverlap() {
    assertEquals(true, new Spread(1, 2, 2).separatedFrom(new Spread(2.5, 3, 2)));
    assertEquals(false, new Spread(1, 2.5, 2).separatedFrom(new Spread(2.5, 3, 2)));
    assertEquals(false, new Spread(1, 2, 2).separatedFrom(new Spread(Double.NaN, Double.NaN, 2)));
    assertEquals(false, Spread.one(1).separatedFrom(Spread.one(3)), "one run each: no noise measured");
    assertEquals("3.42-17.4", new Spread(3.42, 17.4, 2).ms());
    assertEquals("3.42", Spread.one(3.42).ms());
    assertEquals(new Spread(1, 5, 3), Spread.of(List.of(5.0, Double.NaN, 1.0), d -> d));
  }
}
