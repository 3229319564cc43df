package stampede.strategies;

import java.util.concurrent.CancellationException;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import stampede.core.CacheStore;
import stampede.core.Entry;
import stampede.core.Event;
import stampede.core.InterruptedLoadException;
import stampede.core.LoadException;
import stampede.core.Locks;
import stampede.core.Metrics;
import stampede.core.Nullable;
import stampede.core.StoreException;
import stampede.core.Ticker;

/**
 * The waits of one {@link DistributedLock} (one process): per key, one caller, the poller, subscribes to the key's
 * signal, tries for the lease and reads the store, once per poll and once per signal; the other callers waiting on
 * the key here park on what it finds, and those arriving while a holder of the key runs here park on that holder's
 * outcome. So the lock service sees a few commands per key per poll from a process, not a few per waiting thread.
 *
 * <p>The poller is one of the waiting callers, not a thread of its own: when it leaves (its {@code maxWait} passed,
 * or it was interrupted) it wakes the others, who poll anew, one of them polling (subscribed before it tries, so no
 * release is missed); an interrupted caller gets its {@link InterruptedLoadException} alone. A key has an entry in
 * the table while it has a poller, a holder's outcome while it loads; both are removed when they end.
 *
 * <p><b>Source:</b> Redisson shares one subscription per lock among a process's waiters ({@code RedissonLock},
 * {@code pubsub/LockPubSub}, {@code RedissonLockEntry}: a waiter count and a latch per lock name); here the tries and
 * reads are shared too, as {@link SingleFlight} shares a load (Go's {@code singleflight}).
 *
 * <p><b>Copy with it:</b> (part of {@link DistributedLock}'s copy set) CacheAside.java, CacheStore.java, Entry.java,
 * Event.java, Fill.java, InterruptedLoadException.java, LoadException.java, Loader.java, LoadingStrategy.java,
 * Locks.java, Metrics.java, Nullable.java, RejectedException.java, StoreException.java, StoreFill.java, Ticker.java,
 * Ttl.java.
 */
final class LockWaits<K, V> {
  private static final String WAITING = "while waiting for the distributed lock";

  /**
   * What a wait found: a fresh entry; a holder in this process (its outcome; {@code token > 0}: the caller itself
   * took the lease); a failure (a {@link LoadException}: the holder elsewhere failed; a {@link StoreException}: the
   * lock service or the store did); or none of these: poll again.
   */
  record Found<V>(@Nullable Entry<V> fresh, @Nullable CompletableFuture<V> holder, @Nullable RuntimeException failure,
      long token) {
    boolean isRetry() {
      return fresh == null && holder == null && failure == null;
    }

    /** The value found: the entry's, or the holder's (done). */
    V value() {
      return fresh != null ? fresh.value() : Objects.requireNonNull(holder, "neither a value nor a holder").join();
    }
  }

  private final CacheStore<K, V> store;
  private final Locks<K> locks;
  private final Metrics metrics;
  private final Ticker ticker;
  private final long leaseMillis;
  private final long pollNanos;
  private final ConcurrentHashMap<K, CompletableFuture<V>> holders = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<K, CompletableFuture<Found<V>>> polls = new ConcurrentHashMap<>();

  LockWaits(CacheStore<K, V> store, Locks<K> locks, Metrics metrics, Ticker ticker, long leaseMillis) {
    this.store = store;
    this.locks = locks;
    this.metrics = metrics;
    this.ticker = ticker;
    this.leaseMillis = leaseMillis;
    this.pollNanos = TimeUnit.MILLISECONDS.toNanos(leaseMillis) / 4;
  }

  /**
   * Waits for the lease of {@code key} or for a value: null if {@code deadline} (on the ticker) passes first; a
   * {@code token > 0} if this caller took the lease (its outcome registered: end it with {@link #done}).
   *
   * @throws InterruptedLoadException if the caller is interrupted (the others wait on)
   */
  @Nullable Found<V> await(K key, @Nullable Entry<V> seen, String owner, long deadline) {
    for (boolean waited = false; ; waited = true) {
      CompletableFuture<V> holder = holders.get(key);
      CompletableFuture<Found<V>> mine = new CompletableFuture<>();
      CompletableFuture<Found<V>> poll = holder != null ? null : polls.putIfAbsent(key, mine);
      Found<V> found;
      if (holder == null && poll == null) {
        found = poll(key, seen, owner, deadline, mine, waited);
        if (found == null || found.token() > 0) {
          return found;
        }
      } else {
        if (!waited) {
          metrics.record(Event.LOCK_WAITED, key);
        }
        if (holder != null) {
          found = new Found<>(null, holder, null, 0);
        } else {
          CompletableFuture<Found<V>> running = Objects.requireNonNull(poll, "another caller's poll");
          if (!park(key, running, deadline)) {
            return null;
          }
          found = running.join();
        }
      }
      found = settle(key, seen, found, deadline);
      if (found == null || !found.isRetry()) {
        return found;
      }
    }
  }

