package stampede.jmh;

import io.lettuce.core.RedisClient;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import stampede.caffeine.CaffeineStore;
import stampede.core.CacheStore;
import stampede.core.Counters;
import stampede.core.Locks;
import stampede.core.Ticker;
import stampede.redis.RedisKeys;
import stampede.redis.RedisLocks;
import stampede.redis.RedisStore;
import stampede.redis.ValueCodec;
import stampede.testkit.EmbeddedRedis;
import stampede.testkit.LocalLocks;

/**
 * Everything a strategy is built from, for one benchmark trial: the store and its locks, {@link Counters}, the
 * {@link Database}, a bounded executor for background loads, Caffeine's maintenance executor and a scheduler. For
 * {@link StoreType#REDIS} it starts an embedded redis-server; {@link #close()} stops it and everything else the trial
 * started (the scheduler's periodic tasks included).
 *
 * <p>Clocks, as the SPI's {@link Ticker} says: the Caffeine store times its entries on {@link Ticker#system()}, the
 * Redis store on {@link Ticker#wall()} (entries a second process could read); intervals measured by a strategy
 * (breaker, rate limit, hot-key windows) use {@link #ticker}, always {@link Ticker#system()}.
 */
public final class Env implements AutoCloseable {
  /** How long a store keeps a stale entry past its expiry: above every stale bound a strategy is given. */
  public static final Duration RETENTION = Duration.ofSeconds(30);
  /** The Caffeine store's size bound. */
  public static final long MAXIMUM_SIZE = 1_000_000;

  public final StoreType storeType;
  public final Database db;
  public final Duration ttl;
  /** The clock of intervals: monotonic. */
  public final Ticker ticker = Ticker.system();
  public final Counters counters = new Counters();
  /**
   * Background loads (refreshes) and the Caffeine peers' loads: 16 threads (loads park, so threads are cheap;
   * at least as many as the callers, so the async peer is not capped below them) and a bounded queue, so an
   * overload shows up as REFRESH_REJECTED instead of an unbounded queue.
   */
  public final ThreadPoolExecutor executor;
  /** Caffeine's maintenance for the Caffeine store: never the common pool. */
  public final ExecutorService cacheExecutor;
  /** Periodic tasks ({@link #every}) and the distributed lock's lease renewals. */
  public final ScheduledExecutorService scheduler;
  public final CacheStore<String, String> store;
  public final Locks<String> locks;
  /** How the Redis store names its keys (null on the Caffeine store). */
  public final RedisKeys<String> redisKeys;
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
      this.redisKeys = RedisKeys.strings("bench:");
      this.store = RedisStore.builder(client, redisKeys, ValueCodec.utf8()).ticker(Ticker.wall())
          .retention(RETENTION).build();
      this.locks = new RedisLocks<>(client, redisKeys);
    } else {
      this.redis = null;
      this.client = null;
      this.redisKeys = null;
      this.store = new CaffeineStore<>(Ticker.system(), cacheExecutor, MAXIMUM_SIZE, RETENTION);
      this.locks = new LocalLocks<>(Ticker.system());
    }
  }

  /**
   * Opens the store and the database for one trial: loads take {@code dbLatencyMs} ("5-50", uniform), expiry
   * episodes are separated by half a TTL (see {@link Database}). Throws for a Caffeine peer on Redis: JMH reports
   * that combination as failed (not applicable).
   */
  public static Env open(StrategyType strategy, StoreType store, String dbLatencyMs, int ttlMs) {
    if (!strategy.runsOn(store)) {
      throw new IllegalArgumentException("N/A: " + strategy + " runs only on the CAFFEINE store");
    }
    long[] latency = Database.parseMillisRange(dbLatencyMs);
    Database db = new Database(latency[0], latency[1], Duration.ofMillis(ttlMs).toNanos() / 2);
    return new Env(store, db, Duration.ofMillis(ttlMs));
  }

  /**
   * Runs {@code task} every {@code period} on the scheduler until {@link #close()}; an exception it throws is
   * dropped, so the schedule stays alive (a strategy counts its own failures).
   */
  public void every(Duration period, Runnable task) {
    long millis = Math.max(1, period.toMillis());
    scheduler.scheduleAtFixedRate(() -> {
      try {
        task.run();
      } catch (RuntimeException e) {
        // dropped: see above
      }
    }, millis, millis, TimeUnit.MILLISECONDS);
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
    if (locks instanceof RedisLocks<?> rl) {
      rl.close();
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

  /** Daemon threads named {@code name-1}, {@code name-2}, ... */
  public static ThreadFactory daemons(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
