package stampede.strategies;

import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import stampede.core.Locks;

/**
 * A {@link Locks} decorator for tests: it remembers the last fencing token handed out, and runs a hook each time a
 * waiter starts waiting on a watch (so a test can wait until waiters are parked, with a latch, not a sleep).
 */
final class ProbedLocks<K> implements Locks<K> {
  private final Locks<K> locks;
  private final AtomicLong lastToken = new AtomicLong();
  private volatile Runnable onAwait = () -> { };

  ProbedLocks(Locks<K> locks) {
    this.locks = Objects.requireNonNull(locks, "locks");
  }

  /** The last token {@link #tryAcquire} handed out (0 if none yet). */
  long lastToken() {
    return lastToken.get();
  }

  /** Runs {@code hook} each time a watcher is about to wait (before it waits). */
  ProbedLocks<K> onAwait(Runnable hook) {
    this.onAwait = Objects.requireNonNull(hook, "hook");
    return this;
  }

  @Override
  public long tryAcquire(K key, String owner, long leaseMillis) {
    long token = locks.tryAcquire(key, owner, leaseMillis);
    if (token > 0) {
      lastToken.set(token);
    }
    return token;
  }

  @Override
  public boolean renew(K key, String owner, long leaseMillis) {
    return locks.renew(key, owner, leaseMillis);
  }

  @Override
  public boolean release(K key, String owner) {
    return locks.release(key, owner);
  }

  @Override
  public Watch watch(K key) {
    Watch watch = locks.watch(key);
    return new Watch() {
      @Override
      public boolean await(long timeout, TimeUnit unit) throws InterruptedException {
        onAwait.run();
        return watch.await(timeout, unit);
      }

      @Override
      public void close() {
        watch.close();
      }
    };
  }

  @Override
  public void signal(K key) {
    locks.signal(key);
  }
}
