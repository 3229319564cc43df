package stampede.strategies;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import stampede.core.CacheStore;
import stampede.core.Entry;
import stampede.core.Event;
import stampede.core.Fill;
import stampede.core.InterruptedLoadException;
import stampede.core.LoadException;
import stampede.core.Loader;
import stampede.core.Metrics;
import stampede.core.Nullable;
import stampede.core.Ticker;

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
 * time, at most {@code maxWait} (default 5 s). An error is shared with every waiter at once, never cached, and the
 * next call loads again; but an interrupt of the loading caller is its own: it fails alone (keeping its interrupt
 * status) and its waiters retry, one of them loading. A waiter that gives up after {@code maxWait} gets a
 * {@link LoadException}; the load itself goes on (as FusionCache's hard timeout), and its result is still written.
 * A load in flight for {@code hungAfter} (default {@code maxWait}, on a monotonic {@link Ticker}) is presumed hung:
 * the next caller starts a new load, so a hung loader costs at most one more load per key per {@code hungAfter}.
 *
 * <p><b>Source:</b> Go's {@code golang.org/x/sync/singleflight} ({@code Group.Do}, and {@code Group.Forget} to let a
 * new call start); Caffeine's {@code AsyncCache.get} and its issue #287 (coalesced waiters all get the loader's
 * error); nginx's {@code proxy_cache_lock_age} (one more request after 5 s).
 *
 * <p><b>Copy with it:</b> CacheAside.java, CacheStore.java, Entry.java, Event.java, Fill.java,
 * InterruptedLoadException.java, LoadException.java, Loader.java, LoadingStrategy.java, Metrics.java, Nullable.java,
 * RejectedException.java, StoreException.java, StoreFill.java, Ticker.java, Ttl.java.
 */
public final class SingleFlight<K, V> implements Fill<K, V> {
  private final CacheStore<K, V> store;
  private final Fill<K, V> fill;
  private final Metrics metrics;
  private final Ticker ticker;
  private final long maxWaitNanos;
  private final long hungAfterNanos;
  private final ConcurrentHashMap<K, Flight<V>> inFlight = new ConcurrentHashMap<>();

  /** A load in flight: its outcome, and when it started on the ticker. */
  private static final class Flight<V> extends CompletableFuture<V> {
    final long startedAt;

    Flight(long startedAt) {
      this.startedAt = startedAt;
    }
  }

  private SingleFlight(Builder<K, V> b) {
    this.store = b.store;
    this.fill = b.fill;
    this.metrics = b.metrics;
    this.ticker = b.ticker;
    this.maxWaitNanos = b.maxWait.toNanos();
    this.hungAfterNanos = (b.hungAfter != null ? b.hungAfter : b.maxWait).toNanos();
  }

  /** Coalesces the fills of {@code fill} (e.g. a {@code StoreFill}) on {@code store}. */
  public static <K, V> Builder<K, V> builder(CacheStore<K, V> store, Fill<K, V> fill) {
    return new Builder<>(store, fill);
  }

  @Override
  public V fill(K key, @Nullable Entry<V> seen, long fence, Loader<K, V> loader) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(loader, "loader");
    long deadline = System.nanoTime() + maxWaitNanos;
    boolean coalesced = false;
    while (true) {
      long now = ticker.read();
      Flight<V> mine = new Flight<>(now);
      Flight<V> running = inFlight.putIfAbsent(key, mine);
      if (running == null) {
        return lead(key, seen, fence, loader, mine);
      }
      if (now - running.startedAt >= hungAfterNanos) { // presumed hung: this caller loads, unless another took over
        if (inFlight.replace(key, running, mine)) {
          return lead(key, seen, fence, loader, mine);
        }
        continue;
      }
      if (!coalesced) {
        coalesced = true;
        metrics.record(Event.LOAD_COALESCED, key);
      }
      try {
        return await(key, running, deadline);
      } catch (CancellationException leaderInterrupted) {
        inFlight.remove(key, running); // retry: one waiter leads the next load
      }
    }
  }

  /** Number of loads in flight (for tests and monitoring). */
  public int inFlight() {
    return inFlight.size();
  }

  private V lead(K key, @Nullable Entry<V> seen, long fence, Loader<K, V> loader, Flight<V> mine) {
    try {
      Entry<V> current = store.freshSince(key, seen, metrics); // a flight that just ended wrote it
      V value = current != null ? current.value() : fill.fill(key, seen, fence, loader);
      mine.complete(value);
      return value;
    } catch (RuntimeException | Error e) {
      if (InterruptedLoadException.isInterrupt(e)) {
        mine.cancel(false); // the interrupt is this caller's, not its waiters': they retry
      } else {
        mine.completeExceptionally(e);
      }
      throw e;
    } finally {
      inFlight.remove(key, mine);
    }
  }

  private V await(K key, Flight<V> running, long deadline) {
    try {
      return running.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (ExecutionException e) {
      throw LoadException.wrap(key, e.getCause());
    } catch (TimeoutException e) {
      metrics.record(Event.WAIT_TIMED_OUT, key);
      throw new LoadException(key, "gave up waiting for the load in flight after " + Duration.ofNanos(maxWaitNanos),
          null, false);
    } catch (InterruptedException e) {
      throw InterruptedLoadException.of(key, "while waiting for the load in flight", e);
    }
  }

  /** Settings of a {@link SingleFlight}, with their defaults. */
  public static final class Builder<K, V> {
    private final CacheStore<K, V> store;
    private final Fill<K, V> fill;
    private Metrics metrics = Metrics.none();
    private Ticker ticker = Ticker.system();
    private Duration maxWait = Duration.ofSeconds(5);
    private @Nullable Duration hungAfter;

    private Builder(CacheStore<K, V> store, Fill<K, V> fill) {
      this.store = Objects.requireNonNull(store, "store");
      this.fill = Objects.requireNonNull(fill, "fill");
    }

    /** Receives LOAD_COALESCED, WAIT_TIMED_OUT and store events; default none. */
    public Builder<K, V> metrics(Metrics metrics) {
      this.metrics = Objects.requireNonNull(metrics, "metrics");
      return this;
    }

    /** The clock of {@code hungAfter}, monotonic; default {@link Ticker#system()}. */
    public Builder<K, V> ticker(Ticker ticker) {
      this.ticker = Objects.requireNonNull(ticker, "ticker");
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

    /**
     * How long a load may be in flight before it is presumed hung and the next caller starts a new one (at most one
     * new load per key per {@code hungAfter}); default {@code maxWait}.
     */
    public Builder<K, V> hungAfter(Duration hungAfter) {
      if (hungAfter.isNegative() || hungAfter.isZero()) {
        throw new IllegalArgumentException("hungAfter must be positive: " + hungAfter);
      }
      this.hungAfter = hungAfter;
      return this;
    }

    public SingleFlight<K, V> build() {
      return new SingleFlight<>(this);
    }
  }
}
