package stampede.properties;

import java.time.Duration;
import java.util.Objects;
import stampede.core.CacheStore;
import stampede.core.Entry;
import stampede.core.Event;
import stampede.core.Fill;
import stampede.core.Loader;
import stampede.core.LoadingStrategy;
import stampede.core.Metrics;
import stampede.core.StoreFill;
import stampede.core.Ticker;
import stampede.core.Ttl;

/**
 * A deliberately broken single flight: SingleFlight without its in-flight map, so every caller that misses
 * loads. Selected only with {@code -Dstampede.broken=true}, to show that the coalescing properties catch it.
 */
final class BrokenSingleFlight<K, V> implements LoadingStrategy<K, V>, Fill<K, V> {
  private final CacheStore<K, V> store;
  private final Ticker ticker;
  private final Metrics metrics;
  private final Fill<K, V> fill;

  BrokenSingleFlight(CacheStore<K, V> store, Ticker ticker, Metrics metrics, Duration ttl) {
    this.store = store;
    this.ticker = ticker;
    this.metrics = metrics;
    this.fill = new StoreFill<>(store, ticker, metrics, Ttl.fixed(ttl));
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
    return fill.fill(key, seen, fence, loader); // no in-flight map: no coalescing
  }
}
