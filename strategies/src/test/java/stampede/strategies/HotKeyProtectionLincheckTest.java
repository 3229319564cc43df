package stampede.strategies;

import java.time.Duration;
import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.Validate;
import org.junit.jupiter.api.Test;
import stampede.testkit.ManualTicker;

/**
 * Model checking of {@link HotKeyProtection}'s tracked-key table: its bound is {@code maxTrackedKeys} plus the callers
 * in flight, so whenever no caller is in flight (after each part of a scenario, {@link #withinBound}) it holds at most
 * {@code maxTrackedKeys} keys, under every interleaving Lincheck explores of two callers reading four keys. The
 * operations return whether the key is hot, which with a threshold of 100 is never: the contract is the bound.
 */
@Param(name = "key", gen = IntGen.class, conf = "0:3")
public class HotKeyProtectionLincheckTest {
  private static final int MAX_TRACKED_KEYS = 1;

  private final ManualTicker ticker = new ManualTicker();
  private final HotKeyProtection<Integer, String> hot = HotKeyProtection.<Integer, String>builder(
      Duration.ofMinutes(1)).ticker(ticker).maxTrackedKeys(MAX_TRACKED_KEYS).build();

  /** A read of {@code key} that finds nothing: the policy counts it and says LOAD. */
  @Operation
  public String read(@Param(name = "key") int key) {
    return hot.decide(key, null, ticker.read()).name();
  }

  @Validate
  public void withinBound() {
    if (hot.trackedKeys() > MAX_TRACKED_KEYS) {
      throw new AssertionError(hot.trackedKeys() + " keys tracked with no caller in flight, maxTrackedKeys "
          + MAX_TRACKED_KEYS);
    }
  }

  @Test
  void modelChecking() {
    LincheckBudget.modelChecking(1).threads(2).actorsPerThread(2)
        .actorsBefore(1).actorsAfter(0).check(HotKeyProtectionLincheckTest.class);
  }
}
