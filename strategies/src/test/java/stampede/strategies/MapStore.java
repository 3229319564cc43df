package stampede.strategies;

import java.util.concurrent.ConcurrentHashMap;
import stampede.core.CacheStore;
import stampede.core.Entry;
import stampede.core.Ticker;

/**
 * The smallest {@link CacheStore} with the SPI's fence rule: a {@link ConcurrentHashMap} on an injected ticker. The
 * Lincheck tests use it instead of Caffeine, so the model checker explores the strategy's interleavings, not the
 * store's internals.
 */
final class MapStore<K, V> implements CacheStore<K, V> {
  private final ConcurrentHashMap<K, Entry<V>> entries = new ConcurrentHashMap<>();
  private final Ticker ticker;

  MapStore(Ticker ticker) {
    this.ticker = ticker;
  }

  @Override
  public Entry<V> get(K key) {
    return entries.get(key);
  }

  @Override
  public boolean put(K key, Entry<V> entry) {
    boolean[] written = {false};
    entries.compute(key, (k, current) -> {
      written[0] = entry.fence() == 0 || current == null || current.fence() <= entry.fence();
      return written[0] ? entry : current;
    });
    return written[0];
  }

  @Override
  public void invalidate(K key) {
    entries.remove(key);
  }

  @Override
  public Ticker ticker() {
    return ticker;
  }
}
