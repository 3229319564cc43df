package stampede.examples;

import io.lettuce.core.RedisClient;
import java.time.Duration;
import stampede.core.Counters;
import stampede.core.LoadingStrategy;
import stampede.core.StoreFill;
import stampede.core.Ttl;
import stampede.redis.RedisKeys;
import stampede.redis.RedisLocks;
import stampede.redis.RedisStore;
import stampede.strategies.CacheAside;
import stampede.strategies.DistributedLock;
import stampede.strategies.StoreGuard;
import stampede.strategies.TwoLevelCoalescing;

/**
 * A StoreGuard in front of Redis, built by hand (the layered stack builds one for you): while Redis is down, entries
 * and leases live in this process, so its outage costs one load per key per process, not one per caller.
 */
public final class GuardedRedisExample {
  private GuardedRedisExample() { }

  /** What {@link ExamplesTest} reads: the cache, and the guard to see it open. */
  record Guarded(Example example, StoreGuard<String, Product> guard, Counters metrics) { }

  static Guarded node() throws Exception {
    // docs:begin guarded
    String redisUri = System.getProperty("redis.uri", "redis://127.0.0.1:6379");
    RedisClient client = RedisStore.client(redisUri, Duration.ofSeconds(1));
    RedisKeys<String> keys = RedisKeys.strings("products:");
    RedisStore<String, Product> redisStore = RedisStore.builder(client, keys, new ProductCodec()).build();
    RedisLocks<String> redisLocks = new RedisLocks<>(client, keys);
    Counters metrics = new Counters();
    StoreGuard<String, Product> guard = StoreGuard.builder(redisStore, redisLocks) // both a store and its locks
        .metrics(metrics)
        .openFor(Duration.ofSeconds(1))                                            // probe Redis at least this often
        .build();
    StoreFill<String, Product> load = new StoreFill<>(guard, metrics, Ttl.fixed(Duration.ofMinutes(1)));
    DistributedLock<String, Product> lock = DistributedLock.builder(guard, guard, load).metrics(metrics).build();
    LoadingStrategy<String, Product> products = CacheAside.builder(guard, new TwoLevelCoalescing<>(guard, lock, metrics))
        .metrics(metrics)
        .build();

    ProductDatabase database = new ProductDatabase();
    Product p = products.get("sku-42", database::load);
    // docs:end guarded
    return new Guarded(new Example(products, database, () -> {
      redisLocks.close();
      redisStore.close();
      client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
    }), guard, metrics);
  }
}
