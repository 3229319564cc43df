package stampede.spring;

import java.util.Objects;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import org.springframework.cache.support.AbstractValueAdaptingCache;
import stampede.core.CacheStore;
import stampede.core.Entry;
import stampede.core.InterruptedLoadException;
import stampede.core.LoadException;
import stampede.core.LoadingStrategy;
import stampede.core.RejectedException;
import stampede.core.StoreException;
import stampede.core.Ttl;

/**
 * A Spring {@link org.springframework.cache.Cache} on a {@link LoadingStrategy} and its {@link CacheStore}.
 *
 * <ul>
 *   <li>{@link #get(Object, Callable)}, which {@code @Cacheable(sync = true)} calls, goes through the strategy: with
 *       {@code LayeredStack} or {@code TwoLevelCoalescing} on Redis, one load per key per expiry across every node,
 *       where Spring's own {@code sync} coalesces each JVM alone. The loader's exception reaches the caller as
 *       Spring's {@link ValueRetrievalException} with the loader's exception as its cause (and
 *       {@code @Cacheable} rethrows that cause, as Spring documents); a load that failed without one (a waiter that
 *       gave up, another node's failed load) gives its {@link LoadException} as the cause. A refusal by a protection
 *       ({@link RejectedException}) and the caller's own interrupt ({@link InterruptedLoadException}, interrupt
 *       status set) are the cause themselves, so {@code @Cacheable} rethrows them as they are: never to Spring's
 *       {@code CacheErrorHandler}, which could run the method anyway.</li>
 *   <li>{@link #get(Object)} ({@code @Cacheable} without {@code sync}) reads the store: a fresh entry is a hit; a
 *       stale one (kept for stale-while-revalidate), none, a store failure or a corrupt entry is a miss, as for the
 *       strategies (the method runs: the source of truth).</li>
 *   <li>{@link #put} ({@code @CachePut}) writes an unfenced entry with the cache's TTL (jittered as the strategy's):
 *       last writer wins. {@link #evict} ({@code @CacheEvict}) deletes it. Both throw the store's failure
 *       ({@code StoreException}) to Spring's {@code CacheErrorHandler}: an eviction that did not happen must not
 *       pass for one.</li>
 *   <li>{@link #clear()} moves the cache to its next {@link Generation}: one increment, whatever the number of
 *       entries, and no {@code KEYS} or {@code FLUSHDB}; the older entries expire by their TTL. It is immediate in
 *       this process, and on other nodes from their next read of the generation ({@link RedisGeneration}).
 *       {@link #invalidate()} does the same.</li>
 *   <li>Null values: with {@code allowNullValues}, a null is cached as Spring's {@code NullValue} marker (the store
 *       and the strategies never see a null); without, caching a null fails with Spring's
 *       {@link IllegalArgumentException} ("Cache '...' is configured to not allow null values but null was
 *       provided"), wrapped in a {@link ValueRetrievalException} when a loader returned it.</li>
 * </ul>
 *
 * <p>With a stale-while-revalidate policy, a stale hit returns the stale value and runs the loader (the
 * {@code @Cacheable} method) on the strategy's refresh executor, not on the caller's thread: thread-bound state
 * (a transaction, a security context) is not there.
 */
public final class StampedeCache extends AbstractValueAdaptingCache {
  private final String name;
  private final CacheStore<CacheKey, Object> store;
  private final LoadingStrategy<CacheKey, Object> strategy;
  private final Ttl<CacheKey> ttl;
  private final Generation generation;

  /**
   * @param name            the cache's name
   * @param store           where entries live, keyed by {@link CacheKey}
   * @param strategy        the strategy over {@code store} that {@link #get(Object, Callable)} loads through
   * @param ttl             how long a {@link #put} value stays fresh (the strategy's own TTL, for the same keys)
   * @param generation      the cache's generation ({@link Generation#local()} for an in-process store)
   * @param allowNullValues whether null values are cached (as Spring's {@code NullValue}) or refused
   */
  public StampedeCache(String name, CacheStore<CacheKey, Object> store, LoadingStrategy<CacheKey, Object> strategy,
      Ttl<CacheKey> ttl, Generation generation, boolean allowNullValues) {
    super(allowNullValues);
    this.name = Objects.requireNonNull(name, "name");
    this.store = Objects.requireNonNull(store, "store");
    this.strategy = Objects.requireNonNull(strategy, "strategy");
    this.ttl = Objects.requireNonNull(ttl, "ttl");
    this.generation = Objects.requireNonNull(generation, "generation");
  }

  @Override
  public String getName() {
    return name;
  }

  /** The store. */
  @Override
  public CacheStore<CacheKey, Object> getNativeCache() {
    return store;
  }

  /** The strategy {@link #get(Object, Callable)} loads through. */
  public LoadingStrategy<CacheKey, Object> strategy() {
    return strategy;
  }

  @Override
  protected @Nullable Object lookup(Object key) {
    CacheKey k = key(key);
    try {
      long now = store.ticker().read();
      Entry<Object> entry = store.get(k, now);
      return entry != null && entry.isFresh(now) ? entry.value() : null;
    } catch (StoreException e) { // a CorruptEntryException too: a miss, and the method runs
      return null;
    }
  }

  @Override
  @SuppressWarnings("unchecked")
  public <T> @Nullable T get(Object key, Callable<T> valueLoader) {
    Objects.requireNonNull(valueLoader, "valueLoader");
    try {
      return (T) fromStoreValue(strategy.get(key(key), k -> toStoreValue(valueLoader.call())));
    } catch (InterruptedLoadException | RejectedException e) {
      // Not the loader's failure, but wrapped all the same: Spring rethrows a ValueRetrievalException's cause to the
      // caller, while any other exception goes to the CacheErrorHandler, which may log it and run the method anyway
      // (a cancelled request, or a load a protection refused, would then load after all).
      throw new ValueRetrievalException(key, valueLoader, e);
    } catch (LoadException e) {
      throw new ValueRetrievalException(key, valueLoader, e.getCause() != null ? e.getCause() : e);
    }
  }

  @Override
  public void put(Object key, @Nullable Object value) {
    CacheKey k = key(key);
    Object stored = toStoreValue(value);
    long now = store.ticker().read();
    store.put(k, new Entry<>(stored, now, now + ttl.nanos(k), 0, 0));
  }

  @Override
  public void evict(Object key) {
    store.invalidate(key(key));
  }

  /**
   * Moves the cache to its next generation (see the class doc): the entries are out of reach at once in this process.
   *
   * @throws StoreException if the generation could not be moved (the cache was not cleared)
   */
  @Override
  public void clear() {
    generation.next();
  }

  /** {@link #clear()}; whether there were entries is not known: false. */
  @Override
  public boolean invalidate() {
    clear();
    return false;
  }

  private CacheKey key(Object key) {
    return new CacheKey(generation.current(), Objects.requireNonNull(key, "key"));
  }
}
