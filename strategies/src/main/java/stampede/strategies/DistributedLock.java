package stampede.strategies;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;
import stampede.core.CacheStore;
import stampede.core.Entry;
import stampede.core.Event;
import stampede.core.Fill;
import stampede.core.InterruptedLoadException;
import stampede.core.LoadException;
import stampede.core.Loader;
import stampede.core.Locks;
import stampede.core.Metrics;
import stampede.core.Nullable;
import stampede.core.StoreException;
import stampede.core.Ticker;

/**
 * Distributed lock (lease), a {@link Fill}: across all nodes sharing the store, one caller per key loads; the
 * others wait for its signal, then read what it wrote.
 *
 * <p><b>Prevents:</b> the cross-node stampede (N nodes missing one key: 1 load, not N). Writes carry a fencing
 * token, so a holder that lost its lease (GC pause, partition) cannot overwrite a newer value; a crashed holder's
 * lease runs out after {@code lease} (the key waits that long), then a waiter loads.
 *
 * <p><b>Pick it when</b> loads are expensive for the backend and many nodes share one cache; under a
 * {@link SingleFlight} ({@link TwoLevelCoalescing}) so a node sends one caller per key to the lock.
 *
 * <p><b>Costs:</b> 2-3 round trips per miss (acquire, re-read, release + publish), a map entry per key waited for or
 * held here, plus waiting: one load time, or the {@link Fallback} after {@code maxWait} (default 5 s). Waiters in one
 * process share one wait per key ({@link LockWaits}): one of them subscribes to the key's signal before it tries for
 * the lease (so a release is never missed), tries and reads again every lease/4 and on each signal; the others park on
 * what it finds, or on the holder here, sending nothing (before: each waiting thread polled on its own, and at 10,000
 * requests/s one key's waiters took every caller thread). A watchdog renews the lease every lease/3 while the load
 * runs, for {@code maxHold} at most (default 1 minute): a hung load holds the key for {@code maxHold} plus one lease,
 * then another caller may load (give a loader that may hang its own timeout too). A loader error reaches the waiters
 * too, as with {@link SingleFlight}: a waiter woken by the holder's release that finds no fresh value fails at once
 * ({@link LoadException}, "the lock holder's load failed"; the read path's {@code staleIfError} may answer it),
 * nothing is cached, and the next call loads again. Leases are timed by the lock service, {@code maxWait} and
 * {@code maxHold} on a monotonic {@link Ticker}; freshness assumes node clocks agree within their skew.
 *
 * <p><b>Waking, exactly.</b> A waiter in the holder's process hears from the holder how it ended: its value (even if
 * the write did not reach the store), its failure, or its interrupt, after which the waiters try for the lease again
 * and one loads. A waiter on another node reads the store: a fresh value is the holder's; a failed read takes the
 * {@link Fallback} (whether the holder loaded is unknown: with Redis down, a load, not an error); no fresh value is
 * the failure above, which is also what it sees when the holder was interrupted or loaded but could not write while
 * this waiter can read (a store failing for one node only: put a {@link StoreGuard} on both). A caller interrupted
 * while it waits gets an {@link InterruptedLoadException} and loads nothing (the others wait on: one of them polls
 * instead if it was the poller); a holder interrupted in its loader still releases and signals (its interrupt status
 * cleared for the clean-up, then set again).
 *
 * <p><b>Source:</b> Redis {@code SET NX PX} locks (redis.io, "Distributed Locks with Redis") and Kleppmann, "How to
 * do distributed locking" (2016: fencing tokens); Redisson's lock watchdog, {@code RFencedLock}, and its waiters
 * sharing one subscription per lock ({@code RedissonLock}, {@code LockPubSub}); Nishtala et al., "Scaling Memcache
 * at Facebook", NSDI 2013, section 3.2.1 (leases); nginx {@code proxy_cache_lock_timeout} (the
 * {@link Fallback#LOAD_WITHOUT_CACHING} default).
 *
 * <p><b>Copy with it:</b> CacheAside.java, CacheStore.java, Entry.java, Event.java, Fill.java,
 * InterruptedLoadException.java, LoadException.java, Loader.java, LoadingStrategy.java, Locks.java, LockWaits.java,
 * Metrics.java, Nullable.java, RejectedException.java, StoreException.java, StoreFill.java, Ticker.java, Ttl.java.
 */
public final class DistributedLock<K, V> implements Fill<K, V> {

  /**
   * What a caller does when it gets no lock within {@code maxWait}, or the lock service fails, or the store fails
   * its read after the holder's release.
   */
  public enum Fallback {
    /** Call the loader and return its value without writing it (nginx after proxy_cache_lock_timeout). */
    LOAD_WITHOUT_CACHING,
    /** Throw a {@link LoadException} (the read path's stale-if-error may still answer): protect the backend. */
    FAIL
  }

