package stampede.core;

import java.util.concurrent.TimeUnit;

/**
 * The lease port the distributed lock strategy stands on. {@link RedisStore} implements it with
 * {@code SET name owner NX PX lease} plus a fencing counter, compare-and-delete and compare-and-expire
 * scripts and pub/sub wake-ups; {@link LocalLocks} implements it in process, on an injected ticker.
 *
 * <p>A lease is owned by a random token. Only the owner renews or releases it; a holder that dies leaves a
 * lease that simply runs out.
 */
public interface Locks {

  /**
   * Takes the lease {@code name} for {@code owner} if nobody holds it.
   *
   * @return a fencing token, strictly greater than every token handed out before for {@code name}, or 0 if
   *     the lease is held by someone else
   * @throws StoreException if the lock service cannot be reached
   */
  long tryAcquire(String name, String owner, long leaseMillis);

  /** Extends the lease if {@code owner} still holds it; false otherwise. */
  boolean renew(String name, String owner, long leaseMillis);

  /** Releases the lease if {@code owner} still holds it (compare-and-delete); false otherwise. */
  boolean release(String name, String owner);

  /**
   * Starts listening for {@link #signal} on {@code name}. Subscribe <em>before</em> re-checking the cache, then
   * {@link Watch#await}, so a signal sent in between is not missed.
   */
  Watch watch(String name);

  /** Wakes every watcher of {@code name}, in every process. Best effort: watchers also time out. */
  void signal(String name);

  /** A subscription to one name's signals. */
  interface Watch extends AutoCloseable {
    /** @return true if signalled, false on timeout */
    boolean await(long timeout, TimeUnit unit) throws InterruptedException;

    @Override
    void close();
  }
}
