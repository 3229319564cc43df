package stampede.strategies;

import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
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
 * Refresh-ahead with cache warming: a tracked key that expires within {@code refreshWindow} is reloaded on an
 * executor while still fresh, so its readers keep hitting; {@link #warm} fills keys up front.
 *
 * <p><b>Prevents:</b> the expiry (and cold-start) stampede on keys that are read or warmed: one refresh per key
 * replaces the value before it expires, and no reader misses.
 *
 * <p><b>Pick it when</b> the hot set is known or stable and values must never be served stale. Call
 * {@link #refreshDue} from a scheduler, e.g. every {@code refreshWindow / 2}.
 *
 * <p><b>Costs:</b> a background load per tracked key per TTL, read or not (a key is dropped once its entry is gone
 * from the store, until its next read); each refresh re-reads the entry first and skips the load if it is no longer
 * due. About {@code maxTrackedKeys} keys are tracked; others are plain cache-aside. A failed refresh
 * ({@link Event#REFRESH_FAILED}) keeps the old value until it expires and backs the key off on the ticker,
 * {@code initialBackoff} doubling to {@code maxBackoff}; a success resets it. A rejecting executor skips the
 * refresh ({@link Event#REJECTED}); the next read or {@code refreshDue} retries.
 *
 * <p><b>Source:</b> Caffeine's {@code refreshAfterWrite} (one reload on the executor, a failed refresh keeps
 * the old value) and its issues #475 and #1794 (backoff after failed refreshes), per ANCHORS.md.
 *
 * <p>Composition: outermost, {@code BackgroundRefresh(DistributedLock(TtlJitter(Loader)))}; refreshes, warm-up
 * and misses share the fill.
 */
public final class BackgroundRefresh<K, V> implements LoadingStrategy<K, V> {
  private final CacheStore<K, V> store;
  private final Ticker ticker;
  private final Executor executor;
  private final Metrics metrics;
  private final Fill<K, V> fill;
  private final long windowNanos;
  private final long initialBackoffNanos;
  private final long maxBackoffNanos;
  private final int maxTrackedKeys;
  private final ConcurrentHashMap<K, Tracked<K, V>> tracked = new ConcurrentHashMap<>();

  public BackgroundRefresh(CacheStore<K, V> store, Ticker ticker, Executor executor, Metrics metrics,
      Fill<K, V> fill, Duration refreshWindow, Duration initialBackoff, Duration maxBackoff, int maxTrackedKeys) {
    this.store = Objects.requireNonNull(store, "store");
    this.ticker = Objects.requireNonNull(ticker, "ticker");
    this.executor = Objects.requireNonNull(executor, "executor");
    this.metrics = Objects.requireNonNull(metrics, "metrics");
    this.fill = Objects.requireNonNull(fill, "fill");
    this.windowNanos = refreshWindow.toNanos();
    this.initialBackoffNanos = initialBackoff.toNanos();
    this.maxBackoffNanos = maxBackoff.toNanos();
    this.maxTrackedKeys = maxTrackedKeys;
    if (windowNanos <= 0 || initialBackoffNanos <= 0 || maxBackoffNanos < initialBackoffNanos || maxTrackedKeys <= 0) {
      throw new IllegalArgumentException("need refreshWindow > 0, 0 < initialBackoff <= maxBackoff, maxTrackedKeys"
          + " > 0: " + refreshWindow + ", " + initialBackoff + ", " + maxBackoff + ", " + maxTrackedKeys);
    }
  }

  /** Loads and writes values fresh for {@code ttl}, which must be longer than {@code refreshWindow}. */
  public BackgroundRefresh(CacheStore<K, V> store, Ticker ticker, Executor executor, Metrics metrics, Duration ttl,
      Duration refreshWindow, Duration initialBackoff, Duration maxBackoff, int maxTrackedKeys) {
    this(store, ticker, executor, metrics, new StoreFill<>(store, ticker, metrics, Ttl.fixed(ttl)),
        refreshWindow, initialBackoff, maxBackoff, maxTrackedKeys);
    if (refreshWindow.compareTo(ttl) >= 0) {
      throw new IllegalArgumentException("refreshWindow " + refreshWindow + " must be shorter than ttl " + ttl);
    }
  }

  @Override
  public V get(K key, Loader<K, V> loader) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(loader, "loader");
    Tracked<K, V> t = track(key, loader);
    Entry<V> entry = store.getOrMiss(key, metrics);
    long now = ticker.read();
    if (entry != null && entry.isFresh(now)) {
      metrics.record(Event.HIT, key);
      if (t != null && entry.expireTime() - now <= windowNanos) {
        refresh(key, t, entry, now);
      }
      return entry.value();
    }
    metrics.record(Event.MISS, key);
    return fill.fill(key, entry, 0, loader);
  }

  /**
   * Cache warming: tracks {@code keys} and loads, in line, each one not already fresh beyond the window (so a
   * second node warming the same shared store loads nothing). A failed load is recorded by the fill and skipped.
   *
   * @return how many keys were loaded
   */
  public int warm(Collection<K> keys, Loader<K, V> loader) {
    Objects.requireNonNull(loader, "loader");
    int loaded = 0;
    for (K key : keys) {
      track(Objects.requireNonNull(key, "key"), loader);
      Entry<V> entry = store.getOrMiss(key, metrics);
      if (entry == null || entry.expireTime() - ticker.read() <= windowNanos) {
        try {
          fill.fill(key, entry, 0, loader);
          loaded++;
        } catch (LoadException | RejectedException e) {
          // recorded by the fill; the key loads on its first read
        }
      }
    }
    return loaded;
  }

  /** Starts a refresh for every tracked key whose entry expires within the window; returns how many started. */
  public int refreshDue() {
    int started = 0;
    for (Map.Entry<K, Tracked<K, V>> e : tracked.entrySet()) {
      Entry<V> entry = store.getOrMiss(e.getKey(), metrics);
      long now = ticker.read();
      if (entry == null) {
        tracked.remove(e.getKey(), e.getValue()); // gone from the store: stop refreshing it
      } else if (entry.expireTime() - now <= windowNanos && refresh(e.getKey(), e.getValue(), entry, now)) {
        started++;
      }
    }
    return started;
  }

  private Tracked<K, V> track(K key, Loader<K, V> loader) {
    Tracked<K, V> t = tracked.get(key);
    if (t == null && tracked.size() < maxTrackedKeys) {
      t = tracked.computeIfAbsent(key, k -> new Tracked<>());
    }
    if (t != null && t.loader != loader) {
      t.loader = loader; // the latest loader refreshes the key
    }
    return t;
  }

  private boolean refresh(K key, Tracked<K, V> t, Entry<V> seen, long now) {
    if (now < t.retryAt || !t.running.compareAndSet(false, true)) {
      return false; // backing off, or one refresh already queued or running
    }
    try {
      executor.execute(() -> run(key, t, seen));
      return true;
    } catch (RejectedExecutionException e) {
      t.running.set(false);
      metrics.record(Event.REJECTED, key);
      return false;
    }
  }

  private void run(K key, Tracked<K, V> t, Entry<V> seen) {
    try {
      // Skip if refreshed meanwhile (the caller read the due entry just before another refresh wrote it).
      Entry<V> current = store.getOrMiss(key, metrics);
      if (current != null && current.supersedes(seen) && current.expireTime() - ticker.read() > windowNanos) {
        return;
      }
      metrics.record(Event.REFRESH_STARTED, key);
      fill.fill(key, seen, 0, t.loader);
      t.backoff = 0;
      t.retryAt = Long.MIN_VALUE;
    } catch (RuntimeException e) {
      metrics.record(Event.REFRESH_FAILED, key);
      t.backoff = t.backoff == 0 ? initialBackoffNanos
          : t.backoff > maxBackoffNanos / 2 ? maxBackoffNanos : 2 * t.backoff;
      t.retryAt = ticker.read() + t.backoff;
    } finally {
      t.running.set(false);
    }
  }

  /** Per tracked key: its loader, its backoff, and whether a refresh is queued or running. */
  private static final class Tracked<K, V> {
    final AtomicBoolean running = new AtomicBoolean();
    volatile Loader<K, V> loader;
    volatile long backoff;
    volatile long retryAt = Long.MIN_VALUE;
  }
}
