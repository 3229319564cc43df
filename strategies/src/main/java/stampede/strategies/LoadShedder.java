package stampede.strategies;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import stampede.core.CacheStore;
import stampede.core.Entry;
import stampede.core.Event;
import stampede.core.Fill;
import stampede.core.LoadException;
import stampede.core.Loader;
import stampede.core.LoadingStrategy;
import stampede.core.Metrics;
import stampede.core.RejectedException;
import stampede.core.StoreFill;
import stampede.core.Ticker;
import stampede.core.Ttl;

/**
 * Load shedding: at most {@code maxConcurrentLoads} loads run at once in this process, whatever the keys.
 * A miss beyond the bound waits at most {@code maxQueueWait} for a slot, then is shed: it gets its stale
 * value if that is at most {@code serveStaleFor} stale, otherwise a fast {@link RejectedException}.
 *
 * <p><b>Prevents:</b> the many-keys stampede that per-key coalescing cannot: a cold start, a flush, or a
 * mass expiry sends thousands of distinct misses at the database at once. The database sees a bounded
 * concurrency; the excess fails fast (or is served stale) instead of queueing without bound.
 *
 * <p><b>Pick it when</b> the database has a known safe concurrency, and a quick "try again" (or a slightly
 * stale value) is better than timeouts for everyone. Put {@code SingleFlight} outside it so one hot key takes
 * one slot, not C.
 *
 * <p><b>Costs:</b> a {@link Semaphore} (fair) acquire and release per load, never per hit; a shed caller
 * waits at most {@code maxQueueWait} (real time); no unbounded queue. Shed loads are recorded as
 * {@link Event#STALE_SERVED} or {@link Event#REJECTED} (reason "load shed"). A slot is released in
 * {@code finally}, whatever the loader did. The bound is per process: N nodes allow N x the bound.
 *
 * <p><b>Source:</b> the Google SRE book, "Handling Overload" (shed load early, serve degraded responses);
 * Netflix's {@code concurrency-limits} (bound in-flight requests, reject the excess fast).
 *
 * <p>Composition: {@code LoadShedder(fill)}, e.g. {@code SingleFlight(LoadShedder(StoreFill(Loader)))}.
 */
public final class LoadShedder<K, V> implements LoadingStrategy<K, V>, Fill<K, V> {
  private final CacheStore<K, V> store;
  private final Ticker ticker;
  private final Metrics metrics;
  private final Fill<K, V> fill;
  private final int maxConcurrentLoads;
  private final Semaphore permits;
  private final long maxQueueWaitNanos;
  private final long serveStaleNanos;

  /**
   * @param fill               the miss path it bounds (e.g. {@link StoreFill})
   * @param maxConcurrentLoads loads allowed at once, at least 1
   * @param maxQueueWait       how long a load may wait for a slot before it is shed (zero: never waits)
   * @param serveStaleFor      how stale an entry may be and still be served when shed (ticker time)
   */
  public LoadShedder(CacheStore<K, V> store, Ticker ticker, Metrics metrics, Fill<K, V> fill,
      int maxConcurrentLoads, Duration maxQueueWait, Duration serveStaleFor) {
    this.store = Objects.requireNonNull(store, "store");
    this.ticker = Objects.requireNonNull(ticker, "ticker");
    this.metrics = Objects.requireNonNull(metrics, "metrics");
    this.fill = Objects.requireNonNull(fill, "fill");
    this.maxConcurrentLoads = maxConcurrentLoads;
    this.maxQueueWaitNanos = maxQueueWait.toNanos();
    this.serveStaleNanos = serveStaleFor.toNanos();
    if (maxConcurrentLoads < 1 || maxQueueWaitNanos < 0 || serveStaleNanos < 0) {
      throw new IllegalArgumentException("need maxConcurrentLoads >= 1, maxQueueWait >= 0, serveStaleFor >= 0: "
          + maxConcurrentLoads + ", " + maxQueueWait + ", " + serveStaleFor);
    }
    this.permits = new Semaphore(maxConcurrentLoads, true);
  }

  /** Loads and writes values fresh for {@code ttl}. */
  public LoadShedder(CacheStore<K, V> store, Ticker ticker, Metrics metrics, Duration ttl,
      int maxConcurrentLoads, Duration maxQueueWait, Duration serveStaleFor) {
    this(store, ticker, metrics, new StoreFill<>(store, ticker, metrics, Ttl.fixed(ttl)),
        maxConcurrentLoads, maxQueueWait, serveStaleFor);
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
    try {
      if (!permits.tryAcquire(maxQueueWaitNanos, TimeUnit.NANOSECONDS)) {
        return shed(key, seen);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new LoadException(key, "interrupted while waiting for a load slot", e);
    }
    try {
      return fill.fill(key, seen, fence, loader);
    } finally {
      permits.release();
    }
  }

  /** Loads running now (for tests and monitoring). */
  public int loadsInFlight() {
    return maxConcurrentLoads - permits.availablePermits();
  }

  private V shed(K key, Entry<V> seen) {
    if (seen != null && seen.staleFor(ticker.read()) <= serveStaleNanos) {
      metrics.record(Event.STALE_SERVED, key);
      return seen.value();
    }
    metrics.record(Event.REJECTED, key);
    throw new RejectedException(key, "load shed");
  }
}
