package stampede.spring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.springframework.cache.Cache;
import stampede.core.StoreException;
import stampede.testkit.EmbeddedRedis;

/**
 * Redis stops under a cache: what each Spring operation does (docs/spring.md). A read is a miss, a load still returns
 * the loaded value, and a write, an eviction or a clear throws, so Spring's {@code CacheErrorHandler} sees it: none
 * may pass for done. After Redis is back, the cache works again.
 */
class RedisDownTest {

  @Test
  void eachOperationWhileRedisIsDownAndAfter() {
    try (EmbeddedRedis redis = EmbeddedRedis.start();
        StampedeCacheManager manager = StampedeCacheManager.builder()
            .cache("books", new CacheSpec().setRedisUri(redis.uri()).setTtl(Duration.ofMinutes(1))
                .setRedisTimeout(Duration.ofSeconds(2)))
            .build()) {
      Cache books = manager.getCache("books");
      books.put("k", "v");
      assertEquals("v", books.get("k").get());
      books.clear();
      assertNull(books.get("k"), "cleared");

      redis.stop();
      AtomicInteger loads = new AtomicInteger();
      assertNull(books.get("k"), "a read is a miss");
      assertEquals("loaded", books.get("k2", () -> {
        loads.incrementAndGet();
        return "loaded";
      }), "a load returns its value");
      assertEquals(1, loads.get());
      assertThrows(StoreException.class, () -> books.put("k", "v"));
      assertThrows(StoreException.class, () -> books.evict("k"));
      StoreException clear = assertThrows(StoreException.class, books::clear);
      assertTrue(clear.getMessage().contains("the cache was not cleared"), clear.getMessage());

      redis.restart();
      // Each connection reconnects on its own, at most RedisStore.MAX_RECONNECT_DELAY apart: wait for both the
      // store's and the generation's.
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (true) {
        try {
          books.clear();
          books.put("k", "back");
          break;
        } catch (StoreException reconnecting) {
          assertTrue(System.nanoTime() < deadline, "Redis did not come back: " + reconnecting);
          LockSupport.parkNanos(50_000_000);
        }
      }
      assertEquals("back", books.get("k").get());
      books.clear();
      assertNull(books.get("k"), "cleared again, after the counter was lost with the restart");
    }
  }
}
