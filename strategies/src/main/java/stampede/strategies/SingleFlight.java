package stampede.strategies;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
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
 * Single flight (request coalescing): in one process, at most one load per key at a time. The first caller
 * to miss loads; every caller that misses while that load is in flight waits for it and gets its value, or
 * its error.
 *
 * <p><b>Prevents:</b> the in-process stampede: C concurrent callers on an expired key cost 1 load instead of C.
 * On N nodes it still costs N loads (one per node); put a {@code DistributedLock} behind it for one.
 *
 * <p><b>Pick it when</b> one process sees many concurrent requests for the same key. It is the cheapest
 * protection and the first one to add.
 *
 * <p><b>Costs:</b> a {@link ConcurrentHashMap} operation per miss; waiters block for up to the load time (or
 * {@code maxWait}). An error is shared with every waiter at once, never cached, and the next call loads
 * again. A waiter that gives up after {@code maxWait} gets a {@link LoadException}; the load itself goes on
 * (as FusionCache's hard timeout), and its result is still written.
 *
 * <p><b>Source:</b> Go's {@code golang.org/x/sync/singleflight} ({@code Do}); Caffeine's
 * {@code AsyncCache.get} and its issue #287 (coalesced waiters all get the loader's error).
 *
 * <p>Composition: {@code SingleFlight(fill)}, e.g. {@code SingleFlight(DistributedLock(StoreFill(Loader)))}
 * for one load per key across N nodes and C callers per node. As a {@link Fill} it coalesces fills too.
 */
public final class SingleFlight<K, V> implements LoadingStrategy<K, V>, Fill<K, V> {
  private final CacheStore<K, V> store;
  private final Ticker ticker;
  private final Metrics metrics;
  private final Fill<K, V> fill;
  private final long maxWaitNanos;
  private final ConcurrentHashMap<K, CompletableFuture<V>> inFlight = new ConcurrentHashMap<>();

  /**
   * @param fill    the miss path the one loader runs (e.g. {@link StoreFill})
   * @param maxWait how long a waiter waits for a load in flight before failing with {@link LoadException}
   */
  public SingleFlight(CacheStore<K, V> store, Ticker ticker, Metrics metrics, Fill<K, V> fill, Duration maxWait) {
    this.store = Objects.requireNonNull(store, "store");
    this.ticker = Objects.requireNonNull(ticker, "ticker");
    this.metrics = Objects.requireNonNull(metrics, "metrics");
    this.fill = Objects.requireNonNull(fill, "fill");
    this.maxWaitNanos = maxWait.toNanos();
    if (maxWaitNanos <= 0) {
      throw new IllegalArgumentException("maxWait must be positive: " + maxWait);
    }
  }

  /** Loads and writes values fresh for {@code ttl}; waiters wait up to {@code maxWait}. */
  public SingleFlight(CacheStore<K, V> store, Ticker ticker, Metrics metrics, Duration ttl, Duration maxWait) {
    this(store, ticker, metrics, new StoreFill<>(store, ticker, metrics, Ttl.fixed(ttl)), maxWait);
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
    CompletableFuture<V> mine = new CompletableFuture<>();
    CompletableFuture<V> running = inFlight.putIfAbsent(key, mine);
    if (running != null) {
      metrics.record(Event.LOAD_COALESCED, key);
      return await(key, running);
    }
    try {
      // Double-check: a flight that ended between our read and putIfAbsent has written a fresh entry.
      Entry<V> current = store.getOrMiss(key, metrics);
      V value = current != null && current.isFresh(ticker.read()) && current.supersedes(seen)
          ? current.value()
          : fill.fill(key, seen, fence, loader);
      mine.complete(value);
      return value;
    } catch (RuntimeException | Error e) {
      mine.completeExceptionally(e);
      throw e;
    } finally {
      inFlight.remove(key, mine);
    }
  }

  /** Number of loads in flight (for tests and monitoring). */
  public int inFlight() {
    return inFlight.size();
  }

  private V await(K key, CompletableFuture<V> running) {
    try {
      return running.get(maxWaitNanos, TimeUnit.NANOSECONDS);
    } catch (ExecutionException e) {
      throw LoadException.wrap(key, e.getCause());
    } catch (TimeoutException e) {
      metrics.record(Event.LOAD_FAILED, key);
      throw new LoadException(key, "gave up waiting for the load in flight after "
          + Duration.ofNanos(maxWaitNanos), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new LoadException(key, "interrupted while waiting for the load in flight", e);
    }
  }
}
