package stampede.strategies;

import java.util.Objects;
import stampede.core.CacheStore;
import stampede.core.Entry;
import stampede.core.Fill;
import stampede.core.Loader;
import stampede.core.Metrics;
import stampede.core.Nullable;

/**
 * Two-level coalescing, a {@link Fill}: single flight in each process in front of a distributed lock across
 * processes, so N nodes with C concurrent callers each cost one load per key per expiry, and the lock service sees
 * at most one caller per node.
 *
 * <pre>
 *   SingleFlight( DistributedLock( StoreFill(Loader) ) )
 *        |               |               '-- the one load, written with the lock's fencing token
 *        |               '-- one node's leader per key takes the lease; the other nodes' leaders wait
 *        '-- C callers on this node: one leader goes to the lock, C-1 wait in process (LOAD_COALESCED)
 * </pre>
 *
 * <p><b>Prevents:</b> both stampedes at once: N x C callers on an expired key cost 1 load (not N, as single flight
 * alone, nor N x C lock round trips, as the lock alone).
 *
 * <p><b>Pick it when</b> a hot key is read by many threads on many nodes: the usual production shape.
 *
 * <p><b>Costs:</b> those of both layers: a map operation per miss, 2-3 lock round trips per node and expiry, and
 * waiting. Local waiters wait up to the lock's {@link DistributedLock#longestWait()} (their leader may wait
 * {@code maxWait} for the lock, then load for about a lease) and then fail with a {@code LoadException}. A loader
 * error reaches every caller: on the holder's node through the single flight, on the other nodes through the lock
 * (their leaders fail at its release, "the lock holder's load failed", and pass it on). A caller's interrupt is its
 * own: if it led, its node's waiters retry and one leads; if it held the lease, the other nodes' leaders cannot tell
 * it from a failed load (see {@link DistributedLock}).
 *
 * <p><b>Source:</b> FusionCache's memory-level stampede protection plus its distributed locker (2.5); Go's
 * singleflight in front of a Redis {@code SET NX PX} lease; see {@link SingleFlight} and {@link DistributedLock}.
 *
 * <p><b>Copy with it:</b> CacheAside.java, CacheStore.java, DistributedLock.java, Entry.java, Event.java, Fill.java,
 * InterruptedLoadException.java, LoadException.java, Loader.java, LoadingStrategy.java, Locks.java, LockWaits.java,
 * Metrics.java, Nullable.java, RejectedException.java, SingleFlight.java, StoreException.java, StoreFill.java,
 * Ticker.java, Ttl.java.
 */
public final class TwoLevelCoalescing<K, V> implements Fill<K, V> {
  private final SingleFlight<K, V> local;

  /** Puts a single flight on {@code store} in front of {@code lock}. */
  public TwoLevelCoalescing(CacheStore<K, V> store, DistributedLock<K, V> lock, Metrics metrics) {
    Objects.requireNonNull(lock, "lock");
    this.local = SingleFlight.builder(store, lock).metrics(metrics).maxWait(lock.longestWait()).build();
  }

  @Override
  public V fill(K key, @Nullable Entry<V> seen, long fence, Loader<K, V> loader) {
    return local.fill(key, seen, fence, loader);
  }

  /** Loads in flight in this process (for tests and monitoring). */
  public int inFlight() {
    return local.inFlight();
  }
}
