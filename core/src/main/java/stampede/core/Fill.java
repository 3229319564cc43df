package stampede.core;

/**
 * The miss path: load {@code key} once and write the result to the store. This is the seam along which
 * strategies compose, outer-first, as Failsafe's policies do:
 *
 * <pre>
 *   Swr( Lock( SingleFlight( StoreFill(Loader) ) ) )
 *    |     |        |            '-- loads, times the load, writes the entry
 *    |     |        '-- one load per key in this process; others wait for it
 *    |     '-- one load per key across processes (SET NX PX, fencing token)
 *    '-- decides when to fill: in line on a miss, in the background when stale
 * </pre>
 *
 * <p>Each outer layer calls its inner {@code fill} at most once per call and passes {@code seen} and
 * {@code fence} through (a lock replaces {@code fence} with its own token).
 */
@FunctionalInterface
public interface Fill<K, V> {

  /**
   * @param key    the key, never null
   * @param seen   the entry the caller read before deciding to fill (null if none); an inner layer that
   *               finds an entry written after {@code seen} may return it instead of loading again
   * @param fence  the fencing token of a lock held for this fill, or 0; it is stored with the entry and the
   *               store refuses to overwrite an entry with a higher fence
   * @param loader the loader
   * @return the loaded (or, per {@code seen}, newer) value, never null
   * @throws LoadException     when the load failed
   * @throws RejectedException when a protection refused to load
   */
  V fill(K key, Entry<V> seen, long fence, Loader<K, V> loader);
}