  private static @Nullable ScheduledExecutorService defaultWatchdog;

  private final CacheStore<K, V> store;
  private final Locks<K> locks;
  private final Fill<K, V> fill;
  private final Metrics metrics;
  private final RandomGenerator tokens;
  private final ScheduledExecutorService watchdog;
  private final Ticker ticker;
  private final long leaseMillis;
  private final long maxWaitNanos;
  private final long maxHoldNanos;
  private final Fallback fallback;
  private final LockWaits<K, V> waits; // per key, one caller here polls; the others park on it

  private DistributedLock(Builder<K, V> b) {
    this.store = b.store;
    this.locks = b.locks;
    this.fill = b.fill;
    this.metrics = b.metrics;
    this.tokens = b.tokens;
    this.watchdog = b.watchdog != null ? b.watchdog : sharedWatchdog();
    this.ticker = b.ticker;
    this.leaseMillis = b.lease.toMillis();
    this.maxWaitNanos = b.maxWait.toNanos();
    this.maxHoldNanos = b.maxHold.toNanos();
    this.fallback = b.fallback;
    this.waits = new LockWaits<>(store, locks, metrics, ticker, leaseMillis);
  }

  /** One load per key across processes, leased from {@code locks}, loading through {@code fill}. */
  public static <K, V> Builder<K, V> builder(CacheStore<K, V> store, Locks<K> locks, Fill<K, V> fill) {
    return new Builder<>(store, locks, fill);
  }

