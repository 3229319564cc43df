package stampede.testkit;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import stampede.core.CacheStore;
import stampede.core.Entry;
import stampede.core.Nullable;
import stampede.core.Ticker;

/**
 * A store that runs a hook once, right after its next read has returned from the real store: deterministically,
 * "something happened between this caller's read and what it does next" (e.g. another refresh ran and wrote).
 * The hook runs on the reading thread; it may run the queued work itself or block until another thread has.
 */
public final class RacingStore<K, V> implements CacheStore<K, V> {
  private final CacheStore<K, V> store;
  private final AtomicReference<Runnable> afterNextGet = new AtomicReference<>();

  public RacingStore(CacheStore<K, V> store) {
    this.store = Objects.requireNonNull(store, "store");
  }

  /** Runs {@code hook} once, after the next {@link #get} (on any thread) has read, before it returns. */
  public void afterNextGet(Runnable hook) {
    afterNextGet.set(Objects.requireNonNull(hook, "hook"));
  }

  @Override
  public @Nullable Entry<V> get(K key) {
    Entry<V> entry = store.get(key);
    Runnable hook = afterNextGet.getAndSet(null);
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

  @Override
  public Ticker ticker() {
    return store.ticker();
  }
}
