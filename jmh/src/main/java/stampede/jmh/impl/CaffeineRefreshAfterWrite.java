package stampede.jmh.impl;

import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.LoadingCache;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import stampede.core.Event;
import stampede.core.LoadException;
import stampede.core.Metrics;
import stampede.core.Ticker;
import stampede.jmh.BenchCache;
import stampede.jmh.Database;

/**
 * Peer: Caffeine's own stale-while-revalidate. A {@code LoadingCache} with {@code refreshAfterWrite(ttl)}: the
 * first read of a value older than the TTL starts one reload on the executor and gets the old value, as do the
 * reads until the reload lands; a failed reload keeps the old value. {@code expireAfterWrite(ttl + staleIfError)}
 * bounds how long an old value may be served, which matches the strategies' stale-if-error. A missing key is loaded
 * in line, one load per key (Caffeine's compute).
 *
 * <p>The reloads and Caffeine's maintenance run on {@code executor}, never the common pool. A value older than the
 * TTL when returned is counted as {@link Event#STALE_SERVED} (the {@link Database} stamps each value with its load
 * time; on a clock of its own, given to the constructor, Caffeine's own age of the entry is asked instead, since the
 * stamp is not on that clock); loads are counted as a strategy's {@code StoreFill} counts them.
 */
public final class CaffeineRefreshAfterWrite implements BenchCache {
  private final LoadingCache<String, String> cache;
  private final Database db;
  private final Metrics metrics;
  private final long ttlNanos;
  private final boolean ownClock;

  public CaffeineRefreshAfterWrite(Database db, Metrics metrics, Duration ttl, Duration staleIfError,
      Executor executor) {
    this(db, metrics, ttl, staleIfError, executor, null);
  }

  /** The same on {@code ticker}, Caffeine's clock (null: the system clock). */
  public CaffeineRefreshAfterWrite(Database db, Metrics metrics, Duration ttl, Duration staleIfError,
      Executor executor, Ticker ticker) {
    this.db = db;
    this.metrics = metrics;
    this.ttlNanos = ttl.toNanos();
    this.ownClock = ticker != null;
    Caffeine<Object, Object> builder = Caffeine.newBuilder();
    if (ticker != null) {
      builder.ticker(ticker::read);
    }
    this.cache = builder
        .executor(executor)
        .maximumSize(1_000_000)
        .refreshAfterWrite(ttl)
        .expireAfterWrite(ttl.plus(staleIfError))
        .build(this::load);
  }

  @Override
  public String get(String key) {
    long age = ownClock ? cache.policy().refreshAfterWrite().orElseThrow()
        .ageOf(key, TimeUnit.NANOSECONDS).orElse(0) : 0;
    String value;
    try {
      value = cache.get(key);
    } catch (CompletionException e) { // Caffeine wraps a checked exception of the loader
      throw new LoadException(key, e.getCause());
    }
    if ((ownClock ? age : System.nanoTime() - Database.loadedAt(value)) > ttlNanos) {
      metrics.record(Event.STALE_SERVED, key);
    }
    return value;
  }

  private String load(String key) throws Exception {
    metrics.record(Event.LOAD_STARTED, key);
    try {
      String value = db.load(key);
      metrics.record(Event.LOAD_SUCCEEDED, key);
      return value;
    } catch (Exception e) {
      metrics.record(Event.LOAD_FAILED, key);
      throw e;
    }
  }

  @Override
  public void invalidate(String key) {
    cache.invalidate(key);
  }
}
