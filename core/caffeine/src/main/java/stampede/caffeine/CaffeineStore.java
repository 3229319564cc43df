package stampede.caffeine;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import stampede.core.CacheStore;
import stampede.core.Entry;
import stampede.core.Nullable;
import stampede.core.Ticker;

/**
 * {@link CacheStore} in process, on a bounded Caffeine cache. Each entry is kept until
 * {@code expireTime + retention} on the injected ticker (so a test's manual ticker drives eviction too), and
 * Caffeine's maintenance runs on the injected executor. Entries never leave the process, so the ticker should be
 * monotonic: {@link Ticker#system()}.
 *
 * <p><b>One clock reading per read.</b> A read path reads {@link #ticker()} once per call and passes the reading to
 * {@link #get(Object, long)}, which answers on it: an entry past {@code expireTime + retention} at {@code now} is
 * not returned. Caffeine's own clock, which only decides when Caffeine reclaims the memory of such entries, is
 * the latest reading a caller passed in (or {@link #put} and {@link #cleanUp} took), moved forward at most once a
 * millisecond: it never runs ahead of the ticker, so Caffeine never drops an entry early, and a hit costs one
 * reading of the ticker instead of two (about 30 ns each on a virtual machine). Otherwise the cache is configured as
 * a user would configure Caffeine for entries with their own expiry: {@code expireAfter} with an {@code Expiry}
 * that keeps each entry until its own {@code expireTime + retention}.
 */
public final class CaffeineStore<K, V> implements CacheStore<K, V> {
  /** How far the ticker must have moved before Caffeine's clock follows (a write to a shared field). */
  private static final long CLOCK_STEP_NANOS = 1_000_000;

  private final Cache<K, Entry<V>> cache;
  private final Ticker ticker;
  private final long retainNanos;
  /** Caffeine's clock: the latest reading of {@link #ticker} seen, in steps of at least {@link #CLOCK_STEP_NANOS}. */
  private final AtomicLong caffeineTime;

  /**
   * @param ticker       the clock of entry times and eviction, {@link Ticker#system()} outside tests
   * @param executor     Caffeine's maintenance executor (use {@code Runnable::run} for fully deterministic tests)
   * @param maximumSize  the size bound
   * @param retention    how long a stale entry is kept past its expiry (zero: dropped when it goes stale)
   */
  public CaffeineStore(Ticker ticker, Executor executor, long maximumSize, Duration retention) {
    this.ticker = Objects.requireNonNull(ticker, "ticker");
    this.retainNanos = retention.toNanos();
    if (retainNanos < 0) {
      throw new IllegalArgumentException("retention < 0: " + retention);
    }
    this.caffeineTime = new AtomicLong(ticker.read());
    long retain = retainNanos;
    this.cache = Caffeine.newBuilder()
        .ticker(caffeineTime::get)
        .executor(Objects.requireNonNull(executor, "executor"))
        .maximumSize(maximumSize)
        .expireAfter(new Expiry<K, Entry<V>>() {
          @Override
          public long expireAfterCreate(K key, Entry<V> e, long now) {
            return Math.max(0, e.expireTime() + retain - now);
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
  public @Nullable Entry<V> get(K key) {
    return get(key, ticker.read());
  }

  @Override
  public @Nullable Entry<V> get(K key, long now) {
    Objects.requireNonNull(key, "key");
    long t = caffeineTime.get();
    if (now - t >= CLOCK_STEP_NANOS) {
      caffeineTime.compareAndSet(t, now); // one caller moves it; the others read on
    }
    Entry<V> e = cache.getIfPresent(key);
    return e == null || now - e.expireTime() < retainNanos ? e : null;
  }

  @Override
  public boolean put(K key, Entry<V> entry) {
    Objects.requireNonNull(entry, "entry");
    catchUp();
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
    catchUp();
    cache.cleanUp();
  }

  /** Moves Caffeine's clock to the ticker now. */
  private void catchUp() {
    caffeineTime.accumulateAndGet(ticker.read(), Math::max);
  }

  public long estimatedSize() {
    return cache.estimatedSize();
  }
}
