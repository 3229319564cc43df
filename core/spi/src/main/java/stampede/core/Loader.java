package stampede.core;

/**
 * Reads a value from the system of record (the "database"). It may be slow, it may throw, and strategies
 * exist to call it as rarely as possible.
 *
 * <p>A loader must not return {@code null}: strategies treat that as a failed load
 * ({@link LoadException}) and cache nothing.
 */
@FunctionalInterface
public interface Loader<K, V> {
  V load(K key) throws Exception;
}
