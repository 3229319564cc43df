package stampede.jmh.impl;

import com.github.benmanes.caffeine.cache.AsyncLoadingCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.CacheLoader;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.LoadingCache;
import java.time.Duration;
import java.util.concurrent.Executor;
import stampede.core.Entry;
import stampede.core.Loader;
import stampede.core.Ticker;

/**
 * The fair baseline of a hit on the in-process store: Caffeine used directly, as a user would configure it for the
 * same work {@code CaffeineStore} does. Values are {@link Entry}s, each expiring at its own
 * {@code expireTime + retention} through {@code expireAfter} with the same {@link Expiry} shape as the store's
 * (create and update: until {@code expireTime + retention}; read: unchanged), on the same {@link Ticker} (read once
 * per get by Caffeine), with the same size bound and an explicit maintenance executor, and counting its hits
 * ({@code recordStats()}, a {@code LongAdder}) as the strategies count theirs into {@code Counters}. A hit is
 * {@code LoadingCache.get(key)} or {@code AsyncLoadingCache.get(key).join()}; a miss loads a value fresh for
 * {@code ttl}.
 *
 * <p>A baseline that does less (no expiry, or {@code expireAfterWrite}, which lets Caffeine skip its read buffer
 * while the cache is less than half full) would make every ratio against it say nothing about the strategies.
 */
public final class CaffeineSameExpiry {
  private CaffeineSameExpiry() {
  }

  /** {@code LoadingCache.get} with the store's expiry. */
  public static LoadingCache<String, Entry<String>> loading(Ticker ticker, Executor executor, long maximumSize,
      Duration retention, Duration ttl, Loader<String, String> loader) {
    return builder(ticker, executor, maximumSize, retention).build(cacheLoader(ticker, ttl, loader));
  }

  /** {@code AsyncLoadingCache.get} with the store's expiry; the loads run on {@code executor}. */
  public static AsyncLoadingCache<String, Entry<String>> async(Ticker ticker, Executor executor, long maximumSize,
      Duration retention, Duration ttl, Loader<String, String> loader) {
    return builder(ticker, executor, maximumSize, retention).buildAsync(cacheLoader(ticker, ttl, loader));
  }

  private static Caffeine<String, Entry<String>> builder(Ticker ticker, Executor executor, long maximumSize,
      Duration retention) {
    long retainNanos = retention.toNanos();
    return Caffeine.newBuilder()
        .ticker(ticker::read)
        .executor(executor)
        .maximumSize(maximumSize)
        .recordStats() // a hit is counted (a LongAdder), as every strategy here counts its HIT into Counters
        .expireAfter(new Expiry<String, Entry<String>>() {
          @Override
          public long expireAfterCreate(String key, Entry<String> e, long now) {
            return Math.max(0, e.expireTime() + retainNanos - now);
          }

          @Override
          public long expireAfterUpdate(String key, Entry<String> e, long now, long currentDuration) {
            return expireAfterCreate(key, e, now);
          }

          @Override
          public long expireAfterRead(String key, Entry<String> e, long now, long currentDuration) {
            return currentDuration;
          }
        });
  }

  private static CacheLoader<String, Entry<String>> cacheLoader(Ticker ticker, Duration ttl,
      Loader<String, String> loader) {
    long ttlNanos = ttl.toNanos();
    return key -> {
      String value = loader.load(key);
      long now = ticker.read();
      return new Entry<>(value, now, now + ttlNanos, 0, 0);
    };
  }
}
