package stampede.strategies;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import stampede.core.Fill;

/**
 * {@link DistributedLock} keeps the {@link Fill} contract. It writes its own fencing token, not the fence it was
 * given; a loader error reaches the holder only, so each waiter then takes the lock and loads again.
 */
class DistributedLockContractTest extends FillContractTest {
  private ProbedLocks<String> locks;

  @Override
  Fill<String, String> fill(Fill<String, String> inner) {
    locks = new ProbedLocks<>(f.locks);
    return DistributedLock.builder(f.store, locks, inner).metrics(metrics)
        .lease(Duration.ofSeconds(1)).maxWait(Duration.ofSeconds(10)).fallback(DistributedLock.Fallback.FAIL).build();
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
}
