package stampede.examples;

import io.lettuce.core.RedisClient;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import stampede.core.LoadingStrategy;
import stampede.redis.RedisKeys;
import stampede.redis.RedisLocks;
import stampede.redis.RedisStore;
import stampede.strategies.LayeredStack;

/** One Redis shared by every node of a service: the layered stack (the production shape for a hot, shared key). */
public final class RedisExample {
  private RedisExample() { }

  /** One node of the service; every node runs the same code against the same Redis. */
  static Example node() throws Exception {
    // docs:begin redis
    String redisUri = System.getProperty("redis.uri", "redis://127.0.0.1:6379");
    RedisClient client = RedisStore.client(redisUri, Duration.ofSeconds(1)); // fails fast; shut it down at the end
    RedisKeys<String> keys = RedisKeys.strings("products:");                 // entries, leases, signals: one prefix
    RedisStore<String, Product> store = RedisStore.builder(client, keys, new ProductCodec())
        .retention(Duration.ofMinutes(1))                                   // kept past expiry: >= the stale bounds
        .build();
    RedisLocks<String> locks = new RedisLocks<>(client, keys);              // leases with fencing tokens
    ExecutorService executor = Executors.newFixedThreadPool(4);             // background refreshes
    LoadingStrategy<String, Product> products = LayeredStack.builder(store, locks, Duration.ofMinutes(1), executor)
        .build(); // single flight, then the lease; jitter; stale-while-revalidate and -if-error; a StoreGuard

    ProductDatabase database = new ProductDatabase();
    Product p = products.get("sku-42", database::load); // every node and thread asking at once: one load
    // docs:end redis
    return new Example(products, database, () -> {
      // docs:begin redis-close
      executor.shutdownNow();
      locks.close();
      store.close();
      client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
      // docs:end redis-close
    });
  }
}
