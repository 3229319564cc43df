package stampede.caffeine;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executor;
import stampede.core.CacheStore;
import stampede.core.Entry;
import stampede.core.Ticker;

/**
 * {@link CacheStore} in process, on a bounded Caffeine cache. Each entry is kept until
 * {@code expireTime + retention} on the injected ticker (so a test's manual ticker drives eviction too), and
 * Caffeine's maintenance runs on the injected executor. Entries never leave the process, so the ticker should be
 * monotonic: {@link Ticker#system()}.
 */
public final class CaffeineStore<K, V> implements CacheStore<K, V> {
  private final Cache<K, Entry<V>> cache;
  private final Ticker ticker;

  /**
   * @param ticker       the clock of entry times and eviction, {@link Ticker#system()} outside tests
   * @param executor     Caffeine's maintenance executor (use {@code Runnable::run} for fully deterministic tests)
   * @param maximumSize  the size bound
   * @param retention    how long a stale entry is kept past its expiry (zero: dropped when it goes stale)
   */
  public CaffeineStore(Ticker ticker, Executor executor, long maximumSize, Duration retention) {
    this.ticker = Objects.requireNonNull(ticker, "ticker");
    long retainNanos = retention.toNanos();
    if (retainNanos < 0) {
      throw new IllegalArgumentException("retention < 0: " + retention);
    }
    this.cache = Caffeine.newBuilder()
        .ticker(ticker::read)
        .executor(Objects.requireNonNull(executor, "executor"))
        .maximumSize(maximumSize)
        .expireAfter(new Expiry<K, Entry<V>>() {
          @Override
          public long expireAfterCreate(K key, Entry<V> e, long now) {
            return Math.max(0, e.expireTime() + retainNanos - now);
          }

          @Override
          public long expireAfterUpdate(K key, Entry<V> e, long now, long currentDuration) {
            return expireAfterCreate(key, e, now);
          }

          @Override
          public long expireAfterRead(K key, Entry<V> e, long now, long currentDuration) {
            return currentDuration;
          }
        })
        .build();
  }

  @Override
  public Entry<V> get(K key) {
    return cache.getIfPresent(Objects.requireNonNull(key, "key"));
  }

  @Override
  public boolean put(K key, Entry<V> entry) {
    Objects.requireNonNull(entry, "entry");
    boolean[] written = {false};
    cache.asMap().compute(Objects.requireNonNull(key, "key"), (k, cur) -> {
      if (entry.fence() > 0 && cur != null && cur.fence() > entry.fence()) {
        return cur; // the fence rule of CacheStore.put: only a fenced write is refused, by a higher fence
      }
      written[0] = true;
      return entry;
    });
    return written[0];
  }

  @Override
  public void invalidate(K key) {
    cache.invalidate(Objects.requireNonNull(key, "key"));
  }

  @Override
  public Ticker ticker() {
    return ticker;
  }

  /** Runs Caffeine's pending maintenance (evictions) now. */
  public void cleanUp() {
    cache.cleanUp();
  }

  public long estimatedSize() {
    return cache.estimatedSize();
  }
}
