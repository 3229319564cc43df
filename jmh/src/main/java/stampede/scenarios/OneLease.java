package stampede.scenarios;

import java.util.Objects;
import stampede.core.Locks;

/**
 * A {@link Locks} that maps every key to one lease: the "one lock for the whole cache" mistake, expressed through
 * the project's lock port so that {@code DistributedLock} runs unchanged on top of it (see
 * {@link Contender#ONE_LEASE}).
 */
final class OneLease<K> implements Locks<K> {
  private final Locks<K> locks;
  private final K only;

  OneLease(Locks<K> locks, K only) {
    this.locks = Objects.requireNonNull(locks, "locks");
    this.only = Objects.requireNonNull(only, "only");
  }

  @Override
  public long tryAcquire(K key, String owner, long leaseMillis) {
    return locks.tryAcquire(only, owner, leaseMillis);
  }

  @Override
  public boolean renew(K key, String owner, long leaseMillis) {
    return locks.renew(only, owner, leaseMillis);
  }

  @Override
  public boolean release(K key, String owner) {
    return locks.release(only, owner);
  }

  @Override
  public Watch watch(K key) {
    return locks.watch(only);
  }

  @Override
  public void signal(K key) {
    locks.signal(only);
  }
}
