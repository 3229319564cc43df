package stampede.strategies;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import stampede.core.Counters;
import stampede.core.Entry;
import stampede.core.Event;
import stampede.core.LoadException;
import stampede.core.Loader;
import stampede.redis.RedisKeys;
import stampede.redis.RedisLocks;
import stampede.redis.RedisStore;
import stampede.redis.ValueCodec;
import stampede.testkit.Callers;
import stampede.testkit.EmbeddedRedis;
import stampede.testkit.ManualExecutor;
import stampede.testkit.ManualTicker;
import stampede.testkit.StoreFixture;
import stampede.testkit.StoreKind;

/**
 * The layered stack, CacheAside + StaleWhileRevalidate + staleIfError over SingleFlight(DistributedLock(StoreFill(
 * TtlJitter))), on 3 nodes, on Caffeine and a real Redis: each layer does its part and they add up (one load for a
 * cold key, jittered TTLs, stale served with one refresh per node meeting at the lock, stale-if-error on a failing
 * database).
 */
class LayeredStackTest {
  private static final Duration TTL = Duration.ofSeconds(10);
  private static final Duration SWR = Duration.ofSeconds(5);
  private static final Duration SIE = Duration.ofSeconds(30);
  private final ManualTicker ticker = new ManualTicker();
  private final ManualExecutor refresher = new ManualExecutor();
  private final Counters counters = new Counters();
  private final AtomicInteger loads = new AtomicInteger();
  private final Loader<String, String> slowDb = key -> {
    int n = loads.incrementAndGet();
    Thread.sleep(50);
    return key + "@v" + n;
  };

