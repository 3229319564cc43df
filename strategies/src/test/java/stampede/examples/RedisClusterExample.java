package stampede.examples;

import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.RedisClusterClient;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import stampede.core.LoadingStrategy;
import stampede.redis.RedisKeys;
import stampede.redis.RedisLocks;
import stampede.redis.RedisStore;
import stampede.strategies.LayeredStack;

/** The same layered stack on a Redis Cluster: only the client changes. */
public final class RedisClusterExample {
  private RedisClusterExample() { }

  static Example node() throws Exception {
    // docs:begin cluster
    String seedList = System.getProperty("redis.cluster", "redis://10.0.0.1:6379,redis://10.0.0.2:6379"); // any nodes
    List<RedisURI> seeds = Arrays.stream(seedList.split(",")).map(RedisURI::create).toList();
    RedisClusterClient client = RedisStore.clusterClient(seeds, Duration.ofSeconds(1));
    RedisKeys<String> keys = RedisKeys.strings("products:");
    RedisStore<String, Product> store = RedisStore.builder(client, keys, new ProductCodec()).build();
    RedisLocks<String> locks = new RedisLocks<>(client, keys); // same keys: a key's entry and lease share a slot
    ExecutorService executor = Executors.newFixedThreadPool(4);
    LoadingStrategy<String, Product> products = LayeredStack.builder(store, locks, Duration.ofMinutes(1), executor)
        .build();
    // docs:end cluster
    return new Example(products, new ProductDatabase(), () -> {
      executor.shutdownNow();
      locks.close();
      store.close();
      client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
    });
  }
}
