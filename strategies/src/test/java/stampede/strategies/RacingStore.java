package stampede.strategies;

import java.util.Objects;
import stampede.core.CacheStore;
import stampede.core.Entry;

/**
 * A store that runs a hook once, right after its next read has returned from the real store: deterministically,
 * "something happened between this caller's read and what it does next" (e.g. another refresh ran and wrote).
 * For single-threaded tests.
 */
final class RacingStore<K, V> implements CacheStore<K, V> {
  private final CacheStore<K, V> store;
  private Runnable afterNextGet;

  RacingStore(CacheStore<K, V> store) {
    this.store = Objects.requireNonNull(store, "store");
  }

  /** Runs {@code hook} once, after the next {@link #get} has read (and before it returns). */
  void afterNextGet(Runnable hook) {
    this.afterNextGet = hook;
  }

  @Override
  public Entry<V> get(K key) {
    Entry<V> entry = store.get(key);
    Runnable hook = afterNextGet;
    afterNextGet = null;
    if (hook != null) {
      hook.run();
    }
    return entry;
  }

  @Override
  public boolean put(K key, Entry<V> entry) {
    return store.put(key, entry);
  }

  @Override
  public void invalidate(K key) {
    store.invalidate(key);
  }
}
