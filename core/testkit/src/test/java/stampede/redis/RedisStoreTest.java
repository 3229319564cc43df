package stampede.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import stampede.core.Counters;
import stampede.core.CorruptEntryException;
import stampede.core.Entry;
import stampede.core.Event;
import stampede.core.StoreException;
import stampede.testkit.EmbeddedRedis;
import stampede.testkit.ManualTicker;
import stampede.testkit.SharedRedis;
import stampede.testkit.StoreFixture;
import stampede.testkit.StoreKind;

/** Redis-only behaviour: corrupt values are reported, not returned; an outage is a clear, fast error. */
class RedisStoreTest {
  private final ManualTicker ticker = new ManualTicker();

  @Test
  void corruptValuesAreReportedNeverReturned() {
    try (StoreFixture<String> f = StoreKind.REDIS.open(ticker);
         StatefulRedisConnection<String, String> raw = SharedRedis.client().connect()) {
      RedisKeys<String> keys = f.redisKeys();
      raw.sync().set(keys.entry("string"), "not a hash");
      CorruptEntryException notHash = assertThrows(CorruptEntryException.class, () -> f.store.get("string"));
      assertTrue(notHash.getMessage().contains("not a hash"), notHash.getMessage());

      raw.sync().hset(keys.entry("missing"), "v", "x");
      assertThrows(CorruptEntryException.class, () -> f.store.get("missing"));

      raw.sync().hset(keys.entry("nan"), java.util.Map.of("v", "x", "w", "1", "e", "oops", "d", "0", "f", "0"));
      assertThrows(CorruptEntryException.class, () -> f.store.get("nan"));

      // A read that counts a corrupt entry as a miss, and a put that overwrites it.
      Counters counters = new Counters();
      assertNull(f.store.getOrMiss("string", counters));
      assertEquals(1, counters.get(Event.STORE_ERROR));
      long now = ticker.read();
      assertTrue(f.store.put("string", new Entry<>("fixed", now, now + 1_000_000_000L, 0, 0)));
      assertEquals("fixed", f.store.get("string").value());
    }
  }

  @Test
  void invalidUtf8IsCorruptNotGarbled() {
    try (StoreFixture<String> f = StoreKind.REDIS.open(ticker)) {
      RedisStore<String, byte[]> bytes = RedisStore.builder(SharedRedis.client(), f.redisKeys(), new ValueCodec<byte[]>() {
        @Override
        public byte[] encode(byte[] value) {
          return value;
        }

        @Override
        public byte[] decode(byte[] b) {
          return b;
        }
      }).ticker(ticker).build();
      long now = ticker.read();
      bytes.put("k", new Entry<>(new byte[] {(byte) 0xC3, (byte) 0x28}, now, now + 1_000_000_000L, 0, 0));
      bytes.close();
      assertThrows(CorruptEntryException.class, () -> f.store.get("k"));
    }
  }

  @Test
  void aStoppedServerGivesAFastStoreExceptionAndRecovers() {
    try (EmbeddedRedis redis = EmbeddedRedis.start()) {
      RedisClient client = RedisStore.client(redis.uri(), Duration.ofMillis(500));
      try (RedisStore<String, String> store =
               RedisStore.builder(client, RedisKeys.strings("x:"), ValueCodec.utf8()).ticker(ticker).build();
           RedisLocks<String> locks = new RedisLocks<>(client, RedisKeys.strings("x:"))) {
        long now = ticker.read();
        store.put("k", new Entry<>("v", now, now + 1_000_000_000L, 0, 0));
        redis.stop();
        long start = System.nanoTime();
        assertThrows(StoreException.class, () -> store.get("k"));
        assertThrows(StoreException.class, () -> locks.tryAcquire("k", "me", 1000));
        long tookMillis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(tookMillis < 3_000, "failed fast: " + tookMillis + " ms");
        redis.restart();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        Entry<String> after = null;
        while (System.nanoTime() < deadline) {
          try {
            after = store.get("k");
            break;
          } catch (StoreException reconnecting) {
            Thread.sleep(100);
          }
        }
        assertNull(after, "reconnected to an empty (restarted) server");
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      } finally {
        client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
      }
    }
  }
}
