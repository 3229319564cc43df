package stampede.strategies;

import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.Validate;
import org.junit.jupiter.api.Test;
import stampede.core.Event;
import stampede.core.Metrics;
import stampede.testkit.ManualTicker;

/**
 * Model checking of {@link Monitoring}'s tracked-key table: its bound is {@code maxTrackedKeys} plus the callers in
 * flight, so whenever no caller is in flight (after each part of a scenario, {@link #withinBound}) it holds at most
 * {@code maxTrackedKeys} keys, under every interleaving Lincheck explores of two callers missing four keys. The
 * operations return nothing: the contract is the bound, and nothing a caller sees depends on which key was dropped.
 */
@Param(name = "key", gen = IntGen.class, conf = "0:3")
public class MonitoringLincheckTest {
  private static final int MAX_TRACKED_KEYS = 1;

  private final Monitoring monitoring = Monitoring.builder(Metrics.none()).ticker(new ManualTicker())
      .maxTrackedKeys(MAX_TRACKED_KEYS).build();

  @Operation
  public void miss(@Param(name = "key") int key) {
    monitoring.record(Event.MISS, key);
  }

  @Validate
  public void withinBound() {
    if (monitoring.trackedKeys() > MAX_TRACKED_KEYS) {
      throw new AssertionError(monitoring.trackedKeys() + " keys tracked with no caller in flight, maxTrackedKeys "
          + MAX_TRACKED_KEYS);
    }
  }

  @Test
  void modelChecking() {
    LincheckBudget.modelChecking(1).threads(2).actorsPerThread(2)
        .actorsBefore(1).actorsAfter(0).check(MonitoringLincheckTest.class);
  }
}
