package stampede.core;

/**
 * The cache-store port: where entries live. Two adapters ship, each in its own module: {@code CaffeineStore}
 * (in process) and {@code RedisStore} (shared, through Lettuce).
 *
 * <p>A store keeps each entry until {@code entry.expireTime() + retention}, the retention being the store's own
 * setting: past {@code expireTime} the entry is stale but still readable, which is what stale-while-revalidate
 * and stale-if-error serve. Freshness is decided by the strategy, from the entry and {@link #ticker()}.
 */
public interface CacheStore<K, V> {

  /**
   * Reads the entry stored under {@code key}.
   *
   * @return the entry, or null if there is none
   * @throws CorruptEntryException     if what is stored cannot be decoded
   * @throws StoreException            if the store cannot be reached or did not answer in time
   * @throws InterruptedLoadException  if the calling thread was interrupted while it waited for the store (every
   *                                   command: an interrupt is the caller's cancellation, never a store failure)
   */
  @Nullable Entry<V> get(K key);

  /**
   * {@link #get(Object)} at {@code now}, a reading of {@link #ticker()} the caller took for this call. A store that
   * needs the time to answer (an in-process store hides an entry kept past its retention) uses {@code now} instead
   * of reading its clock a second time, so a read path reads one clock once per call. By default the time is not
   * needed.
   */
  default @Nullable Entry<V> get(K key, long now) {
    return get(key);
  }

  /**
   * Writes {@code entry}, unless the fence rule refuses it; the check and the write are one atomic step.
   *
   * <p><b>The fence rule.</b> Only a fenced write can be refused, and only by a valid stored entry with a higher
   * fence:
   * <ul>
   *   <li>An unfenced write ({@code entry.fence() == 0}: cache-aside, a write-through after a database update) is
   *       never refused. It replaces whatever is stored, fenced or not: last writer wins, as in any cache.</li>
   *   <li>A fenced write ({@code fence > 0}, made under a lock's lease) is refused if the store holds a valid entry
   *       (one it wrote and can read back as an {@link Entry}), fresh or stale, with a strictly higher
   *       {@link Entry#fence()}: a slow load under an old lease never replaces the value of a newer one (fencing
   *       tokens, Kleppmann, "How to do distributed locking", 2016). An equal fence is accepted.</li>
   *   <li>What is not a valid entry (corrupt bytes, another type, a value this store did not write) never refuses a
   *       write, whatever fence it seems to carry: it is overwritten.</li>
   * </ul>
   *
   * @return true if written, false if refused by the fence rule
   * @throws StoreException if the store cannot be reached
   */
  boolean put(K key, Entry<V> entry);

  /** Removes the entry, if any. */
  void invalidate(K key);

  /**
   * The clock entry times are read on: monotonic for a store inside one process, the wall clock for a store
   * shared by processes (see {@link Ticker}).
   */
  Ticker ticker();

  /**
   * A read for strategies: a store error or a corrupt entry is recorded as {@link Event#STORE_ERROR} and read as
   * a miss (null), so the caller falls back to the loader, the source of truth.
   */
  default @Nullable Entry<V> getOrMiss(K key, Metrics metrics) {
    try {
      return get(key);
    } catch (StoreException e) {
      metrics.record(Event.STORE_ERROR, key);
      return null;
    }
  }

  /** The same at {@code now}, a reading of {@link #ticker()} (see {@link #get(Object, long)}). */
  default @Nullable Entry<V> getOrMiss(K key, long now, Metrics metrics) {
    try {
      return get(key, now);
    } catch (StoreException e) {
      metrics.record(Event.STORE_ERROR, key);
      return null;
    }
  }

  /**
   * A write for strategies: a write is recorded as {@link Event#ENTRY_WRITTEN}, a write refused by the fence as
   * {@link Event#FENCED_WRITE}; a store error is recorded as {@link Event#STORE_ERROR} and swallowed (the caller
   * still has its value). A caller interrupted during the write ({@link InterruptedLoadException}) keeps its
   * interrupt status and its value, which may not have been written: the load is done, and those waiting for it get
   * it rather than load again.
   */
  default void putQuietly(K key, Entry<V> entry, Metrics metrics) {
    try {
      metrics.record(put(key, entry) ? Event.ENTRY_WRITTEN : Event.FENCED_WRITE, key);
    } catch (StoreException e) {
      metrics.record(Event.STORE_ERROR, key);
    } catch (InterruptedLoadException e) {
      Thread.currentThread().interrupt(); // set already by whoever threw it; the caller's cancellation stays visible
    }
  }

  /**
   * The double-check before a load: the entry now stored if it is fresh and is not the one the caller saw
   * ({@code seen}), that is, someone else wrote a fresh value meanwhile; otherwise null.
   */
  default @Nullable Entry<V> freshSince(K key, @Nullable Entry<V> seen, Metrics metrics) {
    long now = ticker().read();
    Entry<V> current = getOrMiss(key, now, metrics);
    return current != null && current.isFresh(now) && current.supersedes(seen) ? current : null;
  }
}