  /** Keys with a poller or a holder here now. */
  int keys() {
    return polls.size() + holders.size();
  }

  /** The lease of {@code key} taken by this process ended with {@code outcome}. */
  void done(K key, CompletableFuture<V> outcome) {
    holders.remove(key, outcome);
  }

  /**
   * Polls for every caller waiting on {@code key} here until it takes the lease, finds a fresh value or a holder here,
   * or is woken by a release; null once its own deadline passed. The callers parked on it get what it found (a
   * holder's outcome for its own lease), or a retry if it leaves without finding anything.
   */
  private @Nullable Found<V> poll(K key, @Nullable Entry<V> seen, String owner, long deadline,
      CompletableFuture<Found<V>> mine, boolean waited) {
    Found<V> found = new Found<>(null, null, null, 0);
    Locks.Watch watch = null;
    long token;
    try {
      watch = locks.watch(key); // subscribed before the first try: no release after it is missed
      for (; (token = locks.tryAcquire(key, owner, leaseMillis)) == 0; waited = true) {
        if (!waited) {
          metrics.record(Event.LOCK_WAITED, key);
        }
        CompletableFuture<V> local = holders.get(key); // the holder is in this process: it says how it ended
        Entry<V> current = local != null ? null : store.freshSince(key, seen, metrics);
        if (local != null || current != null) {
          return found = new Found<>(current, local, null, 0);
        }
        long remaining = deadline - ticker.read();
        if (remaining <= 0) {
          return null;
        }
        if (watch.await(Math.min(remaining, pollNanos), TimeUnit.NANOSECONDS)) {
          return found = released(key, seen);
        }
      }
      CompletableFuture<V> outcome = new CompletableFuture<>();
      holders.put(key, outcome); // before the poll ends: a caller arriving now waits for this holder
      return found = new Found<>(null, outcome, null, token);
    } catch (StoreException e) {
      if (InterruptedLoadException.isInterrupt(e)) {
        throw InterruptedLoadException.of(key, WAITING, e);
      }
      metrics.record(Event.STORE_ERROR, key);
      return found = new Found<>(null, null, e, 0);
    } catch (InterruptedException e) {
      throw InterruptedLoadException.of(key, WAITING, e);
    } finally {
      if (watch != null) {
        watch.close();
      }
      polls.remove(key, mine);
      mine.complete(found.token() > 0 ? new Found<>(null, found.holder(), null, 0) : found);
    }
  }

  /**
   * Woken by a release: the holder here, or the value now in the store; no fresh value means the holder elsewhere
   * failed. A store error is the caller's fallback: whether the holder loaded is unknown.
   */
  private Found<V> released(K key, @Nullable Entry<V> seen) {
    CompletableFuture<V> local = holders.get(key);
    if (local != null) {
      return new Found<>(null, local, null, 0);
    }
    long now = store.ticker().read();
    Entry<V> current = store.get(key, now); // a StoreException (a corrupt entry too): the fallback
    return current != null && current.isFresh(now) && current.supersedes(seen) ? new Found<>(current, null, null, 0)
        : new Found<>(null, null, new LoadException(key, "the lock holder's load failed", null, false), 0);
  }

  /**
   * What {@code found} means to a caller who saw {@code seen}: a holder's value once it ends (a retry if it was
   * interrupted: its waiters try for the lease again), an entry fresh and newer than {@code seen} (else a retry), a
   * failure of its own; null if its deadline passes first.
   */
  private @Nullable Found<V> settle(K key, @Nullable Entry<V> seen, Found<V> found, long deadline) {
    CompletableFuture<V> holder = found.holder();
    if (holder != null) {
      if (!park(key, holder, deadline)) {
        return null;
      }
      return holder.isCancelled() ? new Found<>(null, null, null, 0)
          : holder.isCompletedExceptionally() ? failed(key) : found;
    }
    Entry<V> fresh = found.fresh();
    if (fresh != null) {
      long now = store.ticker().read();
      return fresh.isFresh(now) && fresh.supersedes(seen) ? found : new Found<>(null, null, null, 0);
    }
    return found.failure() instanceof LoadException ? failed(key) : found;
  }

  private Found<V> failed(K key) {
    return new Found<>(null, null, new LoadException(key, "the lock holder's load failed", null, false), 0);
  }

  /** Parks until {@code f} is done (true) or {@code deadline} passes on the ticker (false), checked every poll. */
  private boolean park(K key, CompletableFuture<?> f, long deadline) {
    try {
      while (!f.isDone()) {
        long remaining = deadline - ticker.read();
        if (remaining <= 0) {
          return false;
        }
        try {
          f.get(Math.min(remaining, pollNanos), TimeUnit.NANOSECONDS);
        } catch (TimeoutException | ExecutionException | CancellationException e) {
          // done, or poll the deadline again
        }
      }
      return true;
    } catch (InterruptedException e) {
      throw InterruptedLoadException.of(key, WAITING, e);
    }
  }
}
