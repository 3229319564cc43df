package stampede.strategies;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;
import stampede.core.CacheStore;
import stampede.core.Entry;
import stampede.core.Event;
import stampede.core.Fill;
import stampede.core.LoadException;
import stampede.core.Loader;
import stampede.core.LoadingStrategy;
import stampede.core.Locks;
import stampede.core.Metrics;
import stampede.core.StoreException;
import stampede.core.StoreFill;
import stampede.core.Ticker;
import stampede.core.Ttl;

/**
 * Distributed lock (lease): across all nodes sharing the store, one caller per key loads; the others wait for
 * its signal, then read what it wrote.
 *
 * <p><b>Prevents:</b> the cross-node stampede (N nodes missing one key: 1 load, not N). Writes carry a fencing
 * token, so a holder that lost its lease (GC pause, partition) cannot overwrite a newer value; a crashed
 * holder's lease runs out after {@code lease} (the key waits that long), then a waiter loads.
 *
 * <p><b>Pick it when</b> loads are expensive for the backend and many nodes share one cache.
 *
 * <p><b>Costs:</b> 2-3 round trips per miss (acquire, re-read, release + publish) plus waiting: one load time,
 * or the {@link Fallback} after {@code maxWait}. A watchdog renews the lease every lease/3 while the load runs,
 * so give a loader that may hang its own timeout. A loader error reaches the holder only (unlike
 * {@link SingleFlight}): waiters find no fresh value and one of them loads again. Leases are timed by the lock
 * service; freshness assumes node clocks agree within their skew. Lock names are {@code key.toString()}.
 *
 * <p><b>Source:</b> Redis {@code SET NX PX} locks and Kleppmann's Redlock critique (fencing tokens); Redisson's
 * watchdog and {@code RFencedLock}; Facebook's memcache leases (NSDI 2013, 3.2.1); nginx
 * {@code proxy_cache_lock} and its timeout (the {@link Fallback#LOAD_WITHOUT_CACHING} default).
 *
 * <p>Composition: {@code SingleFlight(DistributedLock(StoreFill(Loader)))} ({@link TwoLevelCoalescing}), so a
 * node sends one caller per key to the lock; as a {@link Fill} it replaces {@code fence} with its token.
 */
public final class DistributedLock<K, V> implements LoadingStrategy<K, V>, Fill<K, V> {

  /** What a caller does when it gets no lock within {@code maxWait}, or the lock service fails. */
  public enum Fallback {
    /** Call the loader and return its value without writing it (nginx after proxy_cache_lock_timeout). */
    LOAD_WITHOUT_CACHING,
    /** Return the stale value the caller saw, if any ({@link Event#STALE_SERVED}); else load without caching. */
    SERVE_STALE_OR_LOAD,
    /** Throw a {@link LoadException}: protect the backend at any price. */
    FAIL
  }

  private final CacheStore<K, V> store;
  private final Locks locks;
  private final Ticker ticker;
  private final RandomGenerator random;
  private final ScheduledExecutorService scheduler;
  private final Metrics metrics;
  private final Fill<K, V> fill;
  private final long leaseMillis;
  private final long maxWaitNanos;
  private final Fallback fallback;

  /**
   * @param random    owner tokens; thread-safe and seeded differently on every node (e.g. {@code SecureRandom})
   * @param scheduler runs the lease watchdog
   * @param fill      the miss path the holder runs, with the fencing token (e.g. {@link StoreFill})
   * @param lease     lease length (at least 3 ms); waiters also poll every lease/4 in case a signal is lost
   * @param maxWait   how long a caller tries for the lock or a fresh value before {@code fallback} (not a
   *                  bound on the holder's own load)
   */
  public DistributedLock(CacheStore<K, V> store, Locks locks, Ticker ticker, RandomGenerator random,
      ScheduledExecutorService scheduler, Metrics metrics, Fill<K, V> fill, Duration lease, Duration maxWait,
      Fallback fallback) {
    this.store = Objects.requireNonNull(store, "store");
    this.locks = Objects.requireNonNull(locks, "locks");
    this.ticker = Objects.requireNonNull(ticker, "ticker");
    this.random = Objects.requireNonNull(random, "random");
    this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
    this.metrics = Objects.requireNonNull(metrics, "metrics");
    this.fill = Objects.requireNonNull(fill, "fill");
    this.fallback = Objects.requireNonNull(fallback, "fallback");
    this.leaseMillis = lease.toMillis();
    this.maxWaitNanos = maxWait.toNanos();
    if (leaseMillis < 3 || maxWaitNanos <= 0) {
      throw new IllegalArgumentException("need lease >= 3 ms and maxWait > 0: " + lease + ", " + maxWait);
    }
  }

