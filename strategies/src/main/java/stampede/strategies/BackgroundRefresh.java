package stampede.strategies;

import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import stampede.core.CacheStore;
import stampede.core.Entry;
import stampede.core.Event;
import stampede.core.Fill;
import stampede.core.LoadException;
import stampede.core.Loader;
import stampede.core.LoadingStrategy;
import stampede.core.Metrics;
import stampede.core.RejectedException;
import stampede.core.Ticker;

/**
 * Refresh-ahead with cache warming: a tracked key that expires within {@code refreshWindow} is reloaded in the
 * background while still fresh, so its readers keep hitting; {@link #warm} fills keys up front. It is a
 * {@link CacheAside} with this class as its {@link CacheAside.Policy}, plus the set of keys to keep fresh.
 *
 * <p><b>Prevents:</b> the expiry (and cold-start) stampede on keys that are read or warmed: one refresh per key
 * replaces the value before it expires, and no reader misses.
 *
 * <p><b>Pick it when</b> the hot set is known or stable and values must never be served stale. Call
 * {@link #refreshDue} from a scheduler, e.g. every {@code refreshWindow / 2}.
 *
 * <p><b>Costs:</b> a background load per tracked key per TTL, read or not (a key is dropped once its entry is gone
 * from the store, until its next read); see {@link CacheAside} for how refreshes run and fail. About
 * {@code maxTrackedKeys} keys are tracked; others are plain cache-aside. A failed refresh keeps the old value until
 * it expires and backs the key off, {@code initialBackoff} doubling to {@code maxBackoff} on a monotonic
 * {@link Ticker}; a success resets it.
 *
 * <p><b>Source:</b> Caffeine's {@code refreshAfterWrite} (one reload on the executor, a failed refresh keeps the old
 * value) and its issues #475 and #1794 (backoff after failed refreshes).
 *
 * <p><b>Copy with it:</b> CacheAside.java, CacheStore.java, Entry.java, Event.java,
 * Fill.java, LoadException.java, Loader.java, LoadingStrategy.java, Metrics.java, RejectedException.java,
 * StoreException.java, StoreFill.java, Ticker.java, Ttl.java.
 */
public final class BackgroundRefresh<K, V> implements LoadingStrategy<K, V>, CacheAside.Policy<K, V> {
  private final CacheStore<K, V> store;
  private final Ticker ticker;
  private final Metrics metrics;
  private final Fill<K, V> fill;
  private final CacheAside<K, V> path;
  private final long windowNanos;
  private final long initialBackoffNanos;
  private final long maxBackoffNanos;
  private final int maxTrackedKeys;
  private final ConcurrentHashMap<K, Tracked<K, V>> tracked = new ConcurrentHashMap<>();

  private BackgroundRefresh(Builder<K, V> b) {
    this.store = b.store;
    this.ticker = b.ticker;
    this.metrics = b.metrics;
    this.fill = b.fill;
    this.windowNanos = b.refreshWindow.toNanos();
    this.initialBackoffNanos = b.initialBackoff.toNanos();
    this.maxBackoffNanos = b.maxBackoff.toNanos();
    this.maxTrackedKeys = b.maxTrackedKeys;
    if (windowNanos <= 0 || initialBackoffNanos <= 0 || maxBackoffNanos < initialBackoffNanos || maxTrackedKeys <= 0) {
      throw new IllegalArgumentException("need refreshWindow > 0, 0 < initialBackoff <= maxBackoff, maxTrackedKeys > 0");
    }
    this.path = CacheAside.builder(store, fill).metrics(metrics).policy(this, b.executor).build();
  }

  /** Keeps the keys read or warmed fresh by reloading them through {@code fill} on {@code executor}. */
  public static <K, V> Builder<K, V> builder(CacheStore<K, V> store, Fill<K, V> fill, Executor executor) {
    return new Builder<>(store, fill, executor);
  }

  @Override
  public V get(K key, Loader<K, V> loader) {
    Objects.requireNonNull(loader, "loader");
    track(Objects.requireNonNull(key, "key"), loader);
    return path.get(key, loader);
  }

  @Override
  public CacheAside.Action decide(K key, Entry<V> entry, long now) {
    if (entry == null || !entry.isFresh(now)) {
      return CacheAside.Action.LOAD;
    }
    if (!due(entry, now)) {
      return CacheAside.Action.HIT; // the common hit: no map lookup, no clock read
    }
    Tracked<K, V> t = tracked.get(key);
    return t != null && ticker.read() >= t.retryAt ? CacheAside.Action.HIT_AND_REFRESH : CacheAside.Action.HIT;
  }

