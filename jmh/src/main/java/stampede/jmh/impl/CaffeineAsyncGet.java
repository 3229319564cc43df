package stampede.jmh.impl;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import stampede.core.Event;
import stampede.core.LoadException;
import stampede.core.Metrics;
import stampede.core.Ticker;
import stampede.jmh.BenchCache;
import stampede.jmh.Database;

/**
 * Peer: what a user would write with Caffeine alone instead of a strategy. {@code AsyncCache.get(key,
 * mappingFunction)} with {@code expireAfterWrite(ttl)}: the first caller of a missing key starts one load on the
 * executor, every other caller joins the same future, so one load per key per expiry, and every caller waits for
 * it. A failed load is not cached and every waiter gets its error (Caffeine's documented behaviour for a future
 * completed exceptionally).
 *
 * <p>The load and Caffeine's maintenance run on {@code executor}, never the common pool. It counts
 * {@link Event#LOAD_STARTED}, {@link Event#LOAD_SUCCEEDED} and {@link Event#LOAD_FAILED} into {@code metrics}, as a
 * strategy's {@code StoreFill} does; it never serves stale.
 */
public final class CaffeineAsyncGet implements BenchCache {
  private final AsyncCache<String, String> cache;
  private final Database db;
  private final Metrics metrics;

  public CaffeineAsyncGet(Database db, Metrics metrics, Duration ttl, Executor executor) {
    this(db, metrics, ttl, executor, null);
  }

  /**
   * The same on {@code ticker}, Caffeine's clock (a scenario may hold it still while it writes every key); null:
   * Caffeine's own system clock.
   */
  public CaffeineAsyncGet(Database db, Metrics metrics, Duration ttl, Executor executor, Ticker ticker) {
    this.db = db;
    this.metrics = metrics;
    Caffeine<Object, Object> builder = Caffeine.newBuilder();
    if (ticker != null) {
      builder.ticker(ticker::read);
    }
    this.cache = builder
        .executor(executor)
        .maximumSize(1_000_000)
        .expireAfterWrite(ttl)
        .buildAsync();
  }

  @Override
  public String get(String key) {
    try {
      return cache.get(key, this::load).join();
    } catch (CompletionException e) {
      throw new LoadException(key, e.getCause());
    }
  }

  private String load(String key) {
    metrics.record(Event.LOAD_STARTED, key);
    try {
      String value = db.loadUnchecked(key);
      metrics.record(Event.LOAD_SUCCEEDED, key);
      return value;
    } catch (RuntimeException e) {
      metrics.record(Event.LOAD_FAILED, key);
      throw e;
    }
  }

  /** Writes {@code value} as a batch job warming the cache would ({@code put}, no load). */
  public void put(String key, String value) {
    cache.synchronous().put(key, value);
  }

  @Override
  public void invalidate(String key) {
    cache.synchronous().invalidate(key);
  }
}
