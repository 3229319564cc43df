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
import stampede.core.Metrics;

/**
 * Single flight (request coalescing), a {@link Fill}: in one process, at most one load per key at a time. The first
 * caller to miss loads; every caller that misses while that load is in flight waits for it and gets its value, or
 * its error.
 *
 * <pre>
 *   CacheAside.builder(store, SingleFlight.builder(store, new StoreFill&lt;&gt;(store, metrics, ttl)).build()).build();
 * </pre>
 *
 * <p><b>Prevents:</b> the in-process stampede: C concurrent callers on an expired key cost 1 load instead of C. On N
 * nodes it still costs N loads (one per node); put a {@link DistributedLock} under it for one
 * ({@link TwoLevelCoalescing}).
 *
 * <p><b>Pick it when</b> one process sees many concurrent requests for the same key. It is the cheapest protection
 * and the first one to add.
 *
 * <p><b>Costs:</b> a {@link ConcurrentHashMap} operation per miss, and a store read (the double-check: a flight that
 * ended between the caller's read and its own start has written a fresh value). Waiters block for up to the load
 * time, at most {@code maxWait}. An error is shared with every waiter at once, never cached, and the next call loads
 * again. A waiter that gives up after {@code maxWait} gets a {@link LoadException}; the load itself goes on (as
 * FusionCache's hard timeout), and its result is still written.
 *
 * <p><b>Source:</b> Go's {@code golang.org/x/sync/singleflight} ({@code Group.Do}); Caffeine's
 * {@code AsyncCache.get} and its issue #287 (coalesced waiters all get the loader's error).
 *
 * <p><b>Copy with it:</b> CacheAside.java, CacheStore.java, Entry.java, Event.java,
 * Fill.java, LoadException.java, Loader.java, LoadingStrategy.java, Metrics.java, RejectedException.java,
 * StoreException.java, StoreFill.java, Ticker.java, Ttl.java.
 */
public final class SingleFlight<K, V> implements Fill<K, V> {
  private final CacheStore<K, V> store;
  private final Fill<K, V> fill;
  private final Metrics metrics;
  private final long maxWaitNanos;
  private final ConcurrentHashMap<K, CompletableFuture<V>> inFlight = new ConcurrentHashMap<>();

  private SingleFlight(Builder<K, V> b) {
    this.store = b.store;
    this.fill = b.fill;
    this.metrics = b.metrics;
    this.maxWaitNanos = b.maxWait.toNanos();
  }

  /** Coalesces the fills of {@code fill} (e.g. a {@code StoreFill}) on {@code store}. */
  public static <K, V> Builder<K, V> builder(CacheStore<K, V> store, Fill<K, V> fill) {
    return new Builder<>(store, fill);
  }

  @Override
  public V fill(K key, Entry<V> seen, long fence, Loader<K, V> loader) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(loader, "loader");
    CompletableFuture<V> mine = new CompletableFuture<>();
    CompletableFuture<V> running = inFlight.putIfAbsent(key, mine);
    if (running != null) {
      metrics.record(Event.LOAD_COALESCED, key);
      return await(key, running);
    }
    try {
      Entry<V> current = store.freshSince(key, seen, metrics); // a flight that just ended wrote it
      V value = current != null ? current.value() : fill.fill(key, seen, fence, loader);
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
      metrics.record(Event.WAIT_TIMED_OUT, key);
      throw new LoadException(key, "gave up waiting for the load in flight after " + Duration.ofNanos(maxWaitNanos),
          null, false);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new LoadException(key, "interrupted while waiting for the load in flight", e, false);
    }
  }

  /** Settings of a {@link SingleFlight}, with their defaults. */
  public static final class Builder<K, V> {
    private final CacheStore<K, V> store;
    private final Fill<K, V> fill;
    private Metrics metrics = Metrics.none();
    private Duration maxWait = Duration.ofSeconds(5);

    private Builder(CacheStore<K, V> store, Fill<K, V> fill) {
      this.store = Objects.requireNonNull(store, "store");
      this.fill = Objects.requireNonNull(fill, "fill");
    }

    /** Receives LOAD_COALESCED, WAIT_TIMED_OUT and store events; default none. */
    public Builder<K, V> metrics(Metrics metrics) {
      this.metrics = Objects.requireNonNull(metrics, "metrics");
      return this;
    }

    /** How long a waiter waits for the load in flight before failing with a {@link LoadException}; default 5 s. */
    public Builder<K, V> maxWait(Duration maxWait) {
      if (maxWait.isNegative() || maxWait.isZero()) {
        throw new IllegalArgumentException("maxWait must be positive: " + maxWait);
      }
      this.maxWait = maxWait;
      return this;
    }

    public SingleFlight<K, V> build() {
      return new SingleFlight<>(this);
    }
  }
}
