package stampede.scenarios;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import stampede.scenarios.Ladder.Run;
import stampede.scenarios.Ladder.Step;
import stampede.scenarios.Ladder.Verdict;

/**
 * The Redis ladder's judging on fake figures: each repeat of a step against the floor measured just before it; one
 * noisy repeat does not fail a step, a generator behind or a pool exhausted in any repeat does.
 */
class LadderTest {

  @Test
  void theLimitIsTheFloorsMachineBoundLimitPlusTheRoundTrip() {
    Floor f = FloorTest.floor(10_000, 2, 0.1, 1.5, 5);
    assertEquals(2 * 1.5 + 1 + 4, Ladder.limit(f, 4.0));
  }

  @Test
  void oneNoisyRepeatDoesNotFailAStep() {
    // issue 20: 1,000/s achieved, p99 17.5 ms, judged failed by a fixed 10 ms threshold; a second repeat at 2.4 ms
    assertEquals(Verdict.HELD, Ladder.judge(List.of(new Run(1_000, false, 17.5, false, 8),
        new Run(1_000, false, 2.4, false, 8))));
    assertEquals(Verdict.ABOVE_FLOOR, Ladder.judge(List.of(new Run(20_000, false, 676, false, 8),
        new Run(20_000, false, 12, false, 8))), "both repeats above their limits");
  }

  @Test
  void eachRepeatIsJudgedAgainstItsOwnFloor() {
    // the second repeat's p99 is under the first floor's limit but not under the floor measured just before it
    assertEquals(Verdict.ABOVE_FLOOR, Ladder.judge(List.of(new Run(5_000, false, 190, false, 186),
        new Run(5_000, false, 20, false, 8))));
    assertEquals(Verdict.HELD, Ladder.judge(List.of(new Run(5_000, false, 190, false, 186),
        new Run(5_000, false, 7, false, 8))));
  }

  @Test
  void aGeneratorBehindOrAPoolExhaustedInAnyRepeatFailsIt() {
    assertEquals(Verdict.BEHIND, Ladder.judge(List.of(new Run(38_000, true, 3, false, 8),
        new Run(40_000, false, 3, false, 8))));
    assertEquals(Verdict.POOL_EXHAUSTED, Ladder.judge(List.of(new Run(40_000, false, 3, true, 8),
        new Run(40_000, false, 3, false, 8))));
  }

  @Test
  void theRowsRunAtTheLastStepThatHeldOrTheFirstIfNoneDid() {
    Floor f = FloorTest.floor(1_000, 2, 0.1, 1.5, 5);
    Step held1 = new Step(1_000, List.of(), f, Verdict.HELD);
    Step held2 = new Step(2_500, List.of(), f, Verdict.HELD);
    Step failed = new Step(5_000, List.of(), f, Verdict.ABOVE_FLOOR);
    Ladder l = Ladder.of(List.of(held1, held2, failed), 4);
    assertEquals(2_500, l.rate());
    assertTrue(l.sustained());
    Ladder none = Ladder.of(List.of(new Step(1_000, List.of(), f, Verdict.BEHIND)), 4);
    assertEquals(1_000, none.rate());
    assertFalse(none.sustained());
  }
}
