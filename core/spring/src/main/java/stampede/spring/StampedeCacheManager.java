package stampede.spring;

import io.lettuce.core.RedisClient;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.springframework.cache.Cache;
import org.springframework.cache.CacheManager;
import stampede.caffeine.CaffeineStore;
import stampede.core.CacheStore;
import stampede.core.Fill;
import stampede.core.LoadingStrategy;
import stampede.core.Metrics;
import stampede.core.StoreFill;
import stampede.core.Ticker;
import stampede.core.Ttl;
import stampede.redis.RedisKeys;
import stampede.redis.RedisLocks;
import stampede.redis.RedisStore;
import stampede.redis.ValueCodec;
import stampede.strategies.CacheAside;
import stampede.strategies.DistributedLock;
import stampede.strategies.LayeredStack;
import stampede.strategies.SingleFlight;
import stampede.strategies.StaleWhileRevalidate;
import stampede.strategies.TtlJitter;
import stampede.strategies.TwoLevelCoalescing;

/**
 * A Spring {@link CacheManager} of {@link StampedeCache}s, one {@link LoadingStrategy} per cache name, built from a
 * {@link CacheSpec} each: on Redis ({@code redisUri}) with {@code LayeredStack}, {@code TwoLevelCoalescing} or
 * {@code SingleFlight}, or in process (Caffeine) with {@code SingleFlight}. Every cache is built when the manager is
 * (a setting that cannot work fails there, naming the cache); a name that was not configured gets a cache from the
 * defaults if there are any, else {@link #getCache} answers null (Spring then reports the unknown cache).
 *
 * <p>Redis names: a cache's entries, leases and fences live under {@code <keyPrefix><cache name>:}, its generation
 * counter at {@code <keyPrefix><cache name>:generation}; keys are encoded by {@link SpringKeys}. One Lettuce client
 * per Redis URI, shared by the manager's caches. {@link #close()} (Spring calls it on a {@code @Bean}) closes the
 * connections, the clients and the refresh executor.
 */
public final class StampedeCacheManager implements CacheManager, AutoCloseable {
  private final String keyPrefix;
  private final Function<String, Metrics> metrics;
  private final ValueCodec<Object> codec;
  private final @Nullable CacheSpec defaults;
  private final ExecutorService executor;
  private final Map<String, RedisClient> clients = new ConcurrentHashMap<>();
  private final Deque<AutoCloseable> resources = new ArrayDeque<>();
  private final ConcurrentHashMap<String, StampedeCache> caches = new ConcurrentHashMap<>();
  private volatile boolean closed;

