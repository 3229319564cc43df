package stampede.jmh;

import io.lettuce.core.RedisClient;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.random.RandomGenerator;
import stampede.core.CacheStore;
import stampede.core.CaffeineStore;
import stampede.core.Counters;
import stampede.core.EmbeddedRedis;
import stampede.core.LocalLocks;
import stampede.core.Locks;
import stampede.core.RedisStore;
import stampede.core.Ticker;
import stampede.core.ValueCodec;

/**
 * Everything a strategy is built from, for one benchmark trial: the store (and its locks), the system
 * ticker, a bounded executor for background loads, a scheduler (lease watchdogs, refresh-ahead), a random
 * source, {@link Counters} and the {@link Database}. For {@link StoreType#REDIS} it starts an embedded
 * redis-server and {@link #close()} stops it.
 */
public final class Env implements AutoCloseable {
  /** How long a store keeps a stale entry past its expiry (for stale-while-revalidate / stale-if-error). */
  public static final Duration RETENTION = Duration.ofSeconds(30);

  public final StoreType storeType;
  public final Database db;
  public final Duration ttl;
  public final Ticker ticker = Ticker.system();
  public final Counters counters = new Counters();
  public final RandomGenerator random = new Random(42);
  /**
   * Background loads (refreshes) and the Caffeine peers' loads: 16 threads (loads park, so threads are cheap;
   * at least as many as the callers, so the async peer is not capped below them) and a bounded queue, so an
   * overload shows up as REJECTED instead of an unbounded queue.
   */
  public final ThreadPoolExecutor executor;
  /** Caffeine's own maintenance (the store's and the peers'): never the common pool. */
  public final ExecutorService cacheExecutor;
  public final ScheduledExecutorService scheduler;
  public final CacheStore<String, String> store;
  public final Locks locks;
  private final EmbeddedRedis redis;
  private final RedisClient client;

  public Env(StoreType storeType, Database db, Duration ttl) {
    this.storeType = storeType;
    this.db = db;
    this.ttl = ttl;
    this.executor = new ThreadPoolExecutor(16, 16, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(10_000),
        daemons("bench-loader"));
    this.cacheExecutor = Executors.newSingleThreadExecutor(daemons("bench-caffeine"));
    this.scheduler = Executors.newScheduledThreadPool(1, daemons("bench-scheduler"));
    if (storeType == StoreType.REDIS) {
      this.redis = EmbeddedRedis.start();
      this.client = RedisStore.client(redis.uri(), Duration.ofSeconds(2));
      RedisStore<String, String> rs = new RedisStore<>(client, ValueCodec.utf8(), ticker, RETENTION, "bench:");
      this.store = rs;
      this.locks = rs;
    } else {
      this.redis = null;
      this.client = null;
      this.store = new CaffeineStore<>(ticker, cacheExecutor, 1_000_000, RETENTION);
      this.locks = new LocalLocks(ticker);
    }
  }

  /** The URI of the embedded Redis, or null on the Caffeine store. */
  public String redisUri() {
    return redis == null ? null : redis.uri();
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
    executor.shutdownNow();
    cacheExecutor.shutdownNow();
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (store instanceof RedisStore<?, ?> rs) {
      rs.close();
    }
    if (client != null) {
      client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
    if (redis != null) {
      redis.close();
    }
  }

  static ThreadFactory daemons(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
