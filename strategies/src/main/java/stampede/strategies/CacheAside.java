package stampede.strategies;

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
 * Naive cache-aside: read the cache; on a miss, every caller loads and writes. The baseline.
 *
 * <p><b>Prevents:</b> nothing. When a hot key expires, every concurrent caller misses and calls the loader:
 * C callers on N nodes cost up to C x N loads per expiry. That is the stampede the other strategies are
 * measured against.
 *
 * <p><b>Pick it when</b> keys are cold, loads are cheap, or concurrency per key is low, and you want the
 * simplest thing that works.
 *
 * <p><b>Costs:</b> one store read per call, nothing else; no coordination.
 *
 * <p><b>Source:</b> the cache-aside pattern (lazy loading), as in the AWS and Azure caching guides.
 *
 * <p>Composition: {@code CacheAside(fill)}; the default fill is {@code StoreFill(Loader)} with a fixed TTL.
 */
public final class CacheAside<K, V> implements LoadingStrategy<K, V> {
  private final CacheStore<K, V> store;
  private final Ticker ticker;
  private final Metrics metrics;
  private final Fill<K, V> fill;

  /** Loads through {@code fill} on a miss. */
  public CacheAside(CacheStore<K, V> store, Ticker ticker, Metrics metrics, Fill<K, V> fill) {
    this.store = Objects.requireNonNull(store, "store");
    this.ticker = Objects.requireNonNull(ticker, "ticker");
    this.metrics = Objects.requireNonNull(metrics, "metrics");
    this.fill = Objects.requireNonNull(fill, "fill");
  }

  /** Loads and writes values fresh for {@code ttl}. */
  public CacheAside(CacheStore<K, V> store, Ticker ticker, Metrics metrics, Duration ttl) {
    this(store, ticker, metrics, new StoreFill<>(store, ticker, metrics, Ttl.fixed(ttl)));
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
    return fill.fill(key, entry, 0, loader);
  }
}
