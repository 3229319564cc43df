package stampede.core;

/**
 * Reads a value from the system of record (the "database"). It may be slow, it may throw, and strategies
 * exist to call it as rarely as possible.
 *
 * <p>A loader must not return {@code null}: strategies treat that as a failed load
 * ({@link LoadException}) and cache nothing. It is typed {@link Nullable} because one may, and whoever calls a loader
 * checks.
 */
@FunctionalInterface
public interface Loader<K, V> {
  @Nullable V load(K key) throws Exception;
}
