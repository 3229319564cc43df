package stampede.strategies;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.RedisClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;
import stampede.core.Counters;
import stampede.core.Loader;
import stampede.core.StoreFill;
import stampede.core.Ticker;
import stampede.core.Ttl;
import stampede.redis.RedisKeys;
import stampede.redis.RedisLocks;
import stampede.redis.RedisStore;
import stampede.redis.ValueCodec;
import stampede.testkit.EmbeddedRedis;

/**
 * Issue 18, item 12: the bench's Redis-outage scenario on an unguarded DistributedLock, small: callers on a hot key
 * and spread keys while the embedded Redis stops and starts again on the same port; every failed call's exception
 * class and message is recorded. The README promises none: with Redis down, loads fall back to the database.
 */
class DistributedLockRedisOutageTest {

  @Test
  void noCallerSeesAnErrorWhileRedisStopsAndStarts() throws Exception {
    Map<String, LongAdder> errors = new ConcurrentHashMap<>();
    LongAdder calls = new LongAdder();
    AtomicInteger loads = new AtomicInteger();
    Loader<String, String> db = key -> {
      Thread.sleep(50);
      return key + "@v" + loads.incrementAndGet();
    };
    ScheduledThreadPoolExecutor watchdog = new ScheduledThreadPoolExecutor(1);
    try (EmbeddedRedis redis = EmbeddedRedis.start()) {
      RedisClient client = RedisStore.client(redis.uri(), Duration.ofSeconds(2));
      RedisKeys<String> keys = RedisKeys.strings("outage:");
      Counters counters = new Counters();
      try (RedisStore<String, String> store = RedisStore.builder(client, keys, ValueCodec.utf8())
               .ticker(Ticker.wall()).build();
           RedisLocks<String> locks = new RedisLocks<>(client, keys)) {
        Duration ttl = Duration.ofSeconds(1);
        DistributedLock<String, String> lock = DistributedLock.builder(store, locks,
            new StoreFill<>(store, counters, Ttl.fixed(ttl))).metrics(counters).tokens(new Random(1))
            .watchdog(watchdog).lease(Duration.ofSeconds(2)).maxWait(Duration.ofSeconds(2)).build();
        CacheAside<String, String> path = CacheAside.builder(store, lock).metrics(counters)
            .staleIfError(Duration.ofSeconds(10)).build();
        AtomicBoolean running = new AtomicBoolean(true);
        List<Thread> callers = new ArrayList<>();
        for (int t = 0; t < 24; t++) {
          int id = t;
          Thread caller = new Thread(() -> {
            for (long i = 0; running.get(); i++) {
              String key = (i + id) % 2 == 0 ? "hot" : "s" + ThreadLocalRandom.current().nextInt(50);
              calls.increment();
              try {
                path.get(key, db);
              } catch (RuntimeException e) {
                errors.computeIfAbsent(e.getClass().getSimpleName() + ": " + e.getMessage()
                    .replaceAll("'s\\d+'", "'s<n>'"), k -> new LongAdder()).increment();
              }
              try {
                Thread.sleep(5);
              } catch (InterruptedException e) {
                return;
              }
            }
          }, "caller-" + t);
          caller.setDaemon(true);
          callers.add(caller);
          caller.start();
        }
        for (int round = 0; round < 5; round++) {
          Thread.sleep(1_000);
          redis.stop();
          Thread.sleep(1_500);
          redis.restart();
        }
        Thread.sleep(2_000);
        running.set(false);
        for (Thread caller : callers) {
          caller.join(10_000);
        }
        Map<String, Long> seen = new TreeMap<>();
        errors.forEach((k, v) -> seen.put(k, v.sum()));
        System.out.println("item 12: " + calls.sum() + " calls, " + loads.get() + " loads, errors " + seen + ", "
            + counters);
        assertEquals(Map.of(), seen, "errors seen by callers of " + calls.sum() + " calls");
      } finally {
        client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
      }
    } finally {
      watchdog.shutdownNow();
      assertTrue(watchdog.awaitTermination(5, TimeUnit.SECONDS));
    }
  }
}
