package stampede.testkit;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import stampede.caffeine.CaffeineStore;
import stampede.core.Ticker;
import stampede.redis.RedisKeys;
import stampede.redis.ValueCodec;

/**
 * The store adapters, for tests that run once per store ({@code @EnumSource(StoreKind.class)}): in process, on one
 * Redis, and on a Redis Cluster of three masters with a replica each ({@link SharedRedis#cluster}), where a key's
 * names spread over the masters by their hash tags.
 */
public enum StoreKind {
  CAFFEINE,
  REDIS,
  REDIS_CLUSTER;

  private static final AtomicInteger NAMESPACE = new AtomicInteger();

  /**
   * A fresh, empty store of this kind on {@code ticker}, with its lock service; close it after the test. On Redis it
   * writes under a prefix no other fixture of this JVM or another uses.
   */
  public <V> StoreFixture<V> open(Ticker ticker, ValueCodec<V> codec, Duration retention) {
    String prefix = "t" + ProcessHandle.current().pid() + "-" + NAMESPACE.incrementAndGet() + ":";
    return switch (this) {
      case CAFFEINE -> StoreFixture.caffeine(new CaffeineStore<>(ticker, Runnable::run, 100_000, retention),
          new LocalLocks<>(ticker));
      case REDIS -> StoreFixture.redis(SharedRedis.client(), RedisKeys.strings(prefix), codec, ticker, retention);
      case REDIS_CLUSTER -> StoreFixture.redisCluster(SharedRedis.clusterClient(), RedisKeys.strings(prefix), codec,
          ticker, retention);
    };
  }

  /** True for the stores shared across processes (entries and leases in Redis), whose leases run on Redis's clock. */
  public boolean isRedis() {
    return this != CAFFEINE;
  }

  /** {@link #open(Ticker, ValueCodec, Duration)} with UTF-8 string values and a retention of one minute. */
  public StoreFixture<String> open(Ticker ticker) {
    return open(ticker, ValueCodec.utf8(), Duration.ofMinutes(1));
  }
}
