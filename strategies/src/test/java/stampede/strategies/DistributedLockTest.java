package stampede.strategies;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.RedisClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
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
import stampede.core.Entry;
import stampede.core.Event;
import stampede.core.Fill;
import stampede.core.LoadException;
import stampede.core.Loader;
import stampede.core.Locks;
import stampede.core.Metrics;
import stampede.core.StoreFill;
import stampede.core.Ticker;
import stampede.core.Ttl;
import stampede.redis.RedisKeys;
import stampede.redis.RedisLocks;
import stampede.redis.RedisStore;
import stampede.redis.ValueCodec;
import stampede.strategies.DistributedLock.Fallback;
import stampede.testkit.Callers;
import stampede.testkit.EmbeddedRedis;
import stampede.testkit.LocalLocks;
import stampede.testkit.ManualTicker;
import stampede.testkit.StoreFixture;
import stampede.testkit.StoreKind;

/**
 * The distributed lock under the read path, on Caffeine with in-process locks and on a real Redis, with several "nodes"
 * per test: N nodes load once; waiters are woken by the holder's signal, not the poll, even one released right after
 * its failed try; a crashed holder's lease runs out; the watchdog renews a long load's lease, for {@code maxHold} only;
 * an old holder's late write is fenced; the fallbacks after {@code maxWait}, timed on the injected ticker; a loader
 * error reaches the waiters, who fail fast; Redis down falls back fast and recovers with no leaked lease. Serving stale
 * when the lock is not had in time is the read path's stale-if-error ({@link CacheAsideTest}).
 */
class DistributedLockTest {
  private static final Duration TTL = Duration.ofSeconds(10);
  private final ManualTicker ticker = new ManualTicker();
  private final Counters counters = new Counters();
  private final Map<Event, CountDownLatch> latches = new ConcurrentHashMap<>();
  private final Metrics metrics = counters.and((event, key) -> {
    CountDownLatch latch = latches.get(event);
    if (latch != null) {
      latch.countDown();
    }
  });
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

  private int locksBuilt; // each lock (each node) draws its owner tokens from its own seed

  /** A latch counted down each time {@code event} is recorded, from now on. */
  private CountDownLatch on(Event event, int times) {
    CountDownLatch latch = new CountDownLatch(times);
    latches.put(event, latch);
    return latch;
  }

  private static void await(CountDownLatch latch, String what) throws InterruptedException {
    assertTrue(latch.await(10, TimeUnit.SECONDS), "timed out waiting for " + what);
  }

  private DistributedLock<String, String> lock(CacheStore<String, String> store, Locks<String> locks,
      Fill<String, String> fill, Duration lease, Duration maxWait, Fallback fallback) {
    return DistributedLock.builder(store, locks, fill).metrics(metrics).tokens(new Random(++locksBuilt * 31L + 7))
        .watchdog(scheduler).lease(lease).maxWait(maxWait).fallback(fallback).build();
  }

  private DistributedLock<String, String> lock(StoreFixture<String> f, Locks<String> locks, Duration lease,
      Duration maxWait, Fallback fallback) {
    return lock(f.store, locks, new StoreFill<>(f.store, metrics, Ttl.fixed(TTL)), lease, maxWait, fallback);
  }

  /** The read path of one node over {@code lock}. */
  private CacheAside<String, String> read(CacheStore<String, String> store, DistributedLock<String, String> lock) {
    return CacheAside.builder(store, lock).metrics(metrics).build();
  }

