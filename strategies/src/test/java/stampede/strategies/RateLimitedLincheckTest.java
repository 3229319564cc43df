package stampede.strategies;

import java.lang.reflect.Field;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.junit.jupiter.api.Test;
import stampede.core.RejectedException;
import stampede.testkit.ManualTicker;

/**
 * Model checking of {@link RateLimited}'s buckets and their pruning: every interleaving of two threads' loads (of
 * three clients) and clock steps must be explained by the loads happening one at a time against one token bucket per
 * client that is never pruned ({@link Spec}): dropping a full bucket is the same as keeping it, and no race hands a
 * client a token its bucket did not have.
 *
 * <p>Burst 1, one load per second, the clock moving half a second a step; pruning starts at one bucket (set through
 * the field, as 10,000 buckets are out of a model checker's reach), so every new client prunes the full ones.
 */
@Param(name = "client", gen = IntGen.class, conf = "0:2")
public class RateLimitedLincheckTest {
  private static final long STEP = Duration.ofMillis(500).toNanos();

  private final ManualTicker ticker = new ManualTicker();
  private final ThreadLocal<Integer> client = new ThreadLocal<>();
  private final RateLimited<String, String> limiter = RateLimited.<String, String>builder(
      (key, seen, fence, loader) -> "v", client::get).ticker(ticker).limit(1, 1).build();

  public RateLimitedLincheckTest() throws ReflectiveOperationException {
    Field pruneAt = RateLimited.class.getDeclaredField("pruneAt");
    pruneAt.setAccessible(true);
    pruneAt.setInt(limiter, 1);
  }

  /** One load by {@code client}: true if let through, false if refused ("too many requests"). */
  @Operation
  public boolean load(@Param(name = "client") int c) {
    client.set(c);
    try {
      limiter.fill("k", null, 0, key -> "v");
      return true;
    } catch (RejectedException e) {
      return false;
    }
  }

  /** The clock moves half a token. */
  @Operation
  public void advance() {
    ticker.advance(STEP);
  }

  /** The contract: one bucket per client, never dropped, loads and steps one at a time. */
  public static class Spec {
    private final Map<Integer, double[]> buckets = new HashMap<>(); // {tokens, last}
    private long now = new ManualTicker().read();

    public boolean load(int c) {
      double[] b = buckets.computeIfAbsent(c, k -> new double[] {1, now});
      b[0] = Math.min(1, b[0] + (now - (long) b[1]) / 1e9);
      b[1] = now;
      if (b[0] < 1) {
        return false;
      }
      b[0] -= 1;
      return true;
    }

    public void advance() {
      now += STEP;
    }
  }

  @Test
  void modelChecking() {
    LincheckBudget.modelChecking(1).sequentialSpecification(Spec.class)
        .threads(2).actorsPerThread(3).actorsBefore(1).actorsAfter(1).check(RateLimitedLincheckTest.class);
  }
}