  @Override
  public V fill(K key, @Nullable Entry<V> seen, long fence, Loader<K, V> loader) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(loader, "loader");
    String owner = Long.toHexString(tokens.nextLong());
    LockWaits.Found<V> found = waits.await(key, seen, owner, ticker.read() + maxWaitNanos);
    if (found == null) {
      return fallback(key, loader, "no lock within " + Duration.ofNanos(maxWaitNanos), null);
    }
    if (found.token() > 0) {
      return hold(key, seen, owner, found.token(), Objects.requireNonNull(found.holder(), "a taken lease's outcome"),
          loader);
    }
    if (found.failure() instanceof StoreException e) {
      return fallback(key, loader, "the lock service failed", e);
    }
    if (found.failure() != null) {
      throw found.failure();
    }
    return found.value();
  }

  /** Keys with a wait or a holder in this process now (for tests: a wait that ended leaves nothing behind). */
  int waitingKeys() {
    return waits.keys();
  }

  /** The longest a caller may spend in {@link #fill} before it loads itself: {@code maxWait} plus a lease. */
  public Duration longestWait() {
    return Duration.ofNanos(maxWaitNanos).plusMillis(leaseMillis);
  }

  /** Loads under the lease {@code token}, renewed for at most {@code maxHold}; releases it and wakes the waiters. */
  private V hold(K key, @Nullable Entry<V> seen, String owner, long token, CompletableFuture<V> outcome,
      Loader<K, V> loader) {
    metrics.record(Event.LOCK_ACQUIRED, key);
    long acquiredAt = ticker.read();
    long every = Math.max(1, leaseMillis / 3);
    try {
      Entry<V> current = store.freshSince(key, seen, metrics); // double-check: the last holder may have just written
      if (current != null) {
        outcome.complete(current.value());
        return current.value();
      }
      ScheduledFuture<?> renewal = watchdog.scheduleAtFixedRate(() -> {
        if (ticker.read() - acquiredAt < maxHoldNanos) { // a hung load keeps the key maxHold + a lease at most
          quietly(key, () -> locks.renew(key, owner, leaseMillis));
        }
      }, every, every, TimeUnit.MILLISECONDS);
      try {
        V value = fill.fill(key, seen, token, loader);
        outcome.complete(value);
        return value;
      } finally {
        renewal.cancel(false);
      }
    } catch (RuntimeException | Error e) {
      if (InterruptedLoadException.isInterrupt(e)) {
        outcome.cancel(false); // this caller's cancellation, not its waiters': they try for the lease again
      } else {
        outcome.completeExceptionally(e);
      }
      throw e;
    } finally {
      boolean interrupted = Thread.interrupted(); // the clean-up runs even for a cancelled caller
      quietly(key, () -> locks.release(key, owner)); // compare-and-delete: never frees a newer holder's lease
      quietly(key, () -> locks.signal(key));
      waits.done(key, outcome);
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private V fallback(K key, Loader<K, V> loader, String why, @Nullable Exception cause) {
    metrics.record(Event.LOCK_FALLBACK, key);
    if (fallback == Fallback.FAIL) {
      throw new LoadException(key, why + " (fallback FAIL)", cause, false); // on every call while it lasts
    }
    metrics.record(Event.LOAD_STARTED, key);
    long start = ticker.read();
    try {
      V value = loader.load(key);
      if (value == null) {
        throw new LoadException(key, "loader returned null", null);
      }
      metrics.record(Event.LOAD_SUCCEEDED, key, ticker.read() - start);
      return value; // not written: without the lock this caller may not be the only one loading
    } catch (Throwable t) { // an Error too: every LOAD_STARTED ends (a gauge of loads in flight counts on it)
      metrics.record(Event.LOAD_FAILED, key, ticker.read() - start);
      throw LoadException.wrap(key, t);
    }
  }

  private void quietly(K key, Runnable lockCall) {
    try {
      lockCall.run();
    } catch (StoreException e) {
      metrics.record(Event.STORE_ERROR, key);
    } catch (InterruptedLoadException e) {
      // interrupted again during the clean-up: the lease runs out by itself, the status is kept
    }
  }

  private static synchronized ScheduledExecutorService sharedWatchdog() {
    if (defaultWatchdog == null) {
      defaultWatchdog = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "stampede-lease-watchdog");
        t.setDaemon(true);
        return t;
      });
    }
    return defaultWatchdog;
  }

  /** Settings of a {@link DistributedLock}, with their defaults. */
  public static final class Builder<K, V> {
    private final CacheStore<K, V> store;
    private final Locks<K> locks;
    private final Fill<K, V> fill;
    private Metrics metrics = Metrics.none();
    private RandomGenerator tokens = new SecureRandom();
    private @Nullable ScheduledExecutorService watchdog;
    private Duration lease = Duration.ofSeconds(30);
    private Duration maxWait = Duration.ofSeconds(5);
    private Duration maxHold = Duration.ofMinutes(1);
    private Ticker ticker = Ticker.system();
    private Fallback fallback = Fallback.LOAD_WITHOUT_CACHING;

    private Builder(CacheStore<K, V> store, Locks<K> locks, Fill<K, V> fill) {
      this.store = Objects.requireNonNull(store, "store");
      this.locks = Objects.requireNonNull(locks, "locks");
      this.fill = Objects.requireNonNull(fill, "fill");
    }

    /** Receives LOCK_*, LOAD_* (fallback loads) and store events; default none. */
    public Builder<K, V> metrics(Metrics metrics) {
      this.metrics = Objects.requireNonNull(metrics, "metrics");
      return this;
    }

    /** Lease length, at least 3 ms; waiters also poll every lease/4 in case a signal is lost. Default 30 s. */
    public Builder<K, V> lease(Duration lease) {
      this.lease = Objects.requireNonNull(lease, "lease");
      return this;
    }

    /** How long a caller tries for the lock or a fresh value before the fallback. Default 5 s (nginx's). */
    public Builder<K, V> maxWait(Duration maxWait) {
      this.maxWait = Objects.requireNonNull(maxWait, "maxWait");
      return this;
    }

    /**
     * How long the watchdog renews the lease of a load still running; past it the lease runs out within one lease
     * and another caller may load (the late write of the first is fenced). Default 1 minute.
     */
    public Builder<K, V> maxHold(Duration maxHold) {
      this.maxHold = Objects.requireNonNull(maxHold, "maxHold");
      return this;
    }

    /** The clock of {@code maxWait} and {@code maxHold}, monotonic; default {@link Ticker#system()}. */
    public Builder<K, V> ticker(Ticker ticker) {
      this.ticker = Objects.requireNonNull(ticker, "ticker");
      return this;
    }

    /** What a caller does without the lock; default {@link Fallback#LOAD_WITHOUT_CACHING}. */
    public Builder<K, V> fallback(Fallback fallback) {
      this.fallback = Objects.requireNonNull(fallback, "fallback");
      return this;
    }

    /** Owner tokens: thread-safe, seeded differently on every node. Default a {@link SecureRandom}. */
    public Builder<K, V> tokens(RandomGenerator tokens) {
      this.tokens = Objects.requireNonNull(tokens, "tokens");
      return this;
    }

    /** Runs the lease renewals; default one shared daemon thread. */
    public Builder<K, V> watchdog(ScheduledExecutorService watchdog) {
      this.watchdog = Objects.requireNonNull(watchdog, "watchdog");
      return this;
    }

    public DistributedLock<K, V> build() {
      if (lease.toMillis() < 3 || maxWait.isNegative() || maxWait.isZero() || maxHold.isNegative()) {
        throw new IllegalArgumentException("need lease >= 3 ms, maxWait > 0 and maxHold >= 0: " + lease + ", "
            + maxWait + ", " + maxHold);
      }
      return new DistributedLock<>(this);
    }
  }
}