  private CacheAside<String, String> node(StoreFixture<String> f, Duration lease, Duration maxWait, Fallback fb) {
    StoreFixture<String> n = node(f);
    return read(n.store, lock(n, n.locks, lease, maxWait, fb));
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

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void fourNodesOfSixteenCallersLoadOnce(StoreKind kind) throws Exception {
    try (StoreFixture<String> f = kind.open(ticker)) {
      expired(f.store, "hot");
      List<CacheAside<String, String>> strategies = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        strategies.add(node(f, Duration.ofSeconds(5), Duration.ofSeconds(5), Fallback.FAIL));
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
      CountDownLatch waiting = on(Event.LOCK_WAITED, 15);
      CountDownLatch polling = new CountDownLatch(1); // the other node's poller (its callers share one wait)
      List<CacheAside<String, String>> strategies = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        StoreFixture<String> n = node(f);
        ProbedLocks<String> locks = new ProbedLocks<>(n.locks).onAwait(polling::countDown);
        strategies.add(read(n.store, lock(n, locks, Duration.ofSeconds(4), Duration.ofSeconds(5), Fallback.FAIL)));
      }
      AtomicLong loadEnd = new AtomicLong();
      Loader<String, String> db = key -> {
        await(waiting, "every other caller waiting for the holder");
        await(polling, "the other node's poller waiting for the holder's signal (the poll is 1 s)");
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
      assertEquals(15, counters.get(Event.LOCK_WAITED));
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aCrashedHoldersLeaseRunsOutThenAWaiterLoads(StoreKind kind) throws Exception {
    try (StoreFixture<String> f = kind.open(ticker)) {
      Duration lease = Duration.ofMillis(300);
      assertTrue(f.locks.tryAcquire("k", "crashed", lease.toMillis()) > 0); // and never released
      CountDownLatch polled = new CountDownLatch(5);
      StoreFixture<String> n = node(f);
      ProbedLocks<String> locks = new ProbedLocks<>(n.locks).onAwait(polled::countDown);
      CacheAside<String, String> strategy =
          read(n.store, lock(n, locks, lease, Duration.ofSeconds(10), Fallback.FAIL));
      long start = System.nanoTime();
      CompletableFuture<String> caller = CompletableFuture.supplyAsync(() -> strategy.get("k", slowDb), pool);
      if (kind == StoreKind.CAFFEINE) {
        await(polled, "5 polls (every lease / 4) of real time: longer than the lease");
        assertEquals(0, loads.get(), "ticker time has not moved: the lease still holds");
        ticker.advance(lease.multipliedBy(2));
      }
      assertEquals("k@v1", caller.get(10, TimeUnit.SECONDS));
      assertTrue(System.nanoTime() - start >= lease.toNanos() - TimeUnit.MILLISECONDS.toNanos(50), "waited");
      assertEquals(1, loads.get());
      assertEquals(1, counters.get(Event.LOCK_WAITED));
      assertEquals(1, counters.get(Event.LOCK_ACQUIRED));
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void theWatchdogKeepsTheLeaseWhileALongLoadRuns(StoreKind kind) throws Exception {
    Ticker real = Ticker.system(); // LocalLocks leases expire on the ticker: make it real time here
    try (StoreFixture<String> f = kind.open(real)) {
      Duration lease = Duration.ofMillis(300);
      StoreFixture<String> na = node(f);
      StoreFixture<String> nb = node(f);
      CacheAside<String, String> a = read(na.store, lock(na, na.locks, lease, Duration.ofSeconds(10), Fallback.FAIL));
      CacheAside<String, String> b = read(nb.store, lock(nb, nb.locks, lease, Duration.ofSeconds(10), Fallback.FAIL));
      Loader<String, String> oneSecond = key -> {
        loads.incrementAndGet();
        Thread.sleep(1000);
        return "v" + loads.get();
      };
      CountDownLatch started = on(Event.LOAD_STARTED, 1);
      CompletableFuture<String> first = CompletableFuture.supplyAsync(() -> a.get("k", oneSecond), pool);
      await(started, "the first load");
      Thread.sleep(600); // real time, two leases long: without renewal the lease would be gone
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
      StoreFixture<String> n = node(f);
      StoreFill<String, String> storeFill = new StoreFill<>(n.store, metrics, Ttl.fixed(TTL));
      Fill<String, String> fill = (key, seen, fence, loader) -> {
        myFence.set(fence);
        return storeFill.fill(key, seen, fence, loader);
      };
      CacheAside<String, String> strategy =
          read(n.store, lock(n.store, n.locks, fill, lease, Duration.ofSeconds(5), Fallback.FAIL));
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

  private void loseLease(StoreFixture<String> f, String key, Duration lease) {
    if (f.kind == StoreKind.CAFFEINE) {
      ticker.advance(lease.multipliedBy(2));
      return;
    }
    f.expireLease(key); // as if the lease had expired, on one Redis or the cluster node that holds it
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void afterMaxWaitLoadWithoutCachingAndLeaveTheOthersLock(StoreKind kind) throws Exception {
    try (StoreFixture<String> f = kind.open(ticker)) {
      expired(f.store, "k");
      assertTrue(f.locks.tryAcquire("k", "other", 60_000) > 0);
      CacheAside<String, String> strategy =
          node(f, Duration.ofSeconds(1), Duration.ofMillis(200), Fallback.LOAD_WITHOUT_CACHING);
      long start = System.nanoTime();
      assertEquals("k@v1", strategy.get("k", slowDb));
      assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(200), "waited maxWait first");
      assertEquals("old", f.store.get("k").value(), "the value loaded without the lock is not written");
      assertEquals(1, counters.get(Event.LOCK_FALLBACK));
      assertEquals(1, counters.get(Event.LOCK_WAITED));
      assertEquals(1, counters.get(Event.LOAD_STARTED));
      assertEquals(1, counters.get(Event.LOAD_SUCCEEDED));
      assertTrue(f.locks.release("k", "other"), "a waiter never releases a lease it does not own");
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void afterMaxWaitFail(StoreKind kind) throws Exception {
    try (StoreFixture<String> f = kind.open(ticker)) {
      assertTrue(f.locks.tryAcquire("k", "other", 60_000) > 0);
      CacheAside<String, String> strategy = node(f, Duration.ofSeconds(1), Duration.ofMillis(100), Fallback.FAIL);
      LoadException e = assertThrows(LoadException.class, () -> strategy.get("k", slowDb));
      assertTrue(e.getMessage().contains("no lock within PT0.1S (fallback FAIL)"), e.getMessage());
      assertEquals(0, loads.get());
      assertEquals(1, counters.get(Event.LOCK_FALLBACK));
    }
  }

  /**
   * A loader error used to reach the holder only: its 8 waiters then took the lock and loaded again one after
   * another (8 more loads of a failing database, serialized). Now a waiter woken by the holder's release that finds
   * no fresh value knows the load failed and fails at once; nothing is cached and the next call loads again.
   */
  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aLoaderErrorReachesTheWaitersWhoFailFastAndTheNextCallLoads(StoreKind kind) throws Exception {
    try (StoreFixture<String> f = kind.open(ticker)) {
      CacheAside<String, String> a = node(f, Duration.ofSeconds(4), Duration.ofSeconds(10), Fallback.FAIL);
      CountDownLatch waiting = on(Event.LOCK_WAITED, 8);
      List<CountDownLatch> polling = List.of(new CountDownLatch(1), new CountDownLatch(1)); // a poller per node
      List<CacheAside<String, String>> others = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        StoreFixture<String> n = node(f);
        ProbedLocks<String> locks = new ProbedLocks<>(n.locks).onAwait(polling.get(i)::countDown);
        others.add(read(n.store, lock(n, locks, Duration.ofSeconds(4), Duration.ofSeconds(10), Fallback.FAIL)));
      }
      IllegalStateException dbDown = new IllegalStateException("db down");
      Loader<String, String> failing = key -> {
        loads.incrementAndGet();
        await(waiting, "the other nodes' callers waiting for the lock");
        for (CountDownLatch poller : polling) { // its node's callers share its wait
          await(poller, "each other node's poller waiting for the holder's signal");
        }
        throw dbDown;
      };
      CountDownLatch acquired = on(Event.LOCK_ACQUIRED, 1);
      CompletableFuture<String> holder = CompletableFuture.supplyAsync(() -> a.get("k", failing), pool);
      await(acquired, "the holder's lock");
      List<CompletableFuture<String>> waiters = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        CacheAside<String, String> other = others.get(i % 2);
        waiters.add(CompletableFuture.supplyAsync(() -> other.get("k", failing), pool));
      }
      Exception e = assertThrows(Exception.class, () -> holder.get(10, TimeUnit.SECONDS));
      assertSame(dbDown, assertInstanceOf(LoadException.class, e.getCause()).getCause());
      for (CompletableFuture<String> waiter : waiters) {
        Exception w = assertThrows(Exception.class, () -> waiter.get(10, TimeUnit.SECONDS));
        LoadException le = assertInstanceOf(LoadException.class, w.getCause());
        assertTrue(le.getMessage().contains("the lock holder's load failed"), le.getMessage());
      }
      assertEquals(1, loads.get(), "one load of the failing database, not one per waiter");
      assertEquals(1, counters.get(Event.LOCK_ACQUIRED));
      assertNull(f.store.get("k"), "the error is not cached");
      assertEquals("k@v2", others.get(0).get("k", slowDb), "the next call loads again");
    }
  }

  /**
   * A waiter whose try for the lock fails just before the holder lets go used to subscribe after the signal and
   * sleep a whole poll (lease / 4: 7.5 s at the default 30 s lease). It subscribes before trying, so the signal is
   * never missed.
   */
  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aReleaseBetweenAFailedTryAndTheWaitIsNotMissed(StoreKind kind) throws Exception {
    try (StoreFixture<String> f = kind.open(ticker)) {
      assertTrue(f.locks.tryAcquire("k", "holder", 60_000) > 0);
      AtomicInteger tries = new AtomicInteger();
      Locks<String> locks = new Locks<>() {
        @Override
        public long tryAcquire(String key, String owner, long leaseMillis) {
          long token = f.locks.tryAcquire(key, owner, leaseMillis);
          if (token == 0 && tries.incrementAndGet() == 1) { // the holder's load fails and it lets go, right now
            f.locks.release(key, "holder");
            f.locks.signal(key);
          }
          return token;
        }

        @Override
        public boolean renew(String key, String owner, long leaseMillis) {
          return f.locks.renew(key, owner, leaseMillis);
        }

        @Override
        public boolean release(String key, String owner) {
          return f.locks.release(key, owner);
        }

        @Override
        public Watch watch(String key) {
          return f.locks.watch(key);
        }

        @Override
        public void signal(String key) {
          f.locks.signal(key);
        }
      };
      CacheAside<String, String> waiter = read(f.store, lock(f.store, locks,
          new StoreFill<>(f.store, metrics, Ttl.fixed(TTL)), Duration.ofSeconds(30), Duration.ofSeconds(20),
          Fallback.FAIL));
      long start = System.nanoTime();
      LoadException e = assertThrows(LoadException.class, () -> waiter.get("k", slowDb));
      long tookMillis = (System.nanoTime() - start) / 1_000_000;
      assertTrue(e.getMessage().contains("the lock holder's load failed"), e.getMessage());
      assertTrue(tookMillis < 5_000, "woken by the signal, not the 7.5 s poll: " + tookMillis + " ms");
      assertEquals(0, loads.get());
    }
  }

  /**
   * The watchdog renewed a hung holder's lease for ever, holding the key on every node. It renews for
   * {@code maxHold} (on the lock's monotonic ticker, here {@code ticker}); the lease then runs out within one lease
   * and another node loads. The leases run on a second manual clock, moved in steps shorter than the lease with a
   * watchdog run after each, so a renewal shows as a lease that outlives the steps.
   */
  @Test
  void aHungHoldersLeaseIsRenewedForMaxHoldOnly() throws Exception {
    ManualTicker leaseClock = new ManualTicker();
    LocalLocks<String> locks = new LocalLocks<>(leaseClock);
    try (StoreFixture<String> f = StoreKind.CAFFEINE.open(ticker)) {
      Duration lease = Duration.ofMillis(300);
      DistributedLock<String, String> hungLock = DistributedLock.builder(f.store, locks,
          new StoreFill<>(f.store, metrics, Ttl.fixed(TTL))).metrics(metrics).watchdog(scheduler).ticker(ticker)
          .lease(lease).maxWait(Duration.ofSeconds(5)).maxHold(Duration.ofMinutes(1)).fallback(Fallback.FAIL).build();
      CountDownLatch started = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      CompletableFuture<String> hung = CompletableFuture.supplyAsync(() -> read(f.store, hungLock).get("k", key -> {
        started.countDown();
        release.await();
        return "late";
      }), pool);
      assertTrue(started.await(5, TimeUnit.SECONDS));
      ticker.advance(Duration.ofSeconds(59));
      for (int i = 0; i < 2; i++) {
        leaseClock.advance(Duration.ofMillis(200));
        watchdogTick();
      }
      assertEquals(0, locks.tryAcquire("k", "probe", 1000), "renewed while held for less than maxHold");
      ticker.advance(Duration.ofSeconds(1));
      watchdogTick(); // no renewal from here on
      for (int i = 0; i < 2; i++) {
        leaseClock.advance(Duration.ofMillis(200));
        watchdogTick();
      }
      assertTrue(locks.tryAcquire("k", "probe", 1000) > 0, "maxHold + a lease after the acquire, the key is free");
      release.countDown();
      assertEquals("late", hung.get(5, TimeUnit.SECONDS));
    }
  }

  /** Waits until a watchdog run that starts after now has run (the scheduler runs tasks in time order). */
  private void watchdogTick() throws Exception {
    scheduler.schedule(() -> { }, 150, TimeUnit.MILLISECONDS).get(10, TimeUnit.SECONDS);
  }

  /** maxWait runs on the lock's ticker, so a test (or a paused clock) decides when a waiter gives up. */
  @Test
  void maxWaitRunsOnTheInjectedTicker() throws Exception {
    try (StoreFixture<String> f = StoreKind.CAFFEINE.open(ticker)) {
      assertTrue(f.locks.tryAcquire("k", "other", 600_000) > 0);
      CountDownLatch polled = new CountDownLatch(3);
      DistributedLock<String, String> lock = DistributedLock.builder(f.store,
          new ProbedLocks<>(f.locks).onAwait(polled::countDown), new StoreFill<>(f.store, metrics, Ttl.fixed(TTL)))
          .metrics(metrics).watchdog(scheduler).ticker(ticker).lease(Duration.ofMillis(100))
          .maxWait(Duration.ofSeconds(30)).fallback(Fallback.FAIL).build();
      CompletableFuture<String> waiter = CompletableFuture.supplyAsync(() -> lock.fill("k", null, 0, slowDb), pool);
      await(polled, "three polls of real time");
      assertTrue(!waiter.isDone(), "ticker time has not moved: still waiting");
      ticker.advance(Duration.ofSeconds(30));
      Exception e = assertThrows(Exception.class, () -> waiter.get(10, TimeUnit.SECONDS), "gave up in ticker time");
      assertTrue(e.getCause().getMessage().contains("no lock within PT30S"), e.getCause().getMessage());
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void badInputIsRejected(StoreKind kind) throws Exception {
    try (StoreFixture<String> f = kind.open(ticker)) {
      DistributedLock<String, String> s = lock(f, f.locks, Duration.ofSeconds(1), Duration.ofSeconds(1), Fallback.FAIL);
      assertThrows(NullPointerException.class, () -> s.fill(null, null, 0, slowDb));
      assertThrows(NullPointerException.class, () -> s.fill("k", null, 0, null));
      assertThrows(IllegalArgumentException.class,
          () -> lock(f, f.locks, Duration.ofMillis(2), Duration.ofSeconds(1), Fallback.FAIL));
      assertThrows(IllegalArgumentException.class,
          () -> lock(f, f.locks, Duration.ofSeconds(1), Duration.ZERO, Fallback.FAIL));
      LoadException e = assertThrows(LoadException.class, () -> read(f.store, s).get("k", key -> null));
      assertTrue(e.getMessage().contains("returned null"), e.getMessage());
      assertNull(f.store.get("k"));
      assertTrue(f.locks.tryAcquire("k", "probe", 1000) > 0, "released after the failed load");
    }
  }

  @Test
  void redisDownFallsBackFastAndRecoversWithoutALeakedLock() throws Exception {
    try (EmbeddedRedis redis = EmbeddedRedis.start()) {
      RedisClient client = RedisStore.client(redis.uri(), Duration.ofMillis(500));
      RedisKeys<String> keys = RedisKeys.strings("down:");
      try (RedisStore<String, String> store =
               RedisStore.builder(client, keys, ValueCodec.utf8()).ticker(ticker).build();
           RedisLocks<String> locks = new RedisLocks<>(client, keys)) {
        StoreFill<String, String> fill = new StoreFill<>(store, metrics, Ttl.fixed(TTL));
        CacheAside<String, String> strategy = read(store,
            lock(store, locks, fill, Duration.ofSeconds(2), Duration.ofSeconds(5), Fallback.LOAD_WITHOUT_CACHING));
        CacheAside<String, String> failing =
            read(store, lock(store, locks, fill, Duration.ofSeconds(2), Duration.ofSeconds(5), Fallback.FAIL));
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
        assertNull(locks.holder("b"), "no leaked lock");
        assertNull(locks.holder("c"), "no leaked lock");
      } finally {
        client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
      }
    }
  }
}
