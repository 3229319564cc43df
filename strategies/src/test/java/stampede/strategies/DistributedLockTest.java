package stampede.strategies;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import stampede.core.CacheStore;
import stampede.core.Counters;
import stampede.core.EmbeddedRedis;
import stampede.core.Entry;
import stampede.core.Event;
import stampede.core.Fill;
import stampede.core.LoadException;
import stampede.core.Loader;
import stampede.core.Locks;
import stampede.core.ManualTicker;
import stampede.core.RedisStore;
import stampede.core.StoreFill;
import stampede.core.Ticker;
import stampede.core.Ttl;
import stampede.core.ValueCodec;
import stampede.core.testing.SharedRedis;
import stampede.core.testing.StoreFixture;
import stampede.core.testing.StoreKind;
import stampede.strategies.DistributedLock.Fallback;

/** The distributed lock on Caffeine + LocalLocks and on a real Redis, with several "nodes" per test. */
class DistributedLockTest {
  private static final Duration TTL = Duration.ofSeconds(10);
  private final ManualTicker ticker = new ManualTicker();
  private final Counters counters = new Counters();
  private final AtomicInteger loads = new AtomicInteger();
  private final ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1);
  private final ExecutorService pool = Executors.newCachedThreadPool();
  private final List<StoreFixture<String>> nodes = new ArrayList<>();

  {
    scheduler.setRemoveOnCancelPolicy(true);
  }

  /** A 200 ms "database" read. */
  private final Loader<String, String> slowDb = key -> {
    int n = loads.incrementAndGet();
    Thread.sleep(200);
    return key + "@v" + n;
  };

  @AfterEach
  void shutDown() throws InterruptedException {
    nodes.forEach(StoreFixture::close);
    pool.shutdownNow();
    scheduler.shutdownNow();
    assertTrue(scheduler.awaitTermination(5, TimeUnit.SECONDS), "no watchdog left running");
  }

  private DistributedLock<String, String> lock(StoreFixture<String> f, Ticker t, Duration lease, Duration maxWait,
      Fallback fallback) {
    return lock(f, new StoreFill<>(f.store, t, counters, Ttl.fixed(TTL)), t, lease, maxWait, fallback);
  }

  private DistributedLock<String, String> lock(StoreFixture<String> f, Fill<String, String> fill, Ticker t,
      Duration lease, Duration maxWait, Fallback fallback) {
    return new DistributedLock<>(f.store, f.locks, t, new Random(nodes.size() * 31L + 7), scheduler, counters,
        fill, lease, maxWait, fallback);
  }

  private StoreFixture<String> node(StoreFixture<String> f) {
    StoreFixture<String> n = f.node();
    nodes.add(n);
    return n;
  }

  private void expired(CacheStore<String, String> store, String key) {
    long now = ticker.read();
    store.put(key, new Entry<>("old", now, now + TTL.toNanos(), 0, 0));
    ticker.advance(TTL.plusSeconds(1));
  }

  private static void awaitCount(Counters c, Event e, long n) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (c.get(e) < n) {
      assertTrue(System.nanoTime() < deadline, "timed out waiting for " + n + " x " + e + ": " + c);
      Thread.sleep(1);
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void fourNodesOfSixteenCallersLoadOnce(StoreKind kind) throws Exception {
    try (StoreFixture<String> f = kind.open(ticker)) {
      expired(f.store, "hot");
      List<DistributedLock<String, String>> strategies = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        strategies.add(lock(node(f), ticker, Duration.ofSeconds(5), Duration.ofSeconds(5), Fallback.FAIL));
      }
      AtomicInteger next = new AtomicInteger();
      List<Object> results = Callers.run(64, () -> strategies.get(next.getAndIncrement() % 4).get("hot", slowDb));
      assertEquals(1, loads.get(), "one load for 4 nodes x 16 callers");
      results.forEach(r -> assertEquals("hot@v1", r));
      assertEquals(1, counters.get(Event.LOCK_ACQUIRED), counters.toString());
      assertEquals(64, counters.get(Event.HIT) + counters.get(Event.LOCK_ACQUIRED) + counters.get(Event.LOCK_WAITED));
      assertEquals(0, counters.get(Event.LOCK_FALLBACK));
      assertEquals("hot@v1", f.store.get("hot").value());
      assertTrue(f.locks.tryAcquire("hot", "probe", 1000) > 0, "the holder released the lock");
      assertEquals(0, scheduler.getQueue().size(), "the watchdog was cancelled");
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void waitersAreWokenByTheSignalNotThePoll(StoreKind kind) throws Exception {
    try (StoreFixture<String> f = kind.open(ticker)) {
      List<DistributedLock<String, String>> strategies = List.of(
          lock(node(f), ticker, Duration.ofSeconds(4), Duration.ofSeconds(5), Fallback.FAIL), // polls every 1 s
          lock(node(f), ticker, Duration.ofSeconds(4), Duration.ofSeconds(5), Fallback.FAIL));
      AtomicLong loadEnd = new AtomicLong();
      Loader<String, String> db = key -> {
        awaitCount(counters, Event.LOCK_WAITED, 15); // every other caller is waiting
        Thread.sleep(50);
        loadEnd.set(System.nanoTime());
        return "v";
      };
      AtomicInteger next = new AtomicInteger();
      List<Object> ends = Callers.run(16, () -> {
        strategies.get(next.getAndIncrement() % 2).get("k", db);
        return System.nanoTime();
      });
      for (Object end : ends) {
        long afterLoadMillis = ((Long) end - loadEnd.get()) / 1_000_000;
        assertTrue(afterLoadMillis < 500, "woken " + afterLoadMillis + " ms after the load (poll is 1 s)");
      }
      assertEquals(1, counters.get(Event.LOCK_ACQUIRED));
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aCrashedHoldersLeaseRunsOutThenAWaiterLoads(StoreKind kind) throws Exception {
    try (StoreFixture<String> f = kind.open(ticker)) {
      Duration lease = Duration.ofMillis(300);
      assertTrue(f.locks.tryAcquire("k", "crashed", lease.toMillis()) > 0); // and never released
      DistributedLock<String, String> strategy = lock(node(f), ticker, lease, Duration.ofSeconds(10), Fallback.FAIL);
      long start = System.nanoTime();
      CompletableFuture<String> caller = CompletableFuture.supplyAsync(() -> strategy.get("k", slowDb), pool);
      awaitCount(counters, Event.LOCK_WAITED, 1);
      if (kind == StoreKind.CAFFEINE) {
        Thread.sleep(400); // real time passes, ticker time does not: the lease still holds
        assertEquals(0, loads.get());
        ticker.advance(lease.multipliedBy(2));
      }
      assertEquals("k@v1", caller.get(10, TimeUnit.SECONDS));
      assertTrue(System.nanoTime() - start >= lease.toNanos() - TimeUnit.MILLISECONDS.toNanos(50), "waited");
      assertEquals(1, loads.get());
      assertEquals(1, counters.get(Event.LOCK_ACQUIRED));
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void theWatchdogKeepsTheLeaseWhileALongLoadRuns(StoreKind kind) throws Exception {
    Ticker real = Ticker.system(); // LocalLocks leases expire on the ticker: make it real time here
    try (StoreFixture<String> f = kind.open(real)) {
      Duration lease = Duration.ofMillis(300);
      DistributedLock<String, String> a = lock(node(f), real, lease, Duration.ofSeconds(10), Fallback.FAIL);
      DistributedLock<String, String> b = lock(node(f), real, lease, Duration.ofSeconds(10), Fallback.FAIL);
      Loader<String, String> oneSecond = key -> {
        loads.incrementAndGet();
        Thread.sleep(1000);
        return "v" + loads.get();
      };
      CompletableFuture<String> first = CompletableFuture.supplyAsync(() -> a.get("k", oneSecond), pool);
      awaitCount(counters, Event.LOAD_STARTED, 1);
      Thread.sleep(600); // two leases long
      assertEquals(0, f.locks.tryAcquire("k", "probe", 1000), "the lease was renewed");
      assertEquals("v1", b.get("k", oneSecond), "the second node waited for the first");
      assertEquals("v1", first.get(5, TimeUnit.SECONDS));
      assertEquals(1, loads.get());
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void anOldHoldersLateWriteIsFencedAndItsReleaseFreesNothing(StoreKind kind) throws Exception {
    try (StoreFixture<String> f = kind.open(ticker)) {
      Duration lease = Duration.ofSeconds(10);
      AtomicLong myFence = new AtomicLong();
      AtomicLong newerFence = new AtomicLong();
      StoreFill<String, String> storeFill = new StoreFill<>(f.store, ticker, counters, Ttl.fixed(TTL));
      Fill<String, String> fill = (key, seen, fence, loader) -> {
        myFence.set(fence);
        return storeFill.fill(key, seen, fence, loader);
      };
      DistributedLock<String, String> strategy = lock(node(f), fill, ticker, lease, Duration.ofSeconds(5),
          Fallback.FAIL);
      String value = strategy.get("k", key -> {
        loseLease(f, "k", lease); // a GC pause longer than the lease: someone else takes it and writes
        newerFence.set(f.locks.tryAcquire("k", "newer", lease.toMillis()));
        long now = ticker.read();
        f.store.put("k", new Entry<>("newer", now, now + TTL.toNanos(), 0, newerFence.get()));
        return "late";
      });
      assertEquals("late", value, "the old holder still returns what it loaded");
      assertTrue(newerFence.get() > myFence.get() && myFence.get() > 0, myFence + " < " + newerFence);
      assertEquals("newer", f.store.get("k").value(), "the late write with the older fence was refused");
      assertEquals(1, counters.get(Event.FENCED_WRITE));
      assertTrue(f.locks.release("k", "newer"), "the old holder did not release the newer holder's lease");
    }
  }

  private void loseLease(StoreFixture<String> f, String name, Duration lease) {
    if (f.kind == StoreKind.CAFFEINE) {
      ticker.advance(lease.multipliedBy(2));
      return;
    }
    try (StatefulRedisConnection<String, String> c = SharedRedis.client().connect()) {
      c.sync().del(f.prefix() + "lock:" + name); // as if the lease had expired
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void afterMaxWaitLoadWithoutCachingAndLeaveTheOthersLock(StoreKind kind) throws Exception {
    try (StoreFixture<String> f = kind.open(ticker)) {
      expired(f.store, "k");
      assertTrue(f.locks.tryAcquire("k", "other", 60_000) > 0);
      DistributedLock<String, String> strategy =
          lock(node(f), ticker, Duration.ofSeconds(1), Duration.ofMillis(200), Fallback.LOAD_WITHOUT_CACHING);
      long start = System.nanoTime();
      assertEquals("k@v1", strategy.get("k", slowDb));
      assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(200), "waited maxWait first");
      assertEquals("old", f.store.get("k").value(), "the value loaded without the lock is not written");
      assertEquals(1, counters.get(Event.LOCK_FALLBACK));
      assertEquals(1, counters.get(Event.LOCK_WAITED));
      assertTrue(f.locks.release("k", "other"), "a waiter never releases a lease it does not own");
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void afterMaxWaitServeStaleOrLoad(StoreKind kind) throws Exception {
    try (StoreFixture<String> f = kind.open(ticker)) {
      expired(f.store, "stale");
      f.locks.tryAcquire("stale", "other", 60_000);
      f.locks.tryAcquire("none", "other", 60_000);
      DistributedLock<String, String> strategy =
          lock(node(f), ticker, Duration.ofSeconds(1), Duration.ofMillis(100), Fallback.SERVE_STALE_OR_LOAD);
      assertEquals("old", strategy.get("stale", slowDb));
      assertEquals(0, loads.get());
      assertEquals(1, counters.get(Event.STALE_SERVED));
      assertEquals("none@v1", strategy.get("none", slowDb), "nothing stale: load");
      assertNull(f.store.get("none"), "and do not cache");
      assertEquals(2, counters.get(Event.LOCK_FALLBACK));
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void afterMaxWaitFail(StoreKind kind) throws Exception {
    try (StoreFixture<String> f = kind.open(ticker)) {
      f.locks.tryAcquire("k", "other", 60_000);
      DistributedLock<String, String> strategy =
          lock(node(f), ticker, Duration.ofSeconds(1), Duration.ofMillis(100), Fallback.FAIL);
      LoadException e = assertThrows(LoadException.class, () -> strategy.get("k", slowDb));
      assertTrue(e.getMessage().contains("no lock within PT0.1S (fallback FAIL)"), e.getMessage());
      assertEquals(0, loads.get());
      assertEquals(1, counters.get(Event.LOCK_FALLBACK));
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aLoaderErrorGoesToTheHolderIsNotCachedAndAWaiterLoadsNext(StoreKind kind) throws Exception {
    try (StoreFixture<String> f = kind.open(ticker)) {
      DistributedLock<String, String> a = lock(node(f), ticker, Duration.ofSeconds(4), Duration.ofSeconds(5),
          Fallback.FAIL);
      DistributedLock<String, String> b = lock(node(f), ticker, Duration.ofSeconds(4), Duration.ofSeconds(5),
          Fallback.FAIL);
      IllegalStateException dbDown = new IllegalStateException("db down");
      CountDownLatch bWaiting = new CountDownLatch(1);
      CompletableFuture<String> holder = CompletableFuture.supplyAsync(() -> a.get("k", key -> {
        loads.incrementAndGet();
        bWaiting.await(5, TimeUnit.SECONDS);
        Thread.sleep(50);
        throw dbDown;
      }), pool);
      awaitCount(counters, Event.LOCK_ACQUIRED, 1);
      CompletableFuture<String> waiter = CompletableFuture.supplyAsync(() -> b.get("k", slowDb), pool);
      awaitCount(counters, Event.LOCK_WAITED, 1);
      bWaiting.countDown();
      Exception e = assertThrows(Exception.class, () -> holder.get(5, TimeUnit.SECONDS));
      assertSame(dbDown, assertInstanceOf(LoadException.class, e.getCause()).getCause());
      assertEquals("k@v2", waiter.get(5, TimeUnit.SECONDS), "the waiter took the lock and loaded");
      assertEquals(2, loads.get());
      assertEquals(2, counters.get(Event.LOCK_ACQUIRED));
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void badInputIsRejected(StoreKind kind) throws Exception {
    try (StoreFixture<String> f = kind.open(ticker)) {
      DistributedLock<String, String> s = lock(f, ticker, Duration.ofSeconds(1), Duration.ofSeconds(1), Fallback.FAIL);
      assertThrows(NullPointerException.class, () -> s.get(null, slowDb));
      assertThrows(NullPointerException.class, () -> s.get("k", null));
      assertThrows(IllegalArgumentException.class,
          () -> lock(f, ticker, Duration.ofMillis(2), Duration.ofSeconds(1), Fallback.FAIL));
      assertThrows(IllegalArgumentException.class,
          () -> lock(f, ticker, Duration.ofSeconds(1), Duration.ZERO, Fallback.FAIL));
      LoadException e = assertThrows(LoadException.class, () -> s.get("k", key -> null));
      assertTrue(e.getMessage().contains("returned null"), e.getMessage());
      assertNull(f.store.get("k"));
      assertTrue(f.locks.tryAcquire("k", "probe", 1000) > 0, "released after the failed load");
    }
  }

  @Test
  void redisDownFallsBackFastAndRecoversWithoutALeakedLock() throws Exception {
    try (EmbeddedRedis redis = EmbeddedRedis.start()) {
      RedisClient client = RedisStore.client(redis.uri(), Duration.ofMillis(500));
      try (RedisStore<String, String> store =
               new RedisStore<>(client, ValueCodec.utf8(), ticker, Duration.ofMinutes(1), "down:")) {
        DistributedLock<String, String> strategy = new DistributedLock<>(store, store, ticker, new Random(1),
            scheduler, counters, TTL, Duration.ofSeconds(2), Duration.ofSeconds(5), Fallback.LOAD_WITHOUT_CACHING);
        DistributedLock<String, String> failing = new DistributedLock<>(store, store, ticker, new Random(2),
            scheduler, counters, TTL, Duration.ofSeconds(2), Duration.ofSeconds(5), Fallback.FAIL);
        assertEquals("a@v1", strategy.get("a", slowDb));

        long start = System.nanoTime();
        assertEquals("dies", strategy.get("b", key -> {
          redis.stop(); // Redis dies while we hold the lock: write, renew, release fail quietly
          return "dies";
        }));
        assertEquals("c@v2", strategy.get("c", slowDb), "Redis down: load without caching");
        LoadException e = assertThrows(LoadException.class, () -> failing.get("c", slowDb));
        assertTrue(e.getMessage().contains("the lock service failed"), e.getMessage());
        long tookMillis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(tookMillis < 4_000, "failed fast: " + tookMillis + " ms");
        assertEquals(2, counters.get(Event.LOCK_FALLBACK));
        assertTrue(counters.get(Event.STORE_ERROR) >= 3, counters.toString());

        redis.restart();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (counters.get(Event.LOCK_ACQUIRED) < 3) { // a, b, then c once Redis is back
          assertTrue(System.nanoTime() < deadline, "never recovered: " + counters);
          assertEquals("c@v" + (loads.get() + 1), strategy.get("c", slowDb));
        }
        assertEquals("c@v" + loads.get(), store.get("c").value(), "cached again");
        assertNull(store.lockHolder("b"), "no leaked lock");
        assertNull(store.lockHolder("c"), "no leaked lock");
      } finally {
        client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
      }
    }
  }
}
