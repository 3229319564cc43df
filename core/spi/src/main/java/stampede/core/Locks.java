package stampede.core;

import java.util.concurrent.TimeUnit;

/**
 * The lease port the distributed lock stands on, one lease per cache key. {@code RedisLocks} implements it with
 * {@code SET NX PX} plus a fencing counter, compare-and-delete and compare-and-expire scripts and pub/sub
 * wake-ups; the test kit's {@code LocalLocks} implements it in process, on an injected ticker.
 *
 * <p>A lease is owned by a random token. Only the owner renews or releases it; a holder that dies leaves a lease
 * that simply runs out.
 */
public interface Locks<K> {

  /**
   * Takes the lease of {@code key} for {@code owner} if nobody holds it.
   *
   * @return a fencing token, strictly greater than every token handed out before for {@code key}, or 0 if the
   *     lease is held by someone else
   * @throws StoreException if the lock service cannot be reached
   */
  long tryAcquire(K key, String owner, long leaseMillis);

  /** Extends the lease if {@code owner} still holds it; false otherwise. */
  boolean renew(K key, String owner, long leaseMillis);

  /** Releases the lease if {@code owner} still holds it (compare-and-delete); false otherwise. */
  boolean release(K key, String owner);

  /**
   * Starts listening for {@link #signal} on {@code key}. Subscribe <em>before</em> re-checking the cache, then
   * {@link Watch#await}, so a signal sent in between is not missed.
   */
  Watch watch(K key);

  /** Wakes every watcher of {@code key}, in every process. Best effort: watchers also time out. */
  void signal(K key);

  /** A subscription to one key's signals. */
  interface Watch extends AutoCloseable {
    /** Waits for a signal of the key: true if signalled, false on timeout. */
    boolean await(long timeout, TimeUnit unit) throws InterruptedException;

    @Override
    void close();
  }
}
