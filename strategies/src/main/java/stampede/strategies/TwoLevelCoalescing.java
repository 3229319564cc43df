package stampede.strategies;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;
import java.util.random.RandomGenerator;
import stampede.core.CacheStore;
import stampede.core.Fill;
import stampede.core.Loader;
import stampede.core.LoadingStrategy;
import stampede.core.Locks;
import stampede.core.Metrics;
import stampede.core.StoreFill;
import stampede.core.Ticker;
import stampede.core.Ttl;

/**
 * Two-level coalescing: single flight in each process in front of a distributed lock across processes, so N
 * nodes with C concurrent callers each cost one load per key per expiry, and the lock service sees at most
 * one caller per node.
 *
 * <pre>
 *   SingleFlight( DistributedLock( StoreFill(Loader) ) )
 *        |               |               '-- the one load, written with the lock's fencing token
 *        |               '-- one node's leader per key takes the lease; the other nodes' leaders wait
 *        '-- C callers on this node: one leader goes to the lock, C-1 wait in process (LOAD_COALESCED)
 * </pre>
 *
 * <p><b>Prevents:</b> both stampedes at once: N x C callers on an expired key cost 1 load (not N, as single
 * flight alone, nor N x C lock round trips, as the lock alone).
 *
 * <p><b>Pick it when</b> a hot key is read by many threads on many nodes: the usual production shape.
 *
 * <p><b>Costs:</b> those of both layers: a map operation per miss, 2-3 lock round trips per node and expiry,
 * and waiting. Local waiters wait up to {@code maxWait + lease} (their leader may wait {@code maxWait} for the
 * lock, then load for about a lease) and then fail with a {@code LoadException}. A loader error reaches every
 * caller on the holder's node; other nodes retry under the lock (see {@link DistributedLock}).
 *
 * <p><b>Source:</b> FusionCache's memory-level stampede protection plus its distributed locker; Go's
 * singleflight in front of a Redis {@code SET NX PX} lease; see {@link SingleFlight} and {@link DistributedLock}.
 *
 * <p>Composition: as drawn above; {@code fill} is what the lock holder runs (default {@link StoreFill}).
 */
public final class TwoLevelCoalescing<K, V> implements LoadingStrategy<K, V> {
  private final SingleFlight<K, V> local;

  /** See {@link DistributedLock} for the lock parameters; {@code fill} runs under the lock. */
  public TwoLevelCoalescing(CacheStore<K, V> store, Locks locks, Ticker ticker, RandomGenerator random,
      ScheduledExecutorService scheduler, Metrics metrics, Fill<K, V> fill, Duration lease, Duration maxWait,
      DistributedLock.Fallback fallback) {
    DistributedLock<K, V> lock = new DistributedLock<>(store, locks, ticker, random, scheduler, metrics, fill,
        lease, maxWait, fallback);
    this.local = new SingleFlight<>(store, ticker, metrics, lock, maxWait.plus(lease));
  }

  /** Loads and writes values fresh for {@code ttl}. */
  public TwoLevelCoalescing(CacheStore<K, V> store, Locks locks, Ticker ticker, RandomGenerator random,
      ScheduledExecutorService scheduler, Metrics metrics, Duration ttl, Duration lease, Duration maxWait,
      DistributedLock.Fallback fallback) {
    this(store, locks, ticker, random, scheduler, metrics, new StoreFill<>(store, ticker, metrics, Ttl.fixed(ttl)),
        lease, maxWait, fallback);
  }

  @Override
  public V get(K key, Loader<K, V> loader) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(loader, "loader");
    return local.get(key, loader);
  }

  /** Loads in flight in this process (for tests and monitoring). */
  public int inFlight() {
    return local.inFlight();
  }
}
