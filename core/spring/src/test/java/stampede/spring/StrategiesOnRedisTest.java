package stampede.spring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.springframework.cache.Cache;
import stampede.testkit.Callers;
import stampede.testkit.SharedRedis;

/**
 * Each strategy a {@link CacheSpec} can name, built by the manager on Redis: two managers (two nodes) x 20 threads
 * call {@code get(key, Callable)} on one cold key, the loader parking 200 ms. The two that hold a Redis lease load
 * once across both nodes; single flight once per node.
 */
class StrategiesOnRedisTest {

  @ParameterizedTest
  @EnumSource(CacheSpec.Strategy.class)
  void loadsPerKeyAcrossTwoNodes(CacheSpec.Strategy strategy) throws InterruptedException {
    String prefix = "s" + System.nanoTime() + ":";
    CacheSpec spec = new CacheSpec().setStrategy(strategy).setRedisUri(SharedRedis.server().uri())
        .setTtl(Duration.ofMinutes(1)).setRedisTimeout(Duration.ofSeconds(2));
    try (StampedeCacheManager a = StampedeCacheManager.builder().keyPrefix(prefix).cache("c", spec).build();
        StampedeCacheManager b = StampedeCacheManager.builder().keyPrefix(prefix).cache("c", spec).build()) {
      Cache[] nodes = {a.getCache("c"), b.getCache("c")};
      AtomicInteger loads = new AtomicInteger();
      List<Object> got = Callers.race(40, i -> 0, i -> nodes[i % 2].get("cold", () -> {
        loads.incrementAndGet();
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200)); // the database
        return "value";
      }), Duration.ofSeconds(60), strategy.name());
      got.forEach(v -> assertEquals("value", v, strategy + ": a caller got " + v));
      System.out.printf("%s: 2 nodes x 20 callers on a cold key -> %d loads%n", strategy, loads.get());
      if (strategy == CacheSpec.Strategy.SINGLE_FLIGHT) {
        assertTrue(loads.get() >= 1 && loads.get() <= 2, "one load per node at most: " + loads.get());
      } else {
        assertEquals(1, loads.get(), strategy + ": one load across both nodes");
      }
      assertEquals("value", nodes[1].get("cold").get(), "in Redis for both nodes");
    }
  }
}