  private StampedeCacheManager(Builder b) {
    this.keyPrefix = b.keyPrefix;
    this.metrics = b.metrics;
    this.codec = b.codec != null ? b.codec : new JavaSerializationCodec(b.classLoader, null);
    this.defaults = b.defaults;
    this.executor = executor();
    try {
      b.caches.forEach((name, spec) -> caches.put(name, build(name, spec)));
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  @Override
  public @Nullable Cache getCache(String name) {
    StampedeCache cache = caches.get(name);
    CacheSpec spec = defaults;
    if (cache != null || spec == null || closed) {
      return cache;
    }
    synchronized (resources) {
      return caches.computeIfAbsent(name, n -> build(n, spec));
    }
  }

  @Override
  public Collection<String> getCacheNames() {
    return Collections.unmodifiableSet(caches.keySet());
  }

  private StampedeCache build(String name, CacheSpec spec) {
    String where = "cache '" + name + "': ";
    try {
      return build(name, spec, metrics.apply(name));
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new IllegalArgumentException(where + e.getMessage(), e);
    }
  }

  private StampedeCache build(String name, CacheSpec spec, Metrics m) {
    Duration ttl = spec.getTtl();
    Duration swr = spec.getStaleWhileRevalidate();
    Duration sie = spec.getStaleIfError();
    Duration retention = swr.compareTo(sie) >= 0 ? swr : sie;
    Ttl<CacheKey> ttls = new TtlJitter<>(ttl, spec.getJitter(), () -> ThreadLocalRandom.current().nextDouble());
    CacheSpec.Strategy strategy = spec.getStrategy();
    CacheStore<CacheKey, Object> store;
    @Nullable RedisLocks<CacheKey> locks = null;
    Generation generation;
    String uri = spec.getRedisUri();
    if (uri == null) {
      if (strategy != CacheSpec.Strategy.SINGLE_FLIGHT) {
        throw new IllegalArgumentException(strategy + " shares loads across nodes through Redis: set redis-uri");
      }
      store = new CaffeineStore<>(Ticker.system(), executor, spec.getMaximumSize(), retention);
      generation = Generation.local();
    } else {
      if (name.indexOf('{') >= 0 || name.indexOf('}') >= 0) {
        throw new IllegalArgumentException("a cache on Redis may not have '{' or '}' in its name");
      }
      RedisClient client = client(uri, spec.getRedisTimeout());
      RedisKeys<CacheKey> keys = SpringKeys.redisKeys(keyPrefix + name + ":");
      store = own(RedisStore.builder(client, keys, codec).retention(retention).build());
      generation = own(new RedisGeneration(client, keys.prefix(), spec.getGenerationRecheck()));
      if (strategy != CacheSpec.Strategy.SINGLE_FLIGHT) {
        locks = own(new RedisLocks<>(client, keys));
      }
    }
    LoadingStrategy<CacheKey, Object> loading = switch (strategy) {
      case LAYERED_STACK -> LayeredStack.builder(store, Objects.requireNonNull(locks, "locks"), ttl, executor)
          .metrics(m).jitter(spec.getJitter()).stale(swr, sie).lock(spec.getLease(), spec.getMaxWait()).build();
      case TWO_LEVEL_COALESCING -> {
        DistributedLock<CacheKey, Object> lock = DistributedLock.builder(store,
            Objects.requireNonNull(locks, "locks"), new StoreFill<>(store, m, ttls))
            .metrics(m).lease(spec.getLease()).maxWait(spec.getMaxWait()).build();
        yield aside(store, new TwoLevelCoalescing<>(store, lock, m), m, swr, sie);
      }
      case SINGLE_FLIGHT -> aside(store, SingleFlight.builder(store, new StoreFill<>(store, m, ttls)).metrics(m)
          .maxWait(spec.getMaxWait()).build(), m, swr, sie);
    };
    return new StampedeCache(name, store, loading, ttls, generation, spec.isAllowNullValues());
  }

  private CacheAside<CacheKey, Object> aside(CacheStore<CacheKey, Object> store,
      Fill<CacheKey, Object> fill, Metrics m, Duration swr, Duration sie) {
    CacheAside.Builder<CacheKey, Object> b = CacheAside.builder(store, fill).metrics(m).staleIfError(sie);
    if (!swr.isZero()) {
      b.policy(new StaleWhileRevalidate<>(swr), executor);
    }
    return b.build();
  }

  private RedisClient client(String uri, Duration timeout) {
    return clients.computeIfAbsent(uri + " " + timeout.toNanos(), k -> {
      RedisClient client = RedisStore.client(uri, timeout);
      own(() -> client.shutdown(Duration.ZERO, Duration.ofSeconds(1)));
      return client;
    });
  }

  private <T extends AutoCloseable> T own(T resource) {
    synchronized (resources) {
      resources.push(resource);
    }
    return resource;
  }

  /** Closes every cache's connections, then the Redis clients and the refresh executor. */
  @Override
  public void close() {
    closed = true;
    synchronized (resources) {
      while (!resources.isEmpty()) {
        try {
          resources.pop().close();
        } catch (Exception e) {
          // best effort: the next resource still closes
        }
      }
    }
    executor.shutdownNow();
  }

  /** Background refreshes and Caffeine's maintenance: bounded, daemon threads. */
  private static ExecutorService executor() {
    AtomicInteger n = new AtomicInteger();
    int threads = Math.max(2, Runtime.getRuntime().availableProcessors());
    ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS,
        new ArrayBlockingQueue<>(10_000), r -> {
          Thread t = new Thread(r, "stampede-cache-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
    pool.allowCoreThreadTimeOut(true);
    return pool;
  }

  /** Settings of a {@link StampedeCacheManager}. */
  public static final class Builder {
    private final Map<String, CacheSpec> caches = new LinkedHashMap<>();
    private String keyPrefix = "stampede:";
    private Function<String, Metrics> metrics = name -> Metrics.none();
    private @Nullable ValueCodec<Object> codec;
    private @Nullable ClassLoader classLoader;
    private @Nullable CacheSpec defaults;

    private Builder() {
    }

    /** A cache named {@code name}. */
    public Builder cache(String name, CacheSpec spec) {
      caches.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(spec, "spec").copy());
      return this;
    }

    /** Caches for names not configured, built on first use; default none (an unknown name has no cache). */
    public Builder defaults(@Nullable CacheSpec defaults) {
      this.defaults = defaults == null ? null : defaults.copy();
      return this;
    }

    /** The start of every Redis name; default {@code "stampede:"}. No braces. */
    public Builder keyPrefix(String keyPrefix) {
      this.keyPrefix = Objects.requireNonNull(keyPrefix, "keyPrefix");
      return this;
    }

    /** Each cache's metrics, by cache name (e.g. {@code MicrometerMetrics}); default none. */
    public Builder metrics(Function<String, Metrics> metrics) {
      this.metrics = Objects.requireNonNull(metrics, "metrics");
      return this;
    }

    /** How values are written to Redis; default {@link JavaSerializationCodec} without a filter (see its doc). */
    public Builder codec(@Nullable ValueCodec<Object> codec) {
      this.codec = codec;
      return this;
    }

    /** The loader of the values' classes for the default codec (the application's); default the JVM's. */
    public Builder classLoader(@Nullable ClassLoader classLoader) {
      this.classLoader = classLoader;
      return this;
    }

    public StampedeCacheManager build() {
      return new StampedeCacheManager(this);
    }
  }
}
