package stampede.strategies;

import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.junit.jupiter.api.Test;

/**
 * Model checking of {@link PrioritySlots}: every interleaving of two threads taking (without waiting) and giving back
 * slots of three classes must be explained by the same calls one at a time against the admission rule
 * ({@link Spec}: a class takes a slot if the free slots left cover the unused guarantees of the classes above it). A
 * race that lets two callers take the last slot, or a higher class's reserved one, has no such explanation.
 *
 * <p>Limit 3, shares 34/33/0%: guarantees 1, 0 and 0, so DEFAULT and BULK may take 2 slots between them while
 * CRITICAL holds none, and CRITICAL all 3.
 */
@Param(name = "c", gen = IntGen.class, conf = "0:2")
public class PrioritySlotsLincheckTest {
  private static final int[] SHARES = {34, 33, 0};
  private static final int LIMIT = 3;
  private final PrioritySlots slots = new PrioritySlots(SHARES, LIMIT);
  /** Takes a slot of class {@code c} without waiting: true if taken. */
  @Operation
  public boolean acquire(@Param(name = "c") int c) throws InterruptedException {
    return slots.acquire(c, 0);
  }

  /** Gives back a slot of class {@code c}: false if the class holds none (refused, nothing changes). */
  @Operation
  public boolean release(@Param(name = "c") int c) {
    try {
      slots.release(c);
      return true;
    } catch (IllegalStateException e) {
      return false;
    }
  }

  /** The rule, one call at a time. */
  public static class Spec {
    private final int[] inUse = new int[3];

    public boolean acquire(int c) {
      int total = inUse[0] + inUse[1] + inUse[2];
      int reserved = 0;
      for (int h = 0; h < c; h++) {
        reserved += Math.max(0, LIMIT * SHARES[h] / 100 - inUse[h]);
      }
      if (total + 1 + reserved > LIMIT) {
        return false;
      }
      inUse[c]++;
      return true;
    }

    public boolean release(int c) {
      if (inUse[c] == 0) {
        return false;
      }
      inUse[c]--;
      return true;
    }
  }

  @Test
  void modelChecking() {
    LincheckBudget.modelChecking(1).sequentialSpecification(Spec.class)
        .threads(2).actorsPerThread(3).actorsBefore(2).actorsAfter(1).check(PrioritySlotsLincheckTest.class);
  }
}
