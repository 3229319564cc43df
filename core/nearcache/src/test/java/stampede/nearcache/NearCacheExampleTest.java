package stampede.nearcache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.RedisClient;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;
import stampede.redis.RedisKeys;
import stampede.redis.RedisLocks;
import stampede.redis.RedisStore;
import stampede.redis.ValueCodec;
import stampede.strategies.CacheAside;
import stampede.strategies.LayeredStack;
import stampede.testkit.SharedRedis;

/** The example of docs/near-cache.md (region {@code near-cache}, kept equal by DocSnippetsTest) runs, hits L1. */
class NearCacheExampleTest {
  @Test
  void theDocsExampleRunsAndHitsL1() throws Exception {
    String redisUri = SharedRedis.server().uri();
    ExecutorService refresher = Executors.newFixedThreadPool(2);
    // docs:begin near-cache
    RedisClient client = RedisStore.client(redisUri, Duration.ofSeconds(1));
    RedisKeys<String> keys = RedisKeys.strings("app:");
    RedisStore<String, String> redis = RedisStore.builder(client, keys, ValueCodec.utf8()).build();
    NearCache<String, String> store = NearCache.builder(redis, client)
        .maxAge(Duration.ofSeconds(1))      // the staleness bound across nodes
        .admitAfter(3, Duration.ofSeconds(1)) // only keys read 3+ times a second take L1 memory
        .build();
    CacheAside<String, String> cache = LayeredStack.builder(store, new RedisLocks<>(client, keys),
        Duration.ofMinutes(1), refresher).build();
    String value = cache.get("user:42", key -> "loaded " + key); // your database call
    double hitRatio = store.stats().hitRatio();
    // docs:end near-cache
    try {
      for (int i = 0; i < 5; i++) {
        value = cache.get("user:42", key -> "loaded " + key);
      }
      hitRatio = store.stats().hitRatio();
      assertEquals("loaded user:42", value);
      assertTrue(hitRatio > 0, store.stats().toString());
      store.close();
      redis.close();
    } finally {
      refresher.shutdownNow();
      client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
    }
  }
}
