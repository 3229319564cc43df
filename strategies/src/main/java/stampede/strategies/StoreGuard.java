package stampede.strategies;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import stampede.core.CacheStore;
import stampede.core.CorruptEntryException;
import stampede.core.Entry;
import stampede.core.Event;
import stampede.core.InterruptedLoadException;
import stampede.core.Locks;
import stampede.core.Metrics;
import stampede.core.Nullable;
import stampede.core.StoreException;
import stampede.core.Ticker;

/**
 * Store guard: a {@link CacheStore} and {@link Locks} in front of a shared store (Redis) and its leases. When the
 * shared store fails or times out it opens: entries are read from and written to a bounded copy in this process and
 * new leases are taken in this process, until a probe finds the store again. Pass it to any strategy as its store and
 * its locks; the strategies do not change.
 *
 * <pre>
 *   StoreGuard&lt;K, V&gt; guard = StoreGuard.builder(redisStore, redisLocks).metrics(metrics).build();
 *   LoadingStrategy&lt;K, V&gt; s = CacheAside.builder(guard, new TwoLevelCoalescing&lt;&gt;(guard,
 *       DistributedLock.builder(guard, guard, new StoreFill&lt;&gt;(guard, metrics, ttl)).build(), metrics)).build();
 * </pre>
 * The whole of it, every variable defined, compiles and runs as {@code GuardedRedisExample} (module
 * {@code strategies}, {@code src/test/java/stampede/examples}; docs/redis.md shows it).
 *
 * <p><b>Prevents:</b> the database stampede a store outage causes. Unguarded, Redis down turns every read into a
 * miss, every lease into an error (the lock's fallback: a load per caller) and every write into nothing cached, for
 * as long as it lasts; a slow Redis costs a timeout per command, several per call. Guarded, the first failure opens
 * it; then every strategy's own coalescing (single flight, the lock's lease and signal, now in process) makes one
 * load per key per process, and the copy serves the value until it expires: at most one load per key per process
 * and TTL while the store is unreachable, and at most one timeout per call.
 *
 * <p><b>Pick it when</b> the store is shared (Redis) and the database must not take the load of the store's outage.
 * Over an in-process store it adds nothing.
 *
 * <p><b>Costs:</b> a volatile read per command while closed, and a map entry per lease it took on the store until
 * that lease's release is signalled. Open: up to {@code localEntries} entries in memory (default 10,000, least
 * recently used dropped), values not shared with other nodes (each loads its own once), writes not reaching the store;
 * {@code invalidate} removes the copy and throws {@link StoreException}, so the caller knows the store kept its entry.
 * Entries keep the store's clock. A corrupt entry is the store answering: it passes through. A caller already waiting
 * on the store's signal when the guard opens may wait out its poll (lease / 4) or {@code maxWait}.
 *
 * <p><b>Probes.</b> One command probes the store {@code firstProbe} (default 50 ms) after the guard opens; each
 * failed probe doubles the wait, up to {@code openFor} (default 1 s), as Lettuce's reconnect backs off (on a monotonic
 * {@link Ticker}). A success closes the guard and the next commands use the store again (a load in flight across the
 * change may cost one more load); the copy serves only while open, and only what was loaded during this outage. A
 * caller whose command failed does not probe within {@code openFor}, so a call costs one timeout at most while the
 * store is slow; one probe at a time. Caching resumes at most {@code openFor} after the client has reconnected (the
 * clients of {@code RedisStore.client} reconnect at most 1 s apart): measured on the embedded Redis, 985 ms after a
 * restart at the worst moment, just after a failed probe (4,984 ms with a probe every 5 s).
 *
 * <p><b>Leases taken on the store</b> stay there: even once the guard has opened, their renewal, release and signal
 * go to the store, and so does the value written under one (its fence is the store's token; kept in the copy too while
 * open), so other nodes' waiters get it at once; while such a lease is held in this process, no in-process lease is
 * given for its key. If one of these commands fails, or the calling thread met a failure within {@code openFor}, the
 * rest stay in process (one timeout per call): the lease then runs out by itself. A caller's interrupt is its own
 * cancellation, never an outage: the guard stays as it was (an interrupted probe is given back) and the caller gets an
 * {@link InterruptedLoadException}, its interrupt status set; an in-process {@link Watch#await} throws
 * {@link InterruptedException}.
 *
 * <p><b>Source:</b> FusionCache's {@code DistributedCacheCircuitBreakerDuration} (a breaker in front of the
 * distributed level while the memory level serves) and its fail-safe; HCL Cache's circuit breakers for Redis, with
 * local caches serving through the outage; Nygard, "Release It!" (2007), the circuit breaker.
 *
 * <p><b>Copy with it:</b> CacheAside.java, CacheStore.java, CorruptEntryException.java, Entry.java, Event.java,
 * Fill.java, InterruptedLoadException.java, LoadException.java, Loader.java, LoadingStrategy.java, Locks.java,
 * Metrics.java, Nullable.java, RejectedException.java, StoreException.java, StoreFill.java, Ticker.java, Ttl.java.
 */
