package stampede.strategies;

import java.time.Duration;
import stampede.core.Entry;
import stampede.core.Nullable;

/**
 * Stale-while-revalidate, a {@link CacheAside.Policy}: a value that has just gone stale is served at once while one
 * background refresh per key replaces it; a value stale for longer is loaded in line.
 *
 * <pre>
 *   CacheAside.builder(store, fill)
 *       .policy(new StaleWhileRevalidate&lt;&gt;(Duration.ofSeconds(10)), executor)
 *       .staleIfError(Duration.ofMinutes(1))        // RFC 5861's other half: stale on a failed load
 *       .build();
 * </pre>
 *
 * <p><b>Prevents:</b> the expiry stampede and its latency: within {@code staleWhileRevalidate} after expiry no
 * caller waits and one refresh per key (per process) runs on the executor. With the read path's
 * {@code staleIfError}, a failing source of truth degrades to stale data instead of errors.
 *
 * <p><b>Pick it when</b> slightly stale data is acceptable and latency matters more than freshness: most read-heavy
 * APIs. Past the bound the caller loads in line as cache-aside does, so give the read path a {@link SingleFlight}
 * fill for cold or long-idle keys.
 *
 * <p><b>Costs:</b> readers may see values up to {@code staleWhileRevalidate} past expiry; one executor task per
 * stale key (see {@link CacheAside} for how refreshes run and fail). The store's retention must be at least the
 * stale bounds, or stale entries are gone before they can be served. If the store is down, every read is a miss
 * and there is nothing stale to serve.
 *
 * <p><b>Source:</b> RFC 5861, "HTTP Cache-Control Extensions for Stale Content" ({@code stale-while-revalidate},
 * section 3); Caffeine's {@code refreshAfterWrite} (the old value is served while a single reload runs).
 *
 * <p><b>Copy with it:</b> CacheAside.java, CacheStore.java, Entry.java, Event.java, Fill.java,
 * InterruptedLoadException.java, LoadException.java, Loader.java, LoadingStrategy.java, Metrics.java, Nullable.java,
 * RejectedException.java, StoreException.java, StoreFill.java, Ticker.java, Ttl.java.
 */
public final class StaleWhileRevalidate<K, V> implements CacheAside.Policy<K, V> {
  private final long swrNanos;

  /** @param staleWhileRevalidate how long past expiry a value is served while it is refreshed (0 to 292 years) */
  public StaleWhileRevalidate(Duration staleWhileRevalidate) {
    if (staleWhileRevalidate.isNegative() || staleWhileRevalidate.compareTo(Duration.ofNanos(Long.MAX_VALUE)) > 0) {
      throw new IllegalArgumentException("staleWhileRevalidate must be at least 0 and at most 292 years: "
          + staleWhileRevalidate);
    }
    this.swrNanos = staleWhileRevalidate.toNanos();
  }

  @Override
  public CacheAside.Action decide(K key, @Nullable Entry<V> entry, long now) {
    if (entry == null) {
      return CacheAside.Action.LOAD;
    }
    if (entry.isFresh(now)) {
      return CacheAside.Action.HIT;
    }
    return entry.staleFor(now) <= swrNanos ? CacheAside.Action.STALE_AND_REFRESH : CacheAside.Action.LOAD;
  }
}
