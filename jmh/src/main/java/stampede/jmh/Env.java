package stampede.jmh;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.RedisClusterClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
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
import stampede.core.Metrics;
import stampede.core.Ticker;
import stampede.redis.RedisKeys;
import stampede.redis.RedisLocks;
import stampede.redis.RedisStore;
import stampede.redis.ValueCodec;
import stampede.testkit.EmbeddedRedis;
import stampede.testkit.LocalLocks;

/**
 * Everything a strategy is built from, for one benchmark trial or one application node of a scenario: the store and
 * its locks, {@link Counters} (and {@link #metrics}, where every strategy reports), the {@link Database}, a bounded
 * executor for background loads, Caffeine's maintenance executor and a scheduler. For {@link StoreType#REDIS} it
 * starts an embedded redis-server, or, built with {@link Builder#redis(String)}, connects to a server shared with
 * other envs (several nodes on one Redis: each env has its own client, connections and in-process state), or, built
 * with {@link Builder#redisCluster(List)}, to a shared Redis Cluster;
 * {@link #close()} stops what this env started (the scheduler's periodic tasks included, and whatever was handed to
 * {@link #onClose}).
 *
 * <p>Metrics: strategies report to {@link #metrics}, which is {@link #counters} plus what the builder adds
 * ({@link Builder#metrics}): a scenario's time series today, a Micrometer binding later (one line there).
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
  /**
   * The clock of in-process entries: the Caffeine store's and the Caffeine peers' ({@link Ticker#system()} unless
   * the builder says otherwise; Redis entries are always on {@link Ticker#wall()}).
   */
  public final Ticker storeTicker;
  /** True if the builder gave {@link #storeTicker} (a scenario's clock, not the system's). */
  public final boolean customStoreClock;
  public final Counters counters = new Counters();
  /** Where strategies report: {@link #counters}, plus the builder's extra {@link Metrics} if any. */
  public final Metrics metrics;
  /** TTL jitter of the jittered strategies, as a fraction of {@link #ttl} (default 0.2: +-20%). */
  public final double jitter;
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
  /** Prefix of this env's Redis keys ({@code bench:} unless the builder says otherwise). */
  public final String keyPrefix;
  private final EmbeddedRedis redis;
  private final String redisUri;
  private final RedisClient client;
  private final RedisClusterClient clusterClient;
  private final List<String> clusterUris;
  private final List<AutoCloseable> closeables = new ArrayList<>();

  /** One trial's env with the defaults (an embedded Redis of its own on {@link StoreType#REDIS}). */
  public Env(StoreType storeType, Database db, Duration ttl) {
    this(builder(storeType, db, ttl));
  }

  private Env(Builder b) {
    this.storeType = b.storeType;
    this.db = b.db;
    this.ttl = b.ttl;
    this.jitter = b.jitter;
    this.storeTicker = b.storeTicker == null ? Ticker.system() : b.storeTicker;
    this.customStoreClock = b.storeTicker != null;
    this.keyPrefix = b.keyPrefix;
    this.metrics = b.metrics == null ? counters : counters.and(b.metrics);
    this.executor = new ThreadPoolExecutor(b.loaderThreads, b.loaderThreads, 30, TimeUnit.SECONDS,
        new ArrayBlockingQueue<>(10_000), daemons("bench-loader"));
    this.cacheExecutor = Executors.newSingleThreadExecutor(daemons("bench-caffeine"));
    this.scheduler = Executors.newScheduledThreadPool(1, daemons("bench-scheduler"));
    if (storeType == StoreType.REDIS) {
      this.redisKeys = RedisKeys.strings(b.keyPrefix);
      if (b.clusterSeeds != null) { // a Redis Cluster shared with other envs
        this.redis = null;
        this.redisUri = null;
        this.client = null;
        this.clusterUris = b.clusterSeeds.stream().map(u -> "redis://" + u.getHost() + ":" + u.getPort()).toList();
        this.clusterClient = RedisStore.clusterClient(b.clusterSeeds, b.redisTimeout);
        this.store = RedisStore.builder(clusterClient, redisKeys, ValueCodec.utf8()).ticker(Ticker.wall())
            .retention(RETENTION).build();
        this.locks = new RedisLocks<>(clusterClient, redisKeys);
      } else {
        this.redis = b.redisUri == null ? EmbeddedRedis.start() : null;
        this.redisUri = b.redisUri == null ? redis.uri() : b.redisUri;
        this.client = RedisStore.client(redisUri, b.redisTimeout);
        this.clusterClient = null;
        this.clusterUris = null;
        this.store = RedisStore.builder(client, redisKeys, ValueCodec.utf8()).ticker(Ticker.wall())
            .retention(RETENTION).build();
        this.locks = new RedisLocks<>(client, redisKeys);
      }
    } else {
      this.redis = null;
      this.redisUri = null;
      this.client = null;
      this.clusterClient = null;
      this.clusterUris = null;
      this.redisKeys = null;
      this.store = new CaffeineStore<>(storeTicker, cacheExecutor, b.maximumSize, RETENTION);
      this.locks = new LocalLocks<>(Ticker.system());
    }
  }

  /** An env to configure: {@link Builder#build()} opens it. */
  public static Builder builder(StoreType storeType, Database db, Duration ttl) {
    return new Builder(storeType, db, ttl);
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

  /** The URIs of the cluster's nodes this env was given as seeds, or null unless it runs on a Redis Cluster. */
  public List<String> clusterUris() {
    return clusterUris;
  }

  /** The URI of this env's Redis (its own or the shared one), or null on the Caffeine store or a cluster. */
  public String redisUri() {
    return redisUri;
  }

  /** The Lettuce client of this env, or null on the Caffeine store. */
  public RedisClient redisClient() {
    return client;
  }

  /** Closes {@code resource} with this env, before the env's own connections (a peer's own client, say). */
  public synchronized void onClose(AutoCloseable resource) {
    closeables.add(Objects.requireNonNull(resource, "resource"));
  }

  @Override
  public void close() {
    synchronized (this) {
      for (AutoCloseable c : closeables) {
        try {
          c.close();
        } catch (Exception e) {
          // best effort: the env goes on closing
        }
      }
      closeables.clear();
    }
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
    if (clusterClient != null) {
      clusterClient.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
    if (redis != null) {
      redis.close();
    }
  }

  /** Settings of an env, with their defaults. */
  public static final class Builder {
    private final StoreType storeType;
    private final Database db;
    private final Duration ttl;
    private String redisUri;
    private List<RedisURI> clusterSeeds;
    private String keyPrefix = "bench:";
    private Duration redisTimeout = Duration.ofSeconds(2);
    private Metrics metrics;
    private double jitter = 0.2;
    private Ticker storeTicker;
    private int loaderThreads = 16;
    private long maximumSize = 1_000_000;

    private Builder(StoreType storeType, Database db, Duration ttl) {
      this.storeType = Objects.requireNonNull(storeType, "storeType");
      this.db = Objects.requireNonNull(db, "db");
      this.ttl = Objects.requireNonNull(ttl, "ttl");
    }

    /** Connect to this Redis (shared with other envs) instead of starting one; the env does not stop it. */
    public Builder redis(String uri) {
      this.redisUri = Objects.requireNonNull(uri, "uri");
      return this;
    }

    /**
     * Connect to this Redis Cluster (shared with other envs; the env does not stop it) through a
     * {@code RedisClusterClient} seeded with {@code seeds}, instead of one Redis.
     */
    public Builder redisCluster(List<RedisURI> seeds) {
      this.clusterSeeds = List.copyOf(seeds);
      return this;
    }

    /** Prefix of every Redis key of this env; default {@code bench:}. Nodes of one cache share it. */
    public Builder keyPrefix(String prefix) {
      this.keyPrefix = Objects.requireNonNull(prefix, "prefix");
      return this;
    }

    /** Command timeout of the Redis client; default 2 s. */
    public Builder redisTimeout(Duration timeout) {
      this.redisTimeout = Objects.requireNonNull(timeout, "timeout");
      return this;
    }

    /** Also report every strategy event here (besides {@link Env#counters}). */
    public Builder metrics(Metrics extra) {
      this.metrics = Objects.requireNonNull(extra, "extra");
      return this;
    }

    /** TTL jitter of the jittered strategies, a fraction in [0, 1); default 0.2. */
    public Builder jitter(double fraction) {
      if (!(fraction >= 0 && fraction < 1)) {
        throw new IllegalArgumentException("jitter in [0, 1): " + fraction);
      }
      this.jitter = fraction;
      return this;
    }

    /**
     * The clock of the Caffeine store's entries (monotonic!); default {@link Ticker#system()}. A scenario that must
     * write many entries "at one instant" passes a clock it can hold still while it writes.
     */
    public Builder storeTicker(Ticker ticker) {
      this.storeTicker = Objects.requireNonNull(ticker, "ticker");
      return this;
    }

    /** Threads of {@link Env#executor}; default 16. */
    public Builder loaderThreads(int threads) {
      this.loaderThreads = threads;
      return this;
    }

    /** Size bound of the Caffeine store; default 1,000,000 entries. */
    public Builder maximumSize(long entries) {
      this.maximumSize = entries;
      return this;
    }

    public Env build() {
      return new Env(this);
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
