package stampede.jmh.impl;

import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import stampede.core.CacheStore;
import stampede.core.Entry;
import stampede.core.Fill;
import stampede.core.Loader;
import stampede.core.Metrics;

/**
 * Peer, and a mistake on purpose: one lock for every key. The miss path takes a single process-wide lock, reads the
 * store again (the double-check) and loads under it: what {@code synchronized (cache) { ... }} around a cache-aside
 * load amounts to. It does prevent the stampede on one key, and it serializes every load of every key behind each
 * other: 1,000 keys expiring together with 50 ms loads take 50 s to refill, while their callers wait. The locking
 * scenario measures it next to one lock per key ({@code DistributedLock}) and {@code SingleFlight}.
 *
 * <p>A {@link Fill}: {@code CacheAside.builder(store, new GlobalLockFill<>(store, new StoreFill<>(...), metrics))}.
 */
public final class GlobalLockFill<K, V> implements Fill<K, V> {
  private final ReentrantLock lock = new ReentrantLock();
  private final CacheStore<K, V> store;
  private final Fill<K, V> fill;
  private final Metrics metrics;

  public GlobalLockFill(CacheStore<K, V> store, Fill<K, V> fill, Metrics metrics) {
    this.store = Objects.requireNonNull(store, "store");
    this.fill = Objects.requireNonNull(fill, "fill");
    this.metrics = Objects.requireNonNull(metrics, "metrics");
  }

  @Override
  public V fill(K key, Entry<V> seen, long fence, Loader<K, V> loader) {
    lock.lock();
    try {
      Entry<V> current = store.freshSince(key, seen, metrics);
      return current != null ? current.value() : fill.fill(key, seen, fence, loader);
    } finally {
      lock.unlock();
    }
  }
}