public final class StoreGuard<K, V> implements CacheStore<K, V>, Locks<K> {
  private static final int LOCAL = 0;
  private static final int SHARED = 1;
  private static final int PROBE = 2;

  private final CacheStore<K, V> store;
  private final Locks<K> locks;
  private final Metrics metrics;
  private final Ticker ticker;
  private final long firstProbeNanos;
  private final long openForNanos;
  private final Map<K, Entry<V>> copy; // guarded by itself; used while open
  private final ConcurrentHashMap<K, Lease> leases = new ConcurrentHashMap<>(); // held through this guard
  private final ConcurrentHashMap<K, CompletableFuture<Void>> signals = new ConcurrentHashMap<>();
  private final AtomicLong fences = new AtomicLong(); // local tokens: above every fence in the copy
  private final AtomicLong nextProbe = new AtomicLong();
  private final ThreadLocal<Long> failedAt = new ThreadLocal<>(); // when this thread last met a store failure
  private long probeEvery; // guarded by this: the wait after the last failure, doubling up to openFor
  private volatile boolean open;

  /**
   * A lease held through this guard: taken in process (token 0) or on the store (its fencing token; renewed,
   * released and signalled there, open or not). Released: taken on the store, its signal not sent yet.
   */
  private record Lease(String owner, long expiresAt, long token, boolean released) { }

