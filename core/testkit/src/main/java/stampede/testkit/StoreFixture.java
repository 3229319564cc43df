package stampede.testkit;

import io.lettuce.core.RedisClient;
import java.time.Duration;
import java.util.function.Supplier;
import stampede.core.CacheStore;
import stampede.core.Locks;
import stampede.core.Ticker;
import stampede.redis.RedisKeys;
import stampede.redis.RedisLocks;
import stampede.redis.RedisStore;
import stampede.redis.ValueCodec;

/**
 * A store under test, its lock service, and a way to open another "node" on the same data: for Redis a new
 * {@link RedisStore} and {@link RedisLocks} (their own connections) on the same prefix; for Caffeine, in one
 * process, the same store and locks (an in-process cache is not shared across real nodes).
 */
public final class StoreFixture<V> implements AutoCloseable {
  public final StoreKind kind;
  public final CacheStore<String, V> store;
  public final Locks<String> locks;
  private final Runnable closer;
  private final Supplier<StoreFixture<V>> nodes;

  private StoreFixture(StoreKind kind, CacheStore<String, V> store, Locks<String> locks, Runnable closer,
      Supplier<StoreFixture<V>> nodes) {
    this.kind = kind;
    this.store = store;
    this.locks = locks;
    this.closer = closer;
    this.nodes = nodes;
  }

  static <V> StoreFixture<V> caffeine(CacheStore<String, V> store, Locks<String> locks) {
    return new StoreFixture<>(StoreKind.CAFFEINE, store, locks, () -> { }, () -> caffeine(store, locks));
  }

  static <V> StoreFixture<V> redis(RedisClient client, RedisKeys<String> keys, ValueCodec<V> codec, Ticker ticker,
      Duration retention) {
    RedisStore<String, V> store = RedisStore.builder(client, keys, codec).ticker(ticker).retention(retention).build();
    RedisLocks<String> locks = new RedisLocks<>(client, keys);
    return new StoreFixture<>(StoreKind.REDIS, store, locks, () -> {
      locks.close();
      store.close();
    }, () -> redis(client, keys, codec, ticker, retention));
  }

  /** Another node on the same data (see the class doc); close it too. */
  public StoreFixture<V> node() {
    return nodes.get();
  }

  /** The Redis key names of this fixture (Caffeine: none). */
  public RedisKeys<String> redisKeys() {
    return store instanceof RedisStore<String, V> rs ? rs.keys() : null;
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
