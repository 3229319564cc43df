package stampede.strategies;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.RedisClient;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import stampede.core.CacheStore;
import stampede.core.CorruptEntryException;
import stampede.core.Counters;
import stampede.core.Entry;
import stampede.core.Event;
import stampede.core.Fill;
import stampede.core.Loader;
import stampede.core.LoadingStrategy;
import stampede.core.Locks;
import stampede.core.StoreException;
import stampede.core.StoreFill;
import stampede.core.Ticker;
import stampede.core.Ttl;
import stampede.redis.RedisKeys;
import stampede.redis.RedisLocks;
import stampede.redis.RedisStore;
import stampede.redis.ValueCodec;
import stampede.testkit.Callers;
import stampede.testkit.EmbeddedRedis;
import stampede.testkit.ManualTicker;
import stampede.testkit.StoreFixture;
import stampede.testkit.StoreKind;

/**
 * The store guard in front of a store and its leases: closed it passes every command through; one failure opens it
 * for {@code openFor}, during which nothing calls the store and entries, leases and signals live in the process;
 * then one probe a period, whose success closes it. Over a store that is down, every coalescing strategy makes one
 * load per key per process, on an in-process store that fails on demand and on a stopped real Redis (160 calls: 160
 * loads unguarded, 1 guarded). A paused Redis: see {@link LayeredStackTest}.
 */
class StoreGuardTest {
  private static final Duration TTL = Duration.ofMinutes(5);
  private static final Duration OPEN_FOR = Duration.ofSeconds(5);
  private final ManualTicker ticker = new ManualTicker();
  private final Counters counters = new Counters();
  private final AtomicInteger loads = new AtomicInteger();
  private final ScheduledThreadPoolExecutor watchdog = new ScheduledThreadPoolExecutor(1);
  private final Loader<String, String> db = key -> {
    int n = loads.incrementAndGet();
    Thread.sleep(20);
    return key + "@v" + n;
  };

  @AfterEach
  void shutDown() {
    watchdog.shutdownNow();
  }

  /** A store and its leases that fail on demand, counting the commands that reach them. */
  static final class Flaky implements CacheStore<String, String>, Locks<String> {
    final AtomicBoolean down = new AtomicBoolean();
    final AtomicInteger calls = new AtomicInteger();
    final AtomicBoolean corrupt = new AtomicBoolean();
    private final CacheStore<String, String> store;
    private final Locks<String> locks;

    Flaky(StoreFixture<String> f) {
      this.store = f.store;
      this.locks = f.locks;
    }

    private void call() {
      calls.incrementAndGet();
      if (down.get()) {
        throw new StoreException("store down", null);
      }
    }

    @Override
    public Entry<String> get(String key) {
      call();
      if (corrupt.get()) {
        throw new CorruptEntryException("not an entry", null);
      }
      return store.get(key);
    }

    @Override
    public boolean put(String key, Entry<String> entry) {
      call();
      return store.put(key, entry);
    }

    @Override
    public void invalidate(String key) {
      call();
      store.invalidate(key);
    }

    @Override
    public Ticker ticker() {
      return store.ticker();
    }

    @Override
    public long tryAcquire(String key, String owner, long leaseMillis) {
      call();
      return locks.tryAcquire(key, owner, leaseMillis);
    }

    @Override
    public boolean renew(String key, String owner, long leaseMillis) {
      call();
      return locks.renew(key, owner, leaseMillis);
    }

    @Override
    public boolean release(String key, String owner) {
      call();
      return locks.release(key, owner);
    }

    @Override
    public Watch watch(String key) {
      call();
      return locks.watch(key);
    }

    @Override
    public void signal(String key) {
      call();
      locks.signal(key);
    }
  }

