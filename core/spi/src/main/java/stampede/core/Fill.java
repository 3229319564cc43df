package stampede.core;

/**
 * The miss path: load {@code key} once and write the result to the store. It is the seam along which strategies
 * compose, outer-first, as Failsafe's policies do. This is the one drawing of the nesting; every other javadoc
 * refers to it:
 *
 * <pre>
 *   CacheAside + policy           when to load: hit, serve stale and refresh, refresh early, or load now
 *    '-- StaleIfError             whether a failed or refused load may be answered with a bounded-stale value
 *         '-- SingleFlight        who loads in this process: one caller per key, the others wait for it
 *              '-- DistributedLock     who loads across processes: one lease per key, a fencing token
 *                   '-- CircuitBreaker | LoadShedder | PriorityShedder | RateLimited
 *                        |            whether the database may be called now (PriorityShedder: by the load's class)
 *                        '-- StoreFill(Ttl)   loads, times the load, writes the entry (TtlJitter: how long)
 * </pre>
 *
 * <p>Only {@code CacheAside} reads the cache to decide <em>when</em> to load; its policies
 * ({@code StaleWhileRevalidate}, {@code ProbabilisticEarlyExpiration}, {@code HotKeyProtection},
 * {@code BackgroundRefresh}) only decide. Every layer below it is a {@code Fill}: it decides <em>who</em> loads or
 * <em>whether</em> to, then calls its inner fill at most once per call, passing {@code seen} and {@code fence}
 * through (a lock replaces {@code fence} with its own token). Any layer may be left out.
 */
@FunctionalInterface
public interface Fill<K, V> {

  /**
   * Fills {@code key}: loads it (or lets an inner layer do so), stores it and returns the value.
   *
   * @param key    the key, never null
   * @param seen   the entry the caller read before deciding to fill (null if none); an inner layer that finds a
   *               fresh entry written after {@code seen} may return it instead of loading again
   * @param fence  the fencing token of a lock held for this fill, or 0; it is stored with the entry and the store
   *               refuses to overwrite an entry with a higher fence
   * @param loader the loader
   * @return the loaded (or, per {@code seen}, newer) value, never null
   * @throws LoadException     when the load failed
   * @throws RejectedException when a protection refused to load
   */
  V fill(K key, @Nullable Entry<V> seen, long fence, Loader<K, V> loader);
}
