package stampede.scenarios;

import java.util.Objects;
import java.util.concurrent.TimeUnit;
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
    Watch all = locks.watch(only);
    return new Watch() {
      /**
       * Wakes on any release of the one lease, but reports a timeout: a release here is some other key's load
       * ending, not news of this key's holder (a waiter would otherwise take it for its own holder's failure).
       */
      @Override
      public boolean await(long timeout, TimeUnit unit) throws InterruptedException {
        all.await(timeout, unit);
        return false;
      }

      @Override
      public void close() {
        all.close();
      }
    };
  }

  @Override
  public void signal(K key) {
    locks.signal(only);
  }
}
