package stampede.testkit;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import java.time.Duration;
import java.util.function.Consumer;
import java.util.function.Supplier;
import stampede.core.CacheStore;
import stampede.core.Locks;
import stampede.core.Nullable;
import stampede.core.Ticker;
import stampede.redis.RedisKeys;
import stampede.redis.RedisLocks;
import stampede.redis.RedisStore;
import stampede.redis.ValueCodec;

/**
 * A store under test, its lock service, and a way to open another "node" on the same data: for Redis and Redis
 * Cluster a new {@link RedisStore} and {@link RedisLocks} (their own connections) on the same prefix; for Caffeine,
 * in one process, the same store and locks (an in-process cache is not shared across real nodes).
 */
public final class StoreFixture<V> implements AutoCloseable {
  public final StoreKind kind;
  public final CacheStore<String, V> store;
  public final Locks<String> locks;
  private final Runnable closer;
  private final Supplier<StoreFixture<V>> nodes;
  private final Consumer<String> delete;

  private StoreFixture(StoreKind kind, CacheStore<String, V> store, Locks<String> locks, Runnable closer,
      Supplier<StoreFixture<V>> nodes, Consumer<String> delete) {
    this.kind = kind;
    this.store = store;
    this.locks = locks;
    this.closer = closer;
    this.nodes = nodes;
    this.delete = delete;
  }

  static <V> StoreFixture<V> caffeine(CacheStore<String, V> store, Locks<String> locks) {
    return new StoreFixture<>(StoreKind.CAFFEINE, store, locks, () -> { }, () -> caffeine(store, locks), name -> {
      throw new UnsupportedOperationException("in-process leases run out on the ticker: advance it past the lease");
    });
  }

  static <V> StoreFixture<V> redis(RedisClient client, RedisKeys<String> keys, ValueCodec<V> codec, Ticker ticker,
      Duration retention) {
    return redis(StoreKind.REDIS, RedisStore.builder(client, keys, codec).ticker(ticker).retention(retention).build(),
        new RedisLocks<>(client, keys), () -> redis(client, keys, codec, ticker, retention), name -> {
          try (StatefulRedisConnection<String, String> c = client.connect()) {
            c.sync().del(name);
          }
        });
  }

  static <V> StoreFixture<V> redisCluster(RedisClusterClient client, RedisKeys<String> keys, ValueCodec<V> codec,
      Ticker ticker, Duration retention) {
    return redis(StoreKind.REDIS_CLUSTER,
        RedisStore.builder(client, keys, codec).ticker(ticker).retention(retention).build(),
        new RedisLocks<>(client, keys), () -> redisCluster(client, keys, codec, ticker, retention), name -> {
          try (StatefulRedisClusterConnection<String, String> c = client.connect()) {
            c.sync().del(name);
          }
        });
  }

  private static <V> StoreFixture<V> redis(StoreKind kind, RedisStore<String, V> store, RedisLocks<String> locks,
      Supplier<StoreFixture<V>> nodes, Consumer<String> delete) {
    return new StoreFixture<>(kind, store, locks, () -> {
      locks.close();
      store.close();
    }, nodes, delete);
  }

  /** Another node on the same data (see the class doc); close it too. */
  public StoreFixture<V> node() {
    return nodes.get();
  }

  /** The Redis key names of this fixture (Caffeine: none). */
  public @Nullable RedisKeys<String> redisKeys() {
    return store instanceof RedisStore<String, V> rs ? rs.keys() : null;
  }

  /**
   * Deletes the lease of {@code key} in Redis, on whichever server or cluster node holds it, as if it had run out
   * (a holder paused past its lease). In-process leases run out on the ticker instead: this throws there.
   */
  public void expireLease(String key) {
    RedisKeys<String> keys = redisKeys();
    delete.accept(keys == null ? key : keys.lock(key));
  }

  @Override
  public void close() {
    closer.run();
  }

  @Override
  public String toString() {
    return kind.name();
  }
}
