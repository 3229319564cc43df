package stampede.nearcache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import stampede.core.Entry;
import stampede.core.StoreException;
import stampede.core.Ticker;
import stampede.redis.RedisKeys;
import stampede.redis.RedisStore;
import stampede.redis.ValueCodec;
import stampede.testkit.EmbeddedRedis;
import stampede.testkit.ManualTicker;
import stampede.testkit.SharedRedis;

/**
 * Lost invalidations: when the tracking connection is killed or Redis restarts, node A's L1 is flushed, so A never
 * serves the value it held once B's write could no longer reach it. L1's clock is manual and never moves: without the
 * flush A would serve the old value forever (maxAge cannot hide it).
 */
class NearCacheDisconnectTest {
  private final ManualTicker l1Clock = new ManualTicker();
  private final Ticker wall = Ticker.wall();

  @Test
  void aKilledTrackingConnectionFlushesL1AndTrackingResumes() throws Exception {
    RedisClient client = SharedRedis.client();
    RedisKeys<String> keys = RedisKeys.strings("disc" + System.nanoTime() + ":");
    try (RedisStore<String, String> storeA = RedisStore.builder(client, keys, ValueCodec.utf8()).build();
        RedisStore<String, String> b = RedisStore.builder(client, keys, ValueCodec.utf8()).build();
        NearCache<String, String> a = NearCache.builder(storeA, client).clock(l1Clock).build();
        StatefulRedisConnection<String, String> admin = client.connect()) {
      b.put("k", entry("old"));
      assertEquals("old", a.get("k").value());
      assertEquals("old", a.get("k").value());
      long flushes = a.stats().flushes();
      for (String line : admin.sync().clientList().split("\n")) { // only this test's near cache is open now
        if (line.contains("name=" + NearCache.CLIENT_NAME)) {
          admin.sync().clientKill(io.lettuce.core.KillArgs.Builder.id(Long.parseLong(line.split(" ")[0].substring(3))));
        }
      }
      b.put("k", entry("new")); // A's tracking connection is gone: this invalidation is lost
      await(() -> "new".equals(a.get("k").value()), "A serves 'new' after its tracking connection was killed");
      assertTrue(a.stats().flushes() > flushes, a.stats().toString());
      await(a::isTracking, "tracking resumes on the new connection");
      assertEquals("new", a.get("k").value());
      b.put("k", entry("newer"));
      await(() -> "newer".equals(a.get("k").value()), "invalidations reach A again");
    }
  }

  @Test
  void aRedisRestartFlushesL1AndReadsFailWhileItIsDown() throws Exception {
    try (EmbeddedRedis redis = EmbeddedRedis.start()) {
      RedisClient client = RedisStore.client(redis.uri(), Duration.ofSeconds(1));
      try {
        RedisKeys<String> keys = RedisKeys.strings("restart:");
        try (RedisStore<String, String> storeA = RedisStore.builder(client, keys, ValueCodec.utf8()).build();
            RedisStore<String, String> b = RedisStore.builder(client, keys, ValueCodec.utf8()).build();
            NearCache<String, String> a = NearCache.builder(storeA, client).clock(l1Clock).build()) {
          b.put("k", entry("old"));
          assertEquals("old", a.get("k").value());
          assertEquals("old", a.get("k").value());
          redis.stop();
          await(() -> !a.isTracking(), "A sees its tracking connection drop");
          assertThrows(StoreException.class, () -> a.get("k"), "Redis down: the store's error, not L1's copy");
          redis.restart(); // empty
          await(() -> {
            try {
              return b.put("k", entry("new"));
            } catch (StoreException notYet) {
              return false;
            }
          }, "B writes once Redis is back");
          await(() -> {
            try {
              return "new".equals(a.get("k").value());
            } catch (StoreException notYet) {
              return false;
            }
          }, "A serves 'new' after the restart");
          await(a::isTracking, "tracking resumes");
          assertEquals("new", a.get("k").value());
          b.put("k", entry("newer"));
          await(() -> "newer".equals(a.get("k").value()), "invalidations reach A again");
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

  static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "not within 10 s: " + what);
      Thread.sleep(5);
    }
  }
}