  /** Loads and writes values fresh for {@code ttl}. */
  public DistributedLock(CacheStore<K, V> store, Locks locks, Ticker ticker, RandomGenerator random,
      ScheduledExecutorService scheduler, Metrics metrics, Duration ttl, Duration lease, Duration maxWait,
      Fallback fallback) {
    this(store, locks, ticker, random, scheduler, metrics, new StoreFill<>(store, ticker, metrics, Ttl.fixed(ttl)),
        lease, maxWait, fallback);
  }

  @Override
  public V get(K key, Loader<K, V> loader) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(loader, "loader");
    Entry<V> entry = store.getOrMiss(key, metrics);
    if (entry != null && entry.isFresh(ticker.read())) {
      metrics.record(Event.HIT, key);
      return entry.value();
    }
    metrics.record(Event.MISS, key);
    return fill(key, entry, 0, loader);
  }

  @Override
  public V fill(K key, Entry<V> seen, long fence, Loader<K, V> loader) {
    String name = key.toString();
    String owner = Long.toHexString(random.nextLong());
    long deadline = System.nanoTime() + maxWaitNanos;
    long token;
    try {
      for (boolean waited = false; (token = locks.tryAcquire(name, owner, leaseMillis)) == 0; waited = true) {
        if (!waited) {
          metrics.record(Event.LOCK_WAITED, key);
        }
        Entry<V> current = awaitRelease(key, name, seen, deadline);
        if (current != null) {
          return current.value();
        }
        if (System.nanoTime() - deadline >= 0) {
          return fallback(key, seen, loader, "no lock within " + Duration.ofNanos(maxWaitNanos), null);
        }
      }
    } catch (StoreException e) {
      metrics.record(Event.STORE_ERROR, key);
      return fallback(key, seen, loader, "the lock service failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new LoadException(key, "interrupted while waiting for the distributed lock", e);
    }
    metrics.record(Event.LOCK_ACQUIRED, key);
    long every = Math.max(1, leaseMillis / 3);
    try {
      Entry<V> current = freshSince(key, seen); // double-check: the last holder may have just written
      if (current != null) {
        return current.value();
      }
      ScheduledFuture<?> watchdog = scheduler.scheduleAtFixedRate(
          () -> quietly(key, () -> locks.renew(name, owner, leaseMillis)), every, every, TimeUnit.MILLISECONDS);
      try {
        return fill.fill(key, seen, token, loader);
      } finally {
        watchdog.cancel(false);
      }
    } finally {
      quietly(key, () -> locks.release(name, owner)); // compare-and-delete: never frees a newer holder's lease
      quietly(key, () -> locks.signal(name));
    }
  }

  /** Subscribes, re-reads, waits for the holder's signal (or a poll tick); returns a fresh entry or null. */
  private Entry<V> awaitRelease(K key, String name, Entry<V> seen, long deadline) throws InterruptedException {
    try (Locks.Watch watch = locks.watch(name)) { // subscribe first, so a release after the read still wakes us
      Entry<V> current = freshSince(key, seen);
      long remaining = deadline - System.nanoTime();
      if (current != null || remaining <= 0) {
        return current;
      }
      watch.await(Math.min(remaining, TimeUnit.MILLISECONDS.toNanos(leaseMillis) / 4), TimeUnit.NANOSECONDS);
    }
    return freshSince(key, seen); // read what the holder wrote before competing for the lock again
  }

  private Entry<V> freshSince(K key, Entry<V> seen) {
    Entry<V> current = store.getOrMiss(key, metrics);
    return current != null && current.isFresh(ticker.read()) && current.supersedes(seen) ? current : null;
  }

  private V fallback(K key, Entry<V> seen, Loader<K, V> loader, String why, Exception cause) {
    metrics.record(Event.LOCK_FALLBACK, key);
    if (fallback == Fallback.FAIL) {
      throw new LoadException(key, why + " (fallback FAIL)", cause);
    }
    if (fallback == Fallback.SERVE_STALE_OR_LOAD && seen != null) {
      metrics.record(Event.STALE_SERVED, key);
      return seen.value();
    }
    metrics.record(Event.LOAD_STARTED, key);
    try {
      V value = loader.load(key);
      if (value == null) {
        throw new LoadException(key, "loader returned null", null);
      }
      return value; // not written: without the lock this caller may not be the only one loading
    } catch (Exception e) {
      metrics.record(Event.LOAD_FAILED, key);
      throw LoadException.wrap(key, e);
    }
  }

  private void quietly(K key, Runnable lockCall) {
    try {
      lockCall.run();
    } catch (StoreException e) {
      metrics.record(Event.STORE_ERROR, key);
    }
  }
}
