package stampede.strategies;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import stampede.core.Fill;

/**
 * {@link DistributedLock} keeps the {@link Fill} contract. It writes its own fencing token, not the fence it was
 * given; a loader error is the holder's, and its waiters, woken by its release with no fresh value, fail at once with
 * a {@code LoadException} of their own: one load for all of them.
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
  int loadsForConcurrentFailure(int callers) {
    return 1;
  }

  @Override
  boolean waitersGetTheLoadersOwnError() {
    return false;
  }

  @Override
  long expectedFence(long given) {
    assertTrue(locks.lastToken() > 0, "a token was handed out");
    return locks.lastToken();
  }
}
