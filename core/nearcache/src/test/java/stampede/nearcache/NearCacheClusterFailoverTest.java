package stampede.nearcache;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.lettuce.core.cluster.RedisClusterClient;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import stampede.core.Entry;
import stampede.core.StoreException;
import stampede.core.Ticker;
import stampede.redis.RedisKeys;
import stampede.redis.RedisStore;
import stampede.redis.ValueCodec;
import stampede.testkit.EmbeddedRedisCluster;
import stampede.testkit.ManualTicker;

/**
 * A master failover under a near cache, on a cluster of this test's own: the master of the key is killed, its
 * replica takes over, and the near cache must neither serve the value it held (the invalidation of the write made
 * on the new master could not reach it before it tracks that master) nor stay off: it tracks the new master and
 * invalidations flow again. L1's clock is manual, so maxAge cannot hide a stale copy.
 */
class NearCacheClusterFailoverTest {
  private final Ticker wall = Ticker.wall();

  @Test
  void afterAFailoverTheNewMasterIsTrackedAndNoOldValueIsServed() throws Exception {
    try (EmbeddedRedisCluster redis = EmbeddedRedisCluster.start()) {
      RedisClusterClient client = RedisStore.clusterClient(redis.uris(), Duration.ofSeconds(1));
      try {
        RedisKeys<String> keys = RedisKeys.strings("fo:");
        try (RedisStore<String, String> storeA = RedisStore.builder(client, keys, ValueCodec.utf8()).build();
            RedisStore<String, String> b = RedisStore.builder(client, keys, ValueCodec.utf8()).build();
            NearCache<String, String> a = NearCache.builder(storeA, client).clock(new ManualTicker()).build()) {
          Settle.afterWrite(() -> b.put("k", entry("old")), a);
          assertEquals("old", a.get("k").value());
          assertEquals("old", a.get("k").value());
          redis.kill(redis.masterPortOf(keys.entry("k")));
          redis.awaitHealthy(Duration.ofSeconds(20));
          NearCacheDisconnectTest.await(() -> {
            try {
              return b.put("k", entry("new"));
            } catch (StoreException notYet) {
              return false;
            }
          }, "B writes on the new master");
          NearCacheDisconnectTest.await(() -> {
            try {
              return "new".equals(a.get("k").value());
            } catch (StoreException notYet) {
              return false;
            }
          }, "A serves 'new' after the failover");
          NearCacheDisconnectTest.await(a::isTracking, "A tracks the new master");
          assertEquals("new", a.get("k").value());
          b.put("k", entry("newer"));
          NearCacheDisconnectTest.await(() -> "newer".equals(a.get("k").value()),
              "invalidations from the new master reach A");
        }
      } finally {
        client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
      }
    }
  }

  private Entry<String> entry(String value) {
    long now = wall.read();
    return new Entry<>(value, now, now + 60_000_000_000L, 0, 0);
  }
}
