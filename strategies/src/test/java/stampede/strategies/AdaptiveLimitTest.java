package stampede.strategies;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import stampede.testkit.ManualTicker;

/**
 * The gradient rule of {@link AdaptiveLimit}, driven by hand on a {@link ManualTicker}: windows of 10 loads over 1 s.
 * While the load time holds the limit climbs one a window to the ceiling and never past it; when the load time grows
 * past 1.5 x the no-load time it falls in proportion; once it is back, the limit climbs back.
 */
class AdaptiveLimitTest {
  private static final long MS = 1_000_000L;
  private final ManualTicker ticker = new ManualTicker();

  private AdaptiveLimit limit(int ceiling, int initial) {
    return AdaptiveLimit.builder(ceiling).initial(initial).window(Duration.ofSeconds(1), 10).ticker(ticker).build();
  }

  /** One window of 10 loads of {@code latencyMs} each, the limit used to the full; the limit after it. */
  private int window(AdaptiveLimit limit, long latencyMs) {
    int busy = limit.limit();
    int after = 0;
    for (int i = 0; i < 10; i++) {
      ticker.advance(Duration.ofMillis(100));
      after = limit.sample(latencyMs * MS, busy);
    }
    return after;
  }

  @Test
  void itRisesOneAWindowTowardTheCeilingWhileTheLatencyHoldsAndNeverPassesIt() {
    AdaptiveLimit limit = limit(20, 5);
    List<Integer> seen = new ArrayList<>();
    for (int w = 0; w < 30; w++) {
      seen.add(window(limit, 100 + w % 3)); // 100-102 ms: within tolerance
    }
    assertEquals(List.of(6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 20, 20), seen.subList(0, 17));
    assertTrue(seen.stream().allMatch(l -> l <= 20), "never past the ceiling: " + seen);
    assertTrue(limit.noLoadNanos() >= 100 * MS && limit.noLoadNanos() < 101 * MS, "no-load " + limit.noLoadNanos());
  }

  @Test
  void itFallsWhenTheLatencyGrowsAndClimbsBackWhenItRecovers() {
    AdaptiveLimit limit = limit(20, 20);
    assertEquals(20, window(limit, 100));
    assertEquals(20, window(limit, 140), "140 ms is within 1.5 x 100 ms");
    List<Integer> slow = new ArrayList<>();
    for (int w = 0; w < 3; w++) {
      slow.add(window(limit, 300)); // gradient about 1.5 x 100 / 300 = 0.5 (the no-load time drifts up by 1/64)
    }
    assertEquals(List.of(10, 5, 3), slow);
    List<Integer> recovery = new ArrayList<>();
    for (int w = 0; w < 25; w++) {
      recovery.add(window(limit, 100));
    }
    assertEquals(List.of(4, 5, 6), recovery.subList(0, 3), "one a window: " + recovery);
    assertEquals(20, recovery.get(recovery.size() - 1), "back at the ceiling: " + recovery);
  }

  @Test
  void itDoesNotGrowALimitNobodyUses() {
    AdaptiveLimit limit = limit(20, 5);
    for (int w = 0; w < 10; w++) {
      for (int i = 0; i < 10; i++) {
        ticker.advance(Duration.ofMillis(100));
        limit.sample(100 * MS, 2); // 2 loads at once out of 5: below half
      }
    }
    assertEquals(5, limit.limit());
  }

  @Test
  void aWindowNeedsItsTimeAndItsLoads() {
    AdaptiveLimit limit = limit(20, 10);
    for (int i = 0; i < 9; i++) {
      ticker.advance(Duration.ofSeconds(1));
      limit.sample(1000 * MS, 10);
    }
    assertEquals(10, limit.limit(), "9 loads are no window");
    for (int i = 0; i < 30; i++) {
      limit.sample(1000 * MS, 10);
    }
    assertEquals(11, limit.limit(), "the 10th load ends a window; 30 more in no time end none");
  }

  @Test
  void badSettingsAreRefusedWithTheirName() {
    assertEquals("ceiling must be at least 1: 0",
        assertThrows(IllegalArgumentException.class, () -> AdaptiveLimit.builder(0)).getMessage());
    assertEquals("initial limit must be between 1 and the ceiling 20: 21",
        assertThrows(IllegalArgumentException.class, () -> AdaptiveLimit.builder(20).initial(21)).getMessage());
    assertEquals("minLimit must be between 1 and the ceiling 20: 0",
        assertThrows(IllegalArgumentException.class, () -> AdaptiveLimit.builder(20).minLimit(0)).getMessage());
    assertEquals("tolerance must be a finite number at least 1: 0.5",
        assertThrows(IllegalArgumentException.class, () -> AdaptiveLimit.builder(20).tolerance(0.5)).getMessage());
    assertEquals("initial limit must be at least minLimit 8: 4", assertThrows(IllegalArgumentException.class,
        () -> AdaptiveLimit.builder(20).minLimit(8).initial(4).build()).getMessage());
  }
}