  @Override
  public void refreshed(K key, Throwable failure) {
    Tracked<K, V> t = tracked.get(key);
    if (t != null) {
      t.backoff = failure == null ? 0 : t.backoff == 0 ? initialBackoffNanos
          : t.backoff > maxBackoffNanos / 2 ? maxBackoffNanos : 2 * t.backoff;
      t.retryAt = failure == null ? Long.MIN_VALUE : ticker.read() + t.backoff;
    }
  }

  /**
   * Cache warming: tracks {@code keys} and loads, in line, each one not already fresh beyond the window (so a second
   * node warming the same shared store loads nothing). A failed load is recorded by the fill and skipped.
   *
   * @return how many keys were loaded
   */
  public int warm(Collection<K> keys, Loader<K, V> loader) {
    Objects.requireNonNull(loader, "loader");
    int loaded = 0;
    for (K key : keys) {
      track(Objects.requireNonNull(key, "key"), loader);
      long now = store.ticker().read();
      Entry<V> entry = store.getOrMiss(key, now, metrics);
      if (entry == null || due(entry, now)) {
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
      long now = store.ticker().read();
      Entry<V> entry = store.getOrMiss(e.getKey(), now, metrics);
      if (entry == null) {
        tracked.remove(e.getKey(), e.getValue()); // gone from the store: stop refreshing it
      } else if (decide(e.getKey(), entry, now) == CacheAside.Action.HIT_AND_REFRESH
          && path.refresh(e.getKey(), entry, e.getValue().loader)) {
        started++;
      }
    }
    return started;
  }

  private boolean due(Entry<V> entry, long now) {
    return entry.expireTime() - now <= windowNanos;
  }

  private void track(K key, Loader<K, V> loader) {
    Tracked<K, V> t = tracked.get(key);
    if (t == null && tracked.size() < maxTrackedKeys) {
      t = tracked.computeIfAbsent(key, k -> new Tracked<>());
    }
    if (t != null && t.loader != loader) {
      t.loader = loader; // the latest loader refreshes the key
    }
  }

  /** Per tracked key: its loader and its backoff. */
  private static final class Tracked<K, V> {
    volatile Loader<K, V> loader;
    volatile long backoff;
    volatile long retryAt = Long.MIN_VALUE;
  }

  /** Settings of a {@link BackgroundRefresh}, with their defaults. */
  public static final class Builder<K, V> {
    private final CacheStore<K, V> store;
    private final Fill<K, V> fill;
    private final Executor executor;
    private Metrics metrics = Metrics.none();
    private Ticker ticker = Ticker.system();
    private Duration refreshWindow = Duration.ofSeconds(10);
    private Duration initialBackoff = Duration.ofSeconds(1);
    private Duration maxBackoff = Duration.ofMinutes(1);
    private int maxTrackedKeys = 10_000;

    private Builder(CacheStore<K, V> store, Fill<K, V> fill, Executor executor) {
      this.store = Objects.requireNonNull(store, "store");
      this.fill = Objects.requireNonNull(fill, "fill");
      this.executor = Objects.requireNonNull(executor, "executor");
    }

    /** Receives the read path's events; default none. */
    public Builder<K, V> metrics(Metrics metrics) {
      this.metrics = Objects.requireNonNull(metrics, "metrics");
      return this;
    }

    /** The clock of the backoff, monotonic; default {@link Ticker#system()}. */
    public Builder<K, V> ticker(Ticker ticker) {
      this.ticker = Objects.requireNonNull(ticker, "ticker");
      return this;
    }

    /** A tracked key this close to expiry is refreshed; shorter than the TTL. Default 10 s. */
    public Builder<K, V> refreshWindow(Duration refreshWindow) {
      this.refreshWindow = Objects.requireNonNull(refreshWindow, "refreshWindow");
      return this;
    }

    /** The wait after a failed refresh, doubling up to {@code max}; default 1 s up to 1 minute. */
    public Builder<K, V> backoff(Duration initial, Duration max) {
      this.initialBackoff = Objects.requireNonNull(initial, "initial");
      this.maxBackoff = Objects.requireNonNull(max, "max");
      return this;
    }

    /** About how many keys are kept fresh; default 10,000. */
    public Builder<K, V> maxTrackedKeys(int maxTrackedKeys) {
      this.maxTrackedKeys = maxTrackedKeys;
      return this;
    }

    public BackgroundRefresh<K, V> build() {
      return new BackgroundRefresh<>(this);
    }
  }
}
