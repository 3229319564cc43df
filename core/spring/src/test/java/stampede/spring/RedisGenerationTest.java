package stampede.spring;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import stampede.testkit.SharedRedis;

class RedisGenerationTest {

  @Test
  void aClearOnOneNodeIsSeenByTheNextReadOnAnother() {
    String prefix = "gen" + System.nanoTime() + ":";
    try (RedisGeneration a = new RedisGeneration(SharedRedis.client(), prefix, Duration.ZERO);
        RedisGeneration b = new RedisGeneration(SharedRedis.client(), prefix, Duration.ZERO);
        RedisGeneration lazy = new RedisGeneration(SharedRedis.client(), prefix, Duration.ofHours(1))) {
      assertEquals(0, b.current());
      assertEquals(0, lazy.current());
      assertEquals(1, a.next());
      assertEquals(1, b.current(), "recheck 0: at once");
      assertEquals(0, lazy.current(), "recheck 1 h: the generation read within the hour");
    }
  }

  /** Before the write-back, a lost counter read as generation 0 again (measured: 0, not 2). */
  @Test
  void aLostCounterIsWrittenBackFromTheLastGenerationRead() {
    String prefix = "gen" + System.nanoTime() + ":";
    try (RedisGeneration a = new RedisGeneration(SharedRedis.client(), prefix, Duration.ZERO);
        RedisGeneration b = new RedisGeneration(SharedRedis.client(), prefix, Duration.ZERO);
        StatefulRedisConnection<String, String> redis = SharedRedis.client().connect()) {
      a.next();
      assertEquals(2, a.next());
      redis.sync().del(a.name()); // lost: an eviction, a FLUSHALL, a restart
      assertEquals(2, a.current(), "not back to 0");
      assertEquals("2", redis.sync().get(a.name()));
      assertEquals(2, b.current());
      assertEquals(3, b.next());
    }
  }
}
