package stampede.strategies;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;
import stampede.core.CacheStore;
import stampede.core.Locks;
import stampede.core.Metrics;
import stampede.core.StoreFill;
import stampede.core.Ticker;

/**
 * The layered combination for a hot key shared by many nodes, built in one place: jittered TTLs, a distributed
 * lock with in-process coalescing, and stale-while-revalidate with stale-if-error on top, all over a
 * {@link StoreGuard} on the shared store and its leases. The layers nest as {@code stampede.core.Fill} draws them:
 *
 * <pre>
 *   CacheAside + StaleWhileRevalidate, staleIfError
 *    '-- TwoLevelCoalescing = SingleFlight( DistributedLock( StoreFill(TtlJitter) ) )
 *   every layer on StoreGuard(store, locks)
 * </pre>
 *
 * <p><b>Prevents:</b> all three stampedes. Synchronised expiry of many keys (jitter), the expiry of one hot key on many
 * nodes (lock + single flight: one load per key per expiry), and the latency spike at expiry (readers get the stale
 * value while the one refresh runs). A failing database degrades to stale data for {@code staleIfError}. A failing or
 * slow store (Redis down, paused) costs one timeout per call at most and one load per key per process, not a database
 * stampede: the guard keeps entries and leases in process until the store answers again (it probes 50 ms after a
 * failure, then at most a second apart: caching resumes about a second after Redis returns). A cancelled request (an
 * interrupt) is its caller's own: it does not open the guard.
 *
 * <p><b>Pick it when</b> a key is read by many threads on many nodes, loads are expensive, and values may be a
 * little stale. For a single process, leave the lock out: {@code CacheAside(SingleFlight(StoreFill(TtlJitter)))}
 * with the same policy.
 *
 * <p><b>Costs:</b> the sum of the layers: staleness up to {@code staleWhileRevalidate} past expiry (up to
 * {@code staleIfError} while loads fail), 2-3 lock round trips per node per expiry, one background task per stale
 * key per node, the guard's copy while the store is out. The store's retention must be at least the larger stale
 * bound.
 *
 * <p><b>Source:</b> each layer's javadoc: RFC 5861; Redis {@code SET NX PX} leases with fencing (Kleppmann 2016);
 * Go's singleflight; FusionCache (fail-safe, memory-level protection plus a distributed locker, a breaker in front of
 * the distributed level); TTL jitter.
 *
 * <p><b>Copy with it:</b> CacheAside.java, CacheStore.java, CorruptEntryException.java, DistributedLock.java,
 * Entry.java, Event.java, Fill.java, InterruptedLoadException.java, LoadException.java, Loader.java,
 * LoadingStrategy.java, Locks.java, LockWaits.java, Metrics.java, Nullable.java, RejectedException.java,
 * SingleFlight.java, StaleWhileRevalidate.java, StoreException.java, StoreFill.java, StoreGuard.java, Ticker.java,
 * Ttl.java, TtlJitter.java, TwoLevelCoalescing.java.
 */
public final class LayeredStack {
  private LayeredStack() {
  }

  /**
   * The stack over {@code store} and {@code locks}: values live {@code ttl} (jittered) and are refreshed on
   * {@code refresher}.
   */
  public static <K, V> Builder<K, V> builder(CacheStore<K, V> store, Locks<K> locks, Duration ttl,
      Executor refresher) {
    return new Builder<>(store, locks, ttl, refresher);
  }

  /** Settings of the stack, with their defaults. */
  public static final class Builder<K, V> {
    private final CacheStore<K, V> store;
    private final Locks<K> locks;
    private final Duration ttl;
    private final Executor refresher;
    private Metrics metrics = Metrics.none();
    private double jitter = 0.1;
    private Duration staleWhileRevalidate;
    private Duration staleIfError;
    private Duration lease = Duration.ofSeconds(30);
    private Duration maxWait = Duration.ofSeconds(5);
    private Duration guardOpenFor = Duration.ofSeconds(1);
    private Ticker ticker = Ticker.system();
    private DoubleSupplier random = () -> ThreadLocalRandom.current().nextDouble();

    private Builder(CacheStore<K, V> store, Locks<K> locks, Duration ttl, Executor refresher) {
      this.store = Objects.requireNonNull(store, "store");
      this.locks = Objects.requireNonNull(locks, "locks");
      this.ttl = Objects.requireNonNull(ttl, "ttl");
      this.refresher = Objects.requireNonNull(refresher, "refresher");
      this.staleWhileRevalidate = ttl;
      this.staleIfError = ttl;
    }

    /** Receives every layer's events; default none. */
    public Builder<K, V> metrics(Metrics metrics) {
      this.metrics = Objects.requireNonNull(metrics, "metrics");
      return this;
    }

    /** TTL jitter as a fraction of the TTL, in [0, 1); default 0.1 (+/-10%). */
    public Builder<K, V> jitter(double fraction) {
      this.jitter = fraction;
      return this;
    }

    /** Both stale bounds past expiry (RFC 5861): default one TTL each. */
    public Builder<K, V> stale(Duration whileRevalidate, Duration ifError) {
      this.staleWhileRevalidate = Objects.requireNonNull(whileRevalidate, "whileRevalidate");
      this.staleIfError = Objects.requireNonNull(ifError, "ifError");
      return this;
    }

    /** The lock's lease and how long a caller waits for it; default 30 s and 5 s (see {@link DistributedLock}). */
    public Builder<K, V> lock(Duration lease, Duration maxWait) {
      this.lease = Objects.requireNonNull(lease, "lease");
      this.maxWait = Objects.requireNonNull(maxWait, "maxWait");
      return this;
    }

    /**
     * The longest wait between two probes of a failed store by the store guard (the first comes after 50 ms, then
     * they back off up to it); default 1 s (see {@link StoreGuard}).
     */
    public Builder<K, V> guard(Duration openFor) {
      this.guardOpenFor = Objects.requireNonNull(openFor, "openFor");
      return this;
    }

    /**
     * The monotonic clock of the intervals measured in this process (the guard's probes, the lock's waits and held
     * leases, lost refreshes); default {@link Ticker#system()}. Entries are timed on the store's own clock.
     */
    public Builder<K, V> ticker(Ticker ticker) {
      this.ticker = Objects.requireNonNull(ticker, "ticker");
      return this;
    }

    /**
     * Uniform draws in [0, 1) for the TTL jitter; default {@link ThreadLocalRandom}. A seeded source makes the TTLs
     * repeatable in a test.
     */
    public Builder<K, V> random(DoubleSupplier random) {
      this.random = Objects.requireNonNull(random, "random");
      return this;
    }

    public CacheAside<K, V> build() {
      StoreGuard<K, V> guard = StoreGuard.builder(store, locks).metrics(metrics).openFor(guardOpenFor).ticker(ticker)
          .build();
      TtlJitter<K> ttls = new TtlJitter<>(ttl, jitter, random);
      DistributedLock<K, V> lock = DistributedLock.builder(guard, guard, new StoreFill<>(guard, metrics, ttls))
          .metrics(metrics).lease(lease).maxWait(maxWait).ticker(ticker).build();
      return CacheAside.builder(guard, new TwoLevelCoalescing<>(guard, lock, metrics)).metrics(metrics).ticker(ticker)
          .policy(new StaleWhileRevalidate<>(staleWhileRevalidate), refresher).staleIfError(staleIfError).build();
    }
  }
}
