package stampede.strategies;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import stampede.core.Entry;
import stampede.core.Event;
import stampede.core.Fill;
import stampede.core.InterruptedLoadException;
import stampede.core.Loader;
import stampede.core.Metrics;
import stampede.core.RejectedException;

/**
 * Load shedding, a {@link Fill}: at most {@code maxConcurrentLoads} loads run at once in this process, whatever the
 * keys. A load beyond the bound waits at most {@code maxQueueWait} for a slot, then is shed with a fast
 * {@link RejectedException} ("load shed"); the read path's {@code staleIfError} turns that into a bounded-stale
 * value where it has one.
 *
 * <pre>
 *   LoadShedder.builder(storeFill).maxConcurrentLoads(10).maxQueueWait(Duration.ofMillis(50)).metrics(metrics).build();
 * </pre>
 *
 * <p><b>Prevents:</b> the many-keys stampede that per-key coalescing cannot: a cold start, a flush, or a mass expiry
 * sends thousands of distinct misses at the database at once. The database sees a bounded concurrency; the excess
 * fails fast instead of queueing without bound.
 *
 * <p><b>Pick it when</b> the database has a known safe concurrency (its connection pool), and a quick "try again"
 * (or a slightly stale value) is better than timeouts for everyone. Put a {@link SingleFlight} above it so one hot
 * key takes one slot, not C.
 *
 * <p><b>Costs:</b> a fair {@link Semaphore} acquire and release per load, never per hit; a shed caller waits at most
 * {@code maxQueueWait} (real time); no unbounded queue; {@link Event#LOAD_SHED} per shed load. A slot is released in
 * {@code finally}, whatever the loader did. The bound is per process: N nodes allow N x the bound.
 *
 * <p><b>Source:</b> Beyer et al., "Site Reliability Engineering" (O'Reilly 2016), chapter 21, "Handling Overload";
 * Netflix's {@code concurrency-limits} (bound in-flight requests, reject the excess fast).
 *
 * <p><b>Copy with it:</b> CacheAside.java, CacheStore.java, Entry.java, Event.java, Fill.java,
 * InterruptedLoadException.java, LoadException.java, Loader.java, LoadingStrategy.java, Metrics.java,
 * RejectedException.java, StoreException.java, StoreFill.java, Ticker.java, Ttl.java.
 */
public final class LoadShedder<K, V> implements Fill<K, V> {
  private final Fill<K, V> fill;
  private final Metrics metrics;
  private final int maxConcurrentLoads;
  private final Semaphore permits;
  private final long maxQueueWaitNanos;

  private LoadShedder(Builder<K, V> b) {
    this.fill = b.fill;
    this.metrics = b.metrics;
    this.maxConcurrentLoads = b.maxConcurrentLoads;
    this.maxQueueWaitNanos = b.maxQueueWait.toNanos();
    this.permits = new Semaphore(maxConcurrentLoads, true);
  }

  /** Bounds the loads of {@code fill}, the miss path (e.g. a {@code StoreFill}); one shedder per database. */
  public static <K, V> Builder<K, V> builder(Fill<K, V> fill) {
    return new Builder<>(fill);
  }

  @Override
  public V fill(K key, Entry<V> seen, long fence, Loader<K, V> loader) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(loader, "loader");
    try {
      if (!permits.tryAcquire(maxQueueWaitNanos, TimeUnit.NANOSECONDS)) {
        metrics.record(Event.LOAD_SHED, key);
        throw new RejectedException(key, "load shed");
      }
    } catch (InterruptedException e) {
      throw InterruptedLoadException.of(key, "while waiting for a load slot", e);
    }
    try {
      return fill.fill(key, seen, fence, loader);
    } finally {
      permits.release();
    }
  }

  /** Loads running now (for tests and monitoring). */
  public int loadsInFlight() {
    return maxConcurrentLoads - permits.availablePermits();
  }

  /** Settings of a {@link LoadShedder}, with their defaults; checked in {@link #build()}. */
  public static final class Builder<K, V> {
    private final Fill<K, V> fill;
    private Metrics metrics = Metrics.none();
    private int maxConcurrentLoads = 10;
    private Duration maxQueueWait = Duration.ZERO;

    private Builder(Fill<K, V> fill) {
      this.fill = Objects.requireNonNull(fill, "fill");
    }

    /** Loads allowed at once in this process, at least 1; default 10 (HikariCP's default pool size). */
    public Builder<K, V> maxConcurrentLoads(int maxConcurrentLoads) {
      this.maxConcurrentLoads = maxConcurrentLoads;
      return this;
    }

    /** How long a load may wait for a slot before it is shed; default zero (never waits). */
    public Builder<K, V> maxQueueWait(Duration maxQueueWait) {
      this.maxQueueWait = Objects.requireNonNull(maxQueueWait, "maxQueueWait");
      return this;
    }

    /** Receives {@link Event#LOAD_SHED}; default none. */
    public Builder<K, V> metrics(Metrics metrics) {
      this.metrics = Objects.requireNonNull(metrics, "metrics");
      return this;
    }

    /** The shedder; an {@link IllegalArgumentException} naming the first setting that cannot work. */
    public LoadShedder<K, V> build() {
      if (maxConcurrentLoads < 1) {
        throw new IllegalArgumentException("maxConcurrentLoads must be at least 1: " + maxConcurrentLoads);
      }
      if (maxQueueWait.isNegative() || maxQueueWait.compareTo(Duration.ofNanos(Long.MAX_VALUE)) > 0) {
        throw new IllegalArgumentException("maxQueueWait must be zero or positive and at most 292 years: "
            + maxQueueWait);
      }
      return new LoadShedder<>(this);
    }
  }
}