  private CacheAside<String, String> node(StoreFixture<String> f, double jitter) {
    return LayeredStack.builder(f.store, f.locks, TTL, refresher).metrics(counters).jitter(jitter).stale(SWR, SIE)
        .lock(Duration.ofSeconds(5), Duration.ofSeconds(5)).build();
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void threeNodesOneLoadThenStaleServedWithOneRefresh(StoreKind kind) throws Exception {
    List<StoreFixture<String>> fixtures = new ArrayList<>();
    try (StoreFixture<String> f = kind.open(ticker, ValueCodec.utf8(), SIE.plusSeconds(10))) {
      List<CacheAside<String, String>> nodes = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        StoreFixture<String> n = i == 0 ? f : f.node();
        fixtures.add(n);
        nodes.add(node(n, 0.2));
      }
      AtomicInteger next = new AtomicInteger();
      // Cold key: 3 nodes x 10 callers load in line, through single flight and the lock: one load.
      Callers.run(30, () -> nodes.get(next.getAndIncrement() % 3).get("k", slowDb))
          .forEach(r -> assertEquals("k@v1", r));
      assertEquals(1, loads.get());

      // Jitter 0.2: TTL within [8 s, 12 s] (the stack draws from ThreadLocalRandom; see jitteredTtlsDiffer).
      Entry<String> written = f.store.get("k");
      long ttl = written.expireTime() - written.writeTime();
      assertTrue(ttl >= Duration.ofSeconds(8).toNanos() && ttl <= Duration.ofSeconds(12).toNanos(), "ttl " + ttl);

      // Stale (by 1 to 5 s): every node serves the old value at once, each node queues at most one refresh.
      ticker.advance(Duration.ofSeconds(13));
      Callers.run(30, () -> nodes.get(next.getAndIncrement() % 3).get("k", slowDb))
          .forEach(r -> assertEquals("k@v1", r));
      assertEquals(1, loads.get(), "nobody waited for a load");
      assertTrue(refresher.pending() >= 1 && refresher.pending() <= 3,
          "one refresh per key per node: " + refresher.pending());
      refresher.runAll();
      assertEquals(2, loads.get(), "the nodes' refreshes met at the lock: one load");
      assertEquals("k@v2", nodes.get(2).get("k", slowDb));
      assertTrue(counters.get(Event.STALE_SERVED) >= 30);
    } finally {
      fixtures.stream().skip(1).forEach(StoreFixture::close);
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void jitteredTtlsDiffer(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      CacheAside<String, String> stack = node(f, 0.2);
      Set<Long> ttls = new HashSet<>();
      for (int i = 0; i < 20; i++) {
        stack.get("k" + i, key -> key);
        Entry<String> e = f.store.get("k" + i);
        long ttl = e.expireTime() - e.writeTime();
        assertTrue(ttl >= Duration.ofSeconds(8).toNanos() && ttl <= Duration.ofSeconds(12).toNanos(), "ttl " + ttl);
        ttls.add(ttl);
      }
      assertTrue(ttls.size() > 1, "20 keys loaded together do not share one expiry: " + ttls);
      CacheAside<String, String> noJitter = node(f, 0.0);
      noJitter.get("fixed", key -> key);
      Entry<String> e = f.store.get("fixed");
      assertEquals(TTL.toNanos(), e.expireTime() - e.writeTime(), "jitter 0: exactly the TTL");
      CacheAside<String, String> lowEnd = LayeredStack.builder(f.store, f.locks, TTL, refresher).jitter(0.2)
          .random(() -> 0.0).ticker(ticker).build();
      lowEnd.get("low", key -> key);
      e = f.store.get("low");
      assertEquals(Duration.ofSeconds(8).toNanos(), e.expireTime() - e.writeTime(), "an injected draw of 0: TTL x 0.8");
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aFailingDatabaseDegradesToStaleWithinStaleIfErrorThenFails(StoreKind kind) throws Exception {
    try (StoreFixture<String> f = kind.open(ticker, ValueCodec.utf8(), SIE.plusSeconds(10))) {
      CacheAside<String, String> stack = node(f, 0.0); // no jitter: exactly TTL
      assertEquals("k@v1", stack.get("k", slowDb));
      IllegalStateException dbDown = new IllegalStateException("db down");
      Loader<String, String> down = key -> {
        throw dbDown;
      };
      ticker.advance(TTL.plus(SWR).plusSeconds(1)); // past stale-while-revalidate: load in line, it fails
      assertEquals("k@v1", stack.get("k", down), "stale-if-error serves the old value");
      assertEquals(0, refresher.pending());
      ticker.advance(SIE);
      LoadException e = assertThrows(LoadException.class, () -> stack.get("k", down), "beyond stale-if-error");
      assertSame(dbDown, e.getCause());
      assertEquals("k@v1", f.store.get("k").value(), "the error was not cached");
    }
  }

  /**
   * The stack served a value an hour stale through the lock's old SERVE_STALE_OR_LOAD fallback, although its stale
   * bounds were 1 s and 0 s. A lock not had in time now loads without caching (or fails, and stale-if-error answers
   * within its own bound only): no value older than the bounds, whatever the lock does.
   */
  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aValueOlderThanTheStaleBoundsIsNeverServedEvenWithoutTheLock(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker, ValueCodec.utf8(), Duration.ofHours(2))) {
      CacheAside<String, String> stack = LayeredStack.builder(f.store, f.locks, TTL, refresher).metrics(counters)
          .jitter(0).stale(Duration.ofSeconds(1), Duration.ZERO).lock(Duration.ofSeconds(1), Duration.ofMillis(100))
          .build();
      long now = ticker.read();
      f.store.put("k", new Entry<>("old", now - Duration.ofHours(1).plus(TTL).toNanos(),
          now - Duration.ofHours(1).toNanos(), 0, 0)); // an hour stale, kept by the 2 h retention
      assertTrue(f.locks.tryAcquire("k", "other", 600_000) > 0, "another node holds the lock past maxWait");
      assertEquals("k@v1", stack.get("k", slowDb), "loaded without the lock, not the hour-old value");
      assertEquals(1, counters.get(Event.LOCK_FALLBACK));
      LoadException e = assertThrows(LoadException.class, () -> stack.get("k", key -> {
        throw new IllegalStateException("db down");
      }), "stale-if-error 0: the error, not the hour-old value");
      assertEquals("db down", e.getCause().getMessage());
      assertEquals(0, counters.get(Event.STALE_SERVED));
    }
  }

  /**
   * Redis down: the stack made one load per in-process flight and cached nothing (every read a miss, every lease an
   * error, the lock's fallback loading without caching). Its store guard keeps entries and leases in process: 160
   * calls of a key cached for 5 minutes, 8 threads at a time, cost one load.
   */
  @Test
  void redisDownCostsOneLoadPerKeyPerProcess() throws Exception {
    try (EmbeddedRedis redis = EmbeddedRedis.start()) {
      RedisClient client = RedisStore.client(redis.uri(), Duration.ofMillis(500));
      RedisKeys<String> keys = RedisKeys.strings("down:");
      try (RedisStore<String, String> store = RedisStore.builder(client, keys, ValueCodec.utf8()).ticker(ticker)
               .build();
           RedisLocks<String> locks = new RedisLocks<>(client, keys)) {
        CacheAside<String, String> stack = LayeredStack.builder(store, locks, Duration.ofMinutes(5), refresher)
            .metrics(counters).build();
        redis.stop();
        List<Object> results = Callers.run(8, () -> {
          String value = null;
          for (int i = 0; i < 20; i++) {
            value = stack.get("k", slowDb);
          }
          return value;
        });
        results.forEach(r -> assertEquals("k@v1", r));
        assertEquals(1, loads.get(), "one load for 160 calls (" + counters + ")");
      } finally {
        client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
      }
    }
  }

  /**
   * Redis slow (CLIENT PAUSE, 1 s client timeout): one get of a cold key took three timeouts in a row (read, the
   * single flight's double-check, the lock), 3 s. The guard opens on the first: one timeout; the next call, none.
   */
  @Test
  void aSlowRedisCostsOneTimeoutNotOnePerCommand() throws Exception {
    try (EmbeddedRedis redis = EmbeddedRedis.start()) {
      RedisClient client = RedisStore.client(redis.uri(), Duration.ofSeconds(1));
      RedisKeys<String> keys = RedisKeys.strings("slow:");
      try (RedisStore<String, String> store = RedisStore.builder(client, keys, ValueCodec.utf8()).ticker(ticker)
               .build();
           RedisLocks<String> locks = new RedisLocks<>(client, keys);
           StatefulRedisConnection<String, String> admin = client.connect()) {
        CacheAside<String, String> stack = LayeredStack.builder(store, locks, Duration.ofMinutes(5), refresher)
            .metrics(counters).build();
        assertEquals("warm@v1", stack.get("warm", slowDb), "connections and the subscription are up");
        admin.sync().clientPause(5_000);
        long start = System.nanoTime();
        assertEquals("k@v2", stack.get("k", slowDb));
        long firstMillis = (System.nanoTime() - start) / 1_000_000;
        start = System.nanoTime();
        assertEquals("j@v3", stack.get("j", slowDb));
        long secondMillis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(firstMillis < 2_500, "one 1 s timeout, not three: " + firstMillis + " ms");
        assertTrue(secondMillis < 900, "no timeout at all once the guard is open: " + secondMillis + " ms");
        assertEquals("k@v2", stack.get("k", slowDb), "kept in process");
      } finally {
        client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
      }
    }
  }
}