  private StoreGuard(Builder<K, V> b) {
    this.store = b.store;
    this.locks = b.locks;
    this.metrics = b.metrics;
    this.ticker = b.ticker;
    this.openForNanos = b.openFor.toNanos();
    this.firstProbeNanos = b.firstProbe != null ? b.firstProbe.toNanos() : Math.min(openForNanos, 50_000_000L);
    int max = b.localEntries;
    this.copy = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<K, Entry<V>> eldest) {
        return size() > max;
      }
    };
  }

  /** Guards {@code store} and its lease service {@code locks}. */
  public static <K, V> Builder<K, V> builder(CacheStore<K, V> store, Locks<K> locks) {
    return new Builder<>(store, locks);
  }

  /** True while the shared store is presumed unreachable (for tests and monitoring). */
  public boolean isOpen() {
    return open;
  }

  @Override
  public @Nullable Entry<V> get(K key) {
    return read(key, 0, false);
  }

  /** Passes the caller's clock reading through, so a hit through the guard still reads the clock once. */
  @Override
  public @Nullable Entry<V> get(K key, long now) {
    return read(key, now, true);
  }

  private @Nullable Entry<V> read(K key, long now, boolean timed) {
    Objects.requireNonNull(key, "key");
    // T is a nullable Entry here (a miss): NullAway does not track nullness of type arguments outside JSpecify mode
    return shared(key, () -> timed ? store.get(key, now) : store.get(key), () -> {
      synchronized (copy) {
        return copy.get(key);
      }
    });
  }

  @Override
  public boolean put(K key, Entry<V> entry) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(entry, "entry");
    Lease lease = leases.get(key);
    if (lease != null && lease.token > 0 && entry.fence() == lease.token) { // under a lease taken on the store
      Boolean written = direct(key, () -> store.put(key, entry)); // so other nodes' waiters get the value
      boolean kept = (written == null || (open && written)) && keep(key, entry); // this process reads the copy
      return written != null ? written : kept;
    }
    return shared(key, () -> store.put(key, entry), () -> keep(key, entry));
  }

  private boolean keep(K key, Entry<V> entry) {
    fences.accumulateAndGet(entry.fence(), Math::max);
    synchronized (copy) {
      Entry<V> current = copy.get(key);
      if (current != null && current.fence() > entry.fence()) {
        return false;
      }
      copy.put(key, entry);
      return true;
    }
  }

  @Override
  public void invalidate(K key) {
    synchronized (copy) {
      copy.remove(Objects.requireNonNull(key, "key"));
    }
    shared(key, () -> {
      store.invalidate(key);
      return null;
    }, () -> {
      throw new StoreException("the store is unreachable: '" + key + "' was invalidated in this process only", null);
    });
  }

  @Override
  public Ticker ticker() {
    return store.ticker();
  }

  @Override
  public long tryAcquire(K key, String owner, long leaseMillis) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(owner, "owner");
    long now = ticker.read();
    long until = now + TimeUnit.MILLISECONDS.toNanos(leaseMillis);
    return shared(key, () -> {
      long token = locks.tryAcquire(key, owner, leaseMillis);
      if (token > 0) {
        leases.put(key, new Lease(owner, until, token, false));
      }
      return token;
    }, () -> {
      long[] token = {0};
      leases.compute(key, (k, cur) -> {
        if (cur != null && !cur.released && cur.expiresAt - now > 0) {
          return cur; // held in process, or on the store by a caller in this process
        }
        token[0] = fences.incrementAndGet();
        return new Lease(owner, until, 0, false);
      });
      return token[0];
    });
  }

  @Override
  public boolean renew(K key, String owner, long leaseMillis) {
    long until = ticker.read() + TimeUnit.MILLISECONDS.toNanos(leaseMillis);
    Lease lease = mine(key, owner, cur -> cur.token == 0 ? new Lease(owner, until, 0, false) : cur);
    if (lease == null || lease.token == 0) {
      return lease != null || shared(key, () -> locks.renew(key, owner, leaseMillis), () -> false);
    }
    boolean renewed = Boolean.TRUE.equals(direct(key, () -> locks.renew(key, owner, leaseMillis)));
    if (renewed) {
      leases.replace(key, lease, new Lease(owner, until, lease.token, false));
    }
    return renewed;
  }

  @Override
  public boolean release(K key, String owner) {
    Lease lease = mine(key, owner, cur -> cur.token == 0 ? null : new Lease(owner, cur.expiresAt, cur.token, true));
    if (lease == null || lease.token == 0) {
      return lease != null || shared(key, () -> locks.release(key, owner), () -> false);
    }
    return Boolean.TRUE.equals(direct(key, () -> locks.release(key, owner))); // its signal will go there too
  }

  /** The lease {@code owner} holds through this guard (null if none), replaced by what {@code then} makes of it. */
  private Lease mine(K key, String owner, UnaryOperator<Lease> then) {
    Lease[] mine = {null};
    leases.computeIfPresent(key, (k, cur) -> {
      if (cur.released || !cur.owner.equals(owner)) {
        return cur;
      }
      mine[0] = cur;
      return then.apply(cur);
    });
    return mine[0];
  }

  @Override
  public Watch watch(K key) {
    Objects.requireNonNull(key, "key");
    return shared(key, () -> locks.watch(key), () -> {
      CompletableFuture<Void> signal = signals.computeIfAbsent(key, k -> new CompletableFuture<>());
      return new Watch() {
        @Override
        public boolean await(long timeout, TimeUnit unit) throws InterruptedException {
          try {
            signal.get(timeout, unit);
            return true;
          } catch (TimeoutException e) {
            return false;
          } catch (ExecutionException e) {
            return true;
          }
        }

        @Override
        public void close() {
        }
      };
    });
  }

  @Override
  public void signal(K key) {
    CompletableFuture<Void> local = signals.remove(key);
    if (local != null) {
      local.complete(null);
    }
    Supplier<Void> publish = () -> {
      locks.signal(key);
      return null;
    };
    Lease lease = leases.get(key);
    if (lease != null && lease.released && leases.remove(key, lease)) {
      direct(key, publish); // its waiters on other nodes listen on the store
    } else {
      shared(key, publish, () -> null);
    }
  }

  /**
   * LOCAL while open, except one PROBE at a time when due, never by a thread that met a failure within
   * {@code openFor} (so a call pays one timeout at most); SHARED while closed.
   */
  private int route() {
    if (!open) {
      return SHARED;
    }
    long due = nextProbe.get();
    long now = ticker.read();
    if (now - due < 0) {
      return LOCAL;
    }
    Long failed = failedAt.get();
    return (failed == null || now - failed >= openForNanos) && nextProbe.compareAndSet(due, now + openForNanos)
        ? PROBE : LOCAL;
  }

  /** Calls the shared store, or {@code local} while open; a store failure opens the guard and answers locally. */
  private <T> T shared(Object key, Supplier<T> call, Supplier<T> local) {
    int route = route();
    if (route != LOCAL) {
      try {
        T result = call.get();
        reached(route);
        return result;
      } catch (CorruptEntryException e) {
        reached(route);
        throw e;
      } catch (StoreException | InterruptedLoadException e) {
        failed(key, route, e);
      }
    }
    return local.get();
  }

  /** A command of a lease held on the store: sent there, open or not (null if it failed or was not sent). */
  private <T> @Nullable T direct(Object key, Supplier<T> call) {
    Long failed = failedAt.get();
    if (open && failed != null && ticker.read() - failed < openForNanos) {
      return null; // this thread paid its timeout lately: the lease runs out by itself
    }
    try {
      return call.get();
    } catch (StoreException | InterruptedLoadException e) {
      failed(key, SHARED, e);
      return null;
    }
  }

  /** A command reached the store: if it was the probe, the guard closes and the store's entries count again. */
  private void reached(int route) {
    if (route == PROBE) {
      open = false;
      synchronized (copy) {
        copy.clear(); // memory back; a write racing with this is cleared at the next opening
      }
    }
  }

  /** A command failed: the caller's interrupt is thrown as such, leaving the guard as it was; else it opens. */
  private void failed(Object key, int route, RuntimeException e) {
    if (InterruptedLoadException.isInterrupt(e)) {
      if (route == PROBE) {
        nextProbe.set(ticker.read()); // it found nothing out: the next command probes
      }
      throw e instanceof InterruptedLoadException i ? i : InterruptedLoadException.of(key, "while waiting for the "
          + "store", e);
    }
    opened(key, route == PROBE);
  }

  /**
   * The guard opens (afresh if it was closed: next probe after {@code firstProbe}); a failed probe doubles the wait,
   * up to {@code openFor}. A failure of a command sent before the guard opened changes nothing.
   */
  private synchronized void opened(Object key, boolean probe) {
    metrics.record(Event.STORE_ERROR, key);
    long now = ticker.read();
    failedAt.set(now);
    if (!open) {
      synchronized (copy) {
        copy.clear(); // only what this outage loaded: nothing left from an earlier one
      }
      probeEvery = firstProbeNanos;
      nextProbe.set(now + probeEvery);
      open = true;
    } else if (probe) {
      probeEvery = Math.min(probeEvery * 2, openForNanos);
      nextProbe.set(now + probeEvery);
    }
  }

  /** Settings of a {@link StoreGuard}, with their defaults. */
  public static final class Builder<K, V> {
    private final CacheStore<K, V> store;
    private final Locks<K> locks;
    private Metrics metrics = Metrics.none();
    private Ticker ticker = Ticker.system();
    private Duration openFor = Duration.ofSeconds(1);
    private @Nullable Duration firstProbe;
    private int localEntries = 10_000;

    private Builder(CacheStore<K, V> store, Locks<K> locks) {
      this.store = Objects.requireNonNull(store, "store");
      this.locks = Objects.requireNonNull(locks, "locks");
    }

    /** Receives {@link Event#STORE_ERROR} for each store failure it absorbs; default none. */
    public Builder<K, V> metrics(Metrics metrics) {
      this.metrics = Objects.requireNonNull(metrics, "metrics");
      return this;
    }

    /** The clock of {@code openFor} and of the local leases, monotonic; default {@link Ticker#system()}. */
    public Builder<K, V> ticker(Ticker ticker) {
      this.ticker = Objects.requireNonNull(ticker, "ticker");
      return this;
    }

    /** The longest wait between two probes of a failed store (they back off up to it); default 1 s. */
    public Builder<K, V> openFor(Duration openFor) {
      this.openFor = Objects.requireNonNull(openFor, "openFor");
      return this;
    }

    /** The wait before the first probe after the guard opens (then doubled); default 50 ms, at most openFor. */
    public Builder<K, V> firstProbe(Duration firstProbe) {
      this.firstProbe = Objects.requireNonNull(firstProbe, "firstProbe");
      return this;
    }

    /** The most entries kept in process while open (least recently used dropped); default 10,000. */
    public Builder<K, V> localEntries(int localEntries) {
      if (localEntries < 1) {
        throw new IllegalArgumentException("localEntries must be at least 1: " + localEntries);
      }
      this.localEntries = localEntries;
      return this;
    }

    public StoreGuard<K, V> build() {
      if (openFor.isNegative() || openFor.isZero()) {
        throw new IllegalArgumentException("openFor must be positive: " + openFor);
      }
      if (firstProbe != null && (firstProbe.isNegative() || firstProbe.isZero() || firstProbe.compareTo(openFor) > 0)) {
        throw new IllegalArgumentException("firstProbe must be positive and at most openFor (" + openFor + "): "
            + firstProbe);
      }
      return new StoreGuard<>(this);
    }
  }
}
