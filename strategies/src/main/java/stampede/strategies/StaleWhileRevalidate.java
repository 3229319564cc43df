package stampede.strategies;

import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import stampede.core.CacheStore;
import stampede.core.Entry;
import stampede.core.Event;
import stampede.core.Fill;
import stampede.core.LoadException;
import stampede.core.Loader;
import stampede.core.LoadingStrategy;
import stampede.core.Metrics;
import stampede.core.StoreFill;
import stampede.core.Ticker;
import stampede.core.Ttl;

/**
 * Stale-while-revalidate and stale-if-error: a value that has just gone stale is served at once while one
 * background refresh per key replaces it; a value stale for longer is loaded in line, and served stale if
 * that load fails.
 *
 * <p><b>Prevents:</b> the expiry stampede and the latency of it: within {@code staleWhileRevalidate} after
 * expiry no caller waits and one refresh per key (per process) runs on the executor. With stale-if-error a
 * failing source of truth degrades to stale data instead of errors for up to {@code staleIfError}.
 *
 * <p><b>Pick it when</b> slightly stale data is acceptable and latency matters more than freshness: most
 * read-heavy APIs. Past {@code staleWhileRevalidate} (the hard TTL) the caller loads in line as cache-aside
 * does, so put a {@code SingleFlight} in the fill for cold or long-idle keys.
 *
 * <p><b>Costs:</b> readers may see values up to {@code staleWhileRevalidate} past expiry (up to
 * {@code staleIfError} while the loader fails); one executor task per stale key, which re-reads the entry and skips
 * the load if it was refreshed meanwhile; a concurrent set of the keys being refreshed. The store's retention must
 * be at least {@code max(staleWhileRevalidate, staleIfError)}, or stale entries are gone before they can be served.
 * A failed refresh keeps the old value ({@link Event#REFRESH_FAILED}) and the next stale read tries again; an
 * executor that rejects the task ({@link Event#REJECTED}) leaves the stale value served and the next stale read
 * tries again. If the store is down, every read is a miss and loads in line, and there is nothing stale to fall
 * back on.
 *
 * <p><b>Source:</b> RFC 5861 ({@code stale-while-revalidate}, {@code stale-if-error}); per ANCHORS.md,
 * Caffeine's {@code refreshAfterWrite} (the old value is served while a single reload runs on the executor,
 * and a failed refresh keeps it), FusionCache's fail-safe and sturdyc's count of stale values served.
 *
 * <p>Composition: decides <em>when</em> to fill, outermost:
 * {@code StaleWhileRevalidate(DistributedLock(TtlJitter(Loader)))}; background refreshes and in-line loads
 * both go through the same fill.
 */
public final class StaleWhileRevalidate<K, V> implements LoadingStrategy<K, V> {
  private final CacheStore<K, V> store;
  private final Ticker ticker;
  private final Executor executor;
  private final Metrics metrics;
  private final Fill<K, V> fill;
  private final long swrNanos;
  private final long sieNanos;
  private final Set<K> refreshing = ConcurrentHashMap.newKeySet();

  /**
   * @param executor             runs background refreshes (bounded, ideally)
   * @param staleWhileRevalidate how long past expiry a value is served while it is refreshed (zero or more)
   * @param staleIfError         how long past expiry a value is served when the in-line load fails (zero or more)
   */
  public StaleWhileRevalidate(CacheStore<K, V> store, Ticker ticker, Executor executor, Metrics metrics,
      Fill<K, V> fill, Duration staleWhileRevalidate, Duration staleIfError) {
    this.store = Objects.requireNonNull(store, "store");
    this.ticker = Objects.requireNonNull(ticker, "ticker");
    this.executor = Objects.requireNonNull(executor, "executor");
    this.metrics = Objects.requireNonNull(metrics, "metrics");
    this.fill = Objects.requireNonNull(fill, "fill");
    this.swrNanos = staleWhileRevalidate.toNanos();
    this.sieNanos = staleIfError.toNanos();
    if (swrNanos < 0 || sieNanos < 0) {
      throw new IllegalArgumentException("negative staleness bound: swr " + staleWhileRevalidate
          + ", sie " + staleIfError);
    }
  }

  /** Loads and writes values fresh for {@code ttl}. */
  public StaleWhileRevalidate(CacheStore<K, V> store, Ticker ticker, Executor executor, Metrics metrics,
      Duration ttl, Duration staleWhileRevalidate, Duration staleIfError) {
    this(store, ticker, executor, metrics, new StoreFill<>(store, ticker, metrics, Ttl.fixed(ttl)),
        staleWhileRevalidate, staleIfError);
  }

  @Override
  public V get(K key, Loader<K, V> loader) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(loader, "loader");
    Entry<V> entry = store.getOrMiss(key, metrics);
    long now = ticker.read();
    if (entry != null && entry.isFresh(now)) {
      metrics.record(Event.HIT, key);
      return entry.value();
    }
    if (entry != null && entry.staleFor(now) <= swrNanos) {
      metrics.record(Event.STALE_SERVED, key);
      refreshInBackground(key, entry, loader);
      return entry.value();
    }
    metrics.record(Event.MISS, key);
    try {
      return fill.fill(key, entry, 0, loader);
    } catch (LoadException e) {
      if (entry != null && entry.staleFor(ticker.read()) <= sieNanos) {
        metrics.record(Event.STALE_SERVED, key);
        return entry.value();
      }
      throw e;
    }
  }

  /** Number of background refreshes queued or running (for tests and monitoring). */
  public int refreshing() {
    return refreshing.size();
  }

  private void refreshInBackground(K key, Entry<V> stale, Loader<K, V> loader) {
    if (!refreshing.add(key)) {
      return; // one refresh per key at a time
    }
    try {
      executor.execute(() -> {
        try {
          // Skip if refreshed meanwhile (the caller read the stale entry just before another refresh wrote it).
          Entry<V> current = store.getOrMiss(key, metrics);
          if (current != null && current.isFresh(ticker.read()) && current.supersedes(stale)) {
            return;
          }
          metrics.record(Event.REFRESH_STARTED, key);
          fill.fill(key, stale, 0, loader);
        } catch (RuntimeException e) {
          metrics.record(Event.REFRESH_FAILED, key); // the old value stays in the store
        } finally {
          refreshing.remove(key);
        }
      });
    } catch (RejectedExecutionException e) {
      refreshing.remove(key);
      metrics.record(Event.REJECTED, key);
    }
  }
}
