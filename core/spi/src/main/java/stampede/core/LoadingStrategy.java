package stampede.core;

/**
 * The SPI every technique implements: return the value for {@code key}, from the cache when it can, calling
 * {@code loader} when it must. Implementations are thread-safe.
 *
 * <p>Errors, the same for every strategy:
 * <ul>
 *   <li>{@link NullPointerException} for a null key or loader, before anything else happens;</li>
 *   <li>{@link LoadException} when the loader threw, returned null, or a waiter gave up waiting for it;
 *       its cause is the loader's own exception. A failed load is never cached;</li>
 *   <li>{@link RejectedException} when a protection (rate limit, load shedding, open circuit) refused
 *       to load;</li>
 *   <li>{@link InterruptedLoadException} (a {@link LoadException}) when the caller's thread was interrupted while it
 *       waited; its interrupt status is set again, and no protection counts it as a store or database
 *       failure;</li>
 *   <li>store failures ({@link StoreException}, {@link CorruptEntryException}) are not thrown: a failed or
 *       corrupt read counts as a miss, a failed write still returns the loaded value, and both are
 *       recorded as {@link Event#STORE_ERROR}. The loader is the source of truth; the cache is an
 *       optimisation.</li>
 * </ul>
 *
 * <p>Strategies compose outer-first through {@link Fill}, the miss path; {@link Fill} draws the nesting.
 */
public interface LoadingStrategy<K, V> {

  V get(K key, Loader<K, V> loader);
}
