package stampede.strategies;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import stampede.core.Fill;

/**
 * {@link TwoLevelCoalescing} keeps the {@link Fill} contract: its single flight shares one load (and its error)
 * in the process, and its lock writes the lock's fencing token.
 */
class TwoLevelCoalescingContractTest extends FillContractTest {
  private ProbedLocks<String> locks;

  @Override
  Fill<String, String> fill(Fill<String, String> inner) {
    locks = new ProbedLocks<>(f.locks);
    DistributedLock<String, String> lock = DistributedLock.builder(f.store, locks, inner).metrics(metrics)
        .lease(Duration.ofSeconds(1)).maxWait(Duration.ofSeconds(10)).fallback(DistributedLock.Fallback.FAIL).build();
    return new TwoLevelCoalescing<>(f.store, lock, metrics);
  }

  @Override
  boolean coalesces() {
    return true;
  }

  @Override
  long expectedFence(long given) {
    assertTrue(locks.lastToken() > 0, "a token was handed out");
    return locks.lastToken();
  }

  @Override
  int loadsForConcurrentFailure(int callers) {
    return 1;
  }
}
