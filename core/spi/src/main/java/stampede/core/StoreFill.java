package stampede.core;

import java.util.Objects;

/**
 * The innermost {@link Fill}: calls the loader, times it, and writes an {@link Entry} fresh for {@link Ttl#nanos}
 * on the store's clock. The entry records the load's duration (XFetch's delta) and the fence it was given. A
 * failed load writes nothing; a failed write is recorded and the value is still returned.
 */
public final class StoreFill<K, V> implements Fill<K, V> {
  private final CacheStore<K, V> store;
  private final Ticker clock;
  private final Metrics metrics;
  private final Ttl<K> ttl;

  public StoreFill(CacheStore<K, V> store, Metrics metrics, Ttl<K> ttl) {
    this.store = Objects.requireNonNull(store, "store");
    this.clock = store.ticker();
    this.metrics = Objects.requireNonNull(metrics, "metrics");
    this.ttl = Objects.requireNonNull(ttl, "ttl");
  }

  @Override
  public V fill(K key, @Nullable Entry<V> seen, long fence, Loader<K, V> loader) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(loader, "loader");
    long start = clock.read();
    metrics.record(Event.LOAD_STARTED, key);
    V value;
    try {
      value = loader.load(key);
    } catch (Throwable t) { // an Error too: every LOAD_STARTED ends, or a gauge of loads in flight would drift
      metrics.record(Event.LOAD_FAILED, key, clock.read() - start);
      throw LoadException.wrap(key, t);
    }
    long end = clock.read();
    if (value == null) {
      metrics.record(Event.LOAD_FAILED, key, end - start);
      throw new LoadException(key, "loader returned null", null);
    }
    metrics.record(Event.LOAD_SUCCEEDED, key, end - start);
    store.putQuietly(key, new Entry<>(value, end, end + ttl.nanos(key), Math.max(0, end - start), fence), metrics);
    return value;
  }
}
