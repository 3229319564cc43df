package stampede.strategies;

import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.DoubleSupplier;
import java.util.random.RandomGenerator;
import stampede.core.CacheStore;
import stampede.core.Loader;
import stampede.core.LoadingStrategy;
import stampede.core.Locks;
import stampede.core.Metrics;
import stampede.core.Ticker;

/**
 * The combination the seeds recommend for a hot key shared by many nodes: jittered TTLs, a distributed lock
 * with in-process coalescing, and stale-while-revalidate on top. Layers compose outer-first through
 * {@link stampede.core.Fill}:
 *
 * <pre>
 *   StaleWhileRevalidate( SingleFlight( DistributedLock( TtlJitter(Loader) ) ) )
 *          |                   |               |               '-- loads; the entry lives ttl +/- fraction
 *          |                   |               '-- one loader across nodes; writes with its fencing token
 *          |                   '-- one caller per node goes to the lock; the others wait in process
 *          '-- when: fresh -> hit; just stale -> serve it, refresh once in the background;
 *              long stale or absent -> load in line (stale-if-error on failure)
 * </pre>
 *
 * <p><b>Prevents:</b> all three stampedes. Synchronised expiry of many keys (jitter), the expiry of one hot
 * key on many nodes (lock + single flight: one load per key per expiry), and the latency spike at expiry
 * (readers get the stale value while the one refresh runs). A failing database degrades to stale data for
 * {@code staleIfError}.
 *
 * <p><b>Pick it when</b> a key is read by many threads on many nodes, loads are expensive, and values may be
 * a little stale. For a single process, drop the lock: {@code StaleWhileRevalidate(SingleFlight(TtlJitter))}.
 *
 * <p><b>Costs:</b> the sum of the layers: staleness up to {@code staleWhileRevalidate} past expiry, 2-3 lock
 * round trips per node per expiry, one background task per stale key per node, and the store's retention
 * must be at least {@code max(staleWhileRevalidate, staleIfError)}.
 *
 * <p><b>Source:</b> RFC 5861; Redis {@code SET NX PX} leases with fencing (Kleppmann, Redisson); Go's
 * singleflight; FusionCache (fail-safe, memory-level protection plus a distributed locker); TTL jitter as in
 * sturdyc. Each layer's javadoc has the details; copy the five classes together.
 */
public final class LayeredStack<K, V> implements LoadingStrategy<K, V> {
  private final StaleWhileRevalidate<K, V> outer;

  /**
   * @param jitter    random source for the TTL jitter, [0,1)
   * @param tokens    random source for lock owner tokens (seeded differently on every node)
   * @param refresher runs stale-while-revalidate's background refreshes
   * @param watchdog  renews the lock's lease while a load runs
   */
  public LayeredStack(CacheStore<K, V> store, Locks locks, Ticker ticker, DoubleSupplier jitter,
      RandomGenerator tokens, Executor refresher, ScheduledExecutorService watchdog, Metrics metrics,
      Duration ttl, double jitterFraction, Duration staleWhileRevalidate, Duration staleIfError,
      Duration lease, Duration maxWait) {
    TtlJitter<K, V> writer = new TtlJitter<>(store, ticker, jitter, metrics, ttl, jitterFraction);
    DistributedLock<K, V> lock = new DistributedLock<>(store, locks, ticker, tokens, watchdog, metrics, writer,
        lease, maxWait, DistributedLock.Fallback.SERVE_STALE_OR_LOAD);
    SingleFlight<K, V> flight = new SingleFlight<>(store, ticker, metrics, lock, maxWait.plus(lease));
    this.outer = new StaleWhileRevalidate<>(store, ticker, refresher, metrics, flight, staleWhileRevalidate,
        staleIfError);
  }

  @Override
  public V get(K key, Loader<K, V> loader) {
    return outer.get(key, loader);
  }
}