  /** The read path's one clock reading goes through the guard to the store (issue 11): no second reading. */
  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aTimedGetPassesTheCallersReadingThrough(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      List<Long> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
      CacheStore<String, String> recording = new CacheStore<>() {
        @Override
        public Entry<String> get(String key) {
          seen.add(null);
          return f.store.get(key);
        }

        @Override
        public Entry<String> get(String key, long now) {
          seen.add(now);
          return f.store.get(key, now);
        }

        @Override
        public boolean put(String key, Entry<String> entry) {
          return f.store.put(key, entry);
        }

        @Override
        public void invalidate(String key) {
          f.store.invalidate(key);
        }

        @Override
        public Ticker ticker() {
          return f.store.ticker();
        }
      };
      StoreGuard<String, String> guard = guard(recording, f.locks);
      long now = f.store.ticker().read();
      guard.get("k", now);
      guard.get("k");
      assertEquals(java.util.Arrays.asList(now, null), seen);
    }
  }

  private StoreGuard<String, String> guard(CacheStore<String, String> store, Locks<String> locks) {
    return StoreGuard.builder(store, locks).metrics(counters).ticker(ticker).openFor(OPEN_FOR).build();
  }

  private Entry<String> entry(String value, long fence) {
    long now = ticker.read();
    return new Entry<>(value, now, now + TTL.toNanos(), 0, fence);
  }

  @Test
  void closedItPassesEveryCommandThrough() {
    try (StoreFixture<String> f = StoreKind.CAFFEINE.open(ticker)) {
      Flaky flaky = new Flaky(f);
      StoreGuard<String, String> guard = guard(flaky, flaky);
      assertTrue(guard.put("k", entry("v", 0)));
      assertEquals("v", f.store.get("k").value(), "written to the store");
      assertEquals("v", guard.get("k").value());
      long token = guard.tryAcquire("k", "me", 1000);
      assertTrue(token > 0);
      assertEquals(0, f.locks.tryAcquire("k", "other", 1000), "the store's lease");
      assertTrue(guard.renew("k", "me", 1000));
      assertTrue(guard.release("k", "me"));
      guard.invalidate("k");
      assertNull(f.store.get("k"));
      assertEquals(6, flaky.calls.get());
      assertFalse(guard.isOpen());
      assertEquals(0, counters.get(Event.STORE_ERROR));
    }
  }

  @Test
  void oneFailureOpensItForOpenForThenOneProbeAPeriodAndASuccessCloses() {
    try (StoreFixture<String> f = StoreKind.CAFFEINE.open(ticker)) {
      Flaky flaky = new Flaky(f);
      StoreGuard<String, String> guard = guard(flaky, flaky);
      f.store.put("k", entry("stored", 0));
      flaky.down.set(true);
      assertNull(guard.get("k"), "the failed read answers from the (empty) copy");
      assertTrue(guard.isOpen());
      assertEquals(1, counters.get(Event.STORE_ERROR));
      for (int i = 0; i < 100; i++) {
        guard.get("k");
        guard.put("j" + i, entry("local", 0));
        guard.tryAcquire("j" + i, "me", 1000);
      }
      ticker.advance(OPEN_FOR.minusNanos(1));
      guard.get("k");
      assertEquals(1, flaky.calls.get(), "open: no command reached the store");
      ticker.advance(1);
      guard.get("k");
      guard.get("k");
      assertEquals(2, flaky.calls.get(), "one probe");
      assertEquals(2, counters.get(Event.STORE_ERROR), "it failed: open for another openFor");
      flaky.down.set(false);
      ticker.advance(OPEN_FOR.minusNanos(1));
      assertNull(guard.get("k"));
      ticker.advance(1);
      assertEquals("stored", guard.get("k").value(), "the probe reached the store: closed");
      assertFalse(guard.isOpen());
      assertNull(guard.get("j0"), "what was written in process while open is not the store's");
      assertEquals(4, flaky.calls.get());
    }
  }

  @Test
  void whileOpenEntriesLeasesAndSignalsLiveInProcess() throws Exception {
    try (StoreFixture<String> f = StoreKind.CAFFEINE.open(ticker)) {
      Flaky flaky = new Flaky(f);
      StoreGuard<String, String> guard = guard(flaky, flaky);
      flaky.down.set(true);
      assertTrue(guard.put("k", entry("v", 7)), "the failed write is kept in process");
      assertTrue(guard.isOpen());
      assertEquals("v", guard.get("k").value());
      assertFalse(guard.put("k", entry("older", 6)), "the fence rule holds in process too");
      long token = guard.tryAcquire("k", "me", 1000);
      assertTrue(token > 7, "a local token above every fence in the copy: " + token);
      assertEquals(0, guard.tryAcquire("k", "other", 1000), "one lease per key in the process");
      assertTrue(guard.renew("k", "me", 1000));
      assertFalse(guard.release("k", "other"));
      try (Locks.Watch watch = guard.watch("k")) {
        assertFalse(watch.await(1, TimeUnit.MILLISECONDS));
        assertTrue(guard.release("k", "me"));
        guard.signal("k");
        assertTrue(watch.await(1, TimeUnit.SECONDS), "woken in process");
      }
      ticker.advance(Duration.ofSeconds(2));
      assertTrue(guard.tryAcquire("j", "me", 1000) > 0);
      ticker.advance(Duration.ofSeconds(1).plusNanos(1)); // the local lease ran out
      assertTrue(guard.tryAcquire("j", "other", 1000) > 0);
      StoreException e = assertThrows(StoreException.class, () -> guard.invalidate("k"));
      assertTrue(e.getMessage().contains("invalidated in this process only"), e.getMessage());
      assertNull(guard.get("k"));
      assertEquals(1, flaky.calls.get(), "only the first write reached the store");
    }
  }

  @Test
  void aCorruptEntryIsTheStoreAnsweringAndDoesNotOpenIt() {
    try (StoreFixture<String> f = StoreKind.CAFFEINE.open(ticker)) {
      Flaky flaky = new Flaky(f);
      StoreGuard<String, String> guard = guard(flaky, flaky);
      flaky.corrupt.set(true);
      assertThrows(CorruptEntryException.class, () -> guard.get("k"));
      assertFalse(guard.isOpen());
      assertEquals(0, counters.get(Event.STORE_ERROR));
    }
  }

  /** The coalescing compositions, every layer on the guard. */
  enum Composition { SINGLE_FLIGHT, DISTRIBUTED_LOCK, TWO_LEVEL, STALE_WHILE_REVALIDATE, LAYERED_STACK }

  private LoadingStrategy<String, String> build(Composition c, StoreGuard<String, String> g, CacheStore<String,
      String> store, Locks<String> locks) {
    StoreFill<String, String> fill = new StoreFill<>(g, counters, Ttl.fixed(TTL));
    DistributedLock<String, String> lock = DistributedLock.builder(g, g, fill).metrics(counters).tokens(new Random(1))
        .watchdog(watchdog).build();
    Fill<String, String> singleFlight = SingleFlight.builder(g, fill).metrics(counters).build();
    return switch (c) {
      case SINGLE_FLIGHT -> CacheAside.builder(g, singleFlight).metrics(counters).build();
      case DISTRIBUTED_LOCK -> CacheAside.builder(g, lock).metrics(counters).build();
      case TWO_LEVEL -> CacheAside.builder(g, new TwoLevelCoalescing<>(g, lock, counters)).metrics(counters).build();
      case STALE_WHILE_REVALIDATE -> CacheAside.builder(g, singleFlight).metrics(counters)
          .policy(new StaleWhileRevalidate<>(TTL), Runnable::run).staleIfError(TTL).build();
      case LAYERED_STACK -> LayeredStack.builder(store, locks, TTL, Runnable::run).metrics(counters).build();
    };
  }

  /** Store down from the start: 16 callers, 10 calls each, on 2 keys: one load per key. */
  @ParameterizedTest
  @EnumSource(Composition.class)
  void storeDownEveryCoalescingStrategyLoadsOncePerKeyPerProcess(Composition composition) throws Exception {
    try (StoreFixture<String> f = StoreKind.CAFFEINE.open(ticker)) {
      Flaky flaky = new Flaky(f);
      flaky.down.set(true);
      LoadingStrategy<String, String> strategy = build(composition, guard(flaky, flaky), flaky, flaky);
      AtomicInteger next = new AtomicInteger();
      List<Object> results = Callers.run(16, () -> {
        String key = "k" + next.getAndIncrement() % 2;
        String value = null;
        for (int i = 0; i < 10; i++) {
          value = strategy.get(key, db);
        }
        return value;
      });
      for (Object r : results) {
        assertTrue(r instanceof String s && s.matches("k[01]@v[12]"), composition + ": " + r);
      }
      assertEquals(2, loads.get(), composition + ": one load per key for 160 calls (" + counters + ")");
    }
  }

  /**
   * The reproduction on a real Redis, stopped: DistributedLock over a key cached for 5 minutes made 160
   * loads for 160 calls (every read a miss, every acquire an error, the fallback loading without caching); over the
   * guard, one (recovery after a restart: RedisOutageProperties).
   */
  @Test
  void aStoppedRedisCostsOneLoadFor160CallsOverTheGuardAnd160Without() throws Exception {
    try (EmbeddedRedis redis = EmbeddedRedis.start()) {
      RedisClient client = RedisStore.client(redis.uri(), Duration.ofMillis(500));
      RedisKeys<String> keys = RedisKeys.strings("guard:");
      try (RedisStore<String, String> store = RedisStore.builder(client, keys, ValueCodec.utf8()).ticker(ticker)
               .build();
           RedisLocks<String> locks = new RedisLocks<>(client, keys)) {
        StoreGuard<String, String> guard = guard(store, locks);
        LoadingStrategy<String, String> guarded = CacheAside.builder(guard, DistributedLock.builder(guard, guard,
            new StoreFill<>(guard, counters, Ttl.fixed(TTL))).watchdog(watchdog).build()).build();
        LoadingStrategy<String, String> unguarded = CacheAside.builder(store, DistributedLock.builder(store, locks,
            new StoreFill<>(store, counters, Ttl.fixed(TTL))).watchdog(watchdog).build()).build();
        redis.stop();
        Callers.run(8, () -> {
          for (int i = 0; i < 20; i++) {
            unguarded.get("k", db);
          }
          return null;
        });
        assertEquals(160, loads.get(), "unguarded: a load per call");
        loads.set(0);
        List<Object> results = Callers.run(8, () -> {
          String value = null;
          for (int i = 0; i < 20; i++) {
            value = guarded.get("k", db);
          }
          return value;
        });
        results.forEach(r -> assertEquals("k@v1", r));
        assertEquals(1, loads.get(), "guarded: one load for 160 calls");
        assertTrue(guard.isOpen());
        assertTrue(counters.get(Event.STORE_ERROR) <= 8, "a failed command per caller at most, before it opened, not "
            + "one per command (" + counters + ")");
      } finally {
        client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
      }
    }
  }
}
