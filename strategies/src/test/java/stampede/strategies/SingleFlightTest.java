package stampede.strategies;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import stampede.core.CacheStore;
import stampede.core.Counters;
import stampede.core.Entry;
import stampede.core.Event;
import stampede.core.InterruptedLoadException;
import stampede.core.LoadException;
import stampede.core.Loader;
import stampede.core.Metrics;
import stampede.core.StoreFill;
import stampede.core.Ttl;
import stampede.testkit.Callers;
import stampede.testkit.ManualTicker;
import stampede.testkit.RacingStore;
import stampede.testkit.StoreFixture;
import stampede.testkit.StoreKind;

/**
 * Single flight under the read path, on Caffeine and a real Redis: concurrent misses of one key share one load and
 * its error (never cached); a caller overtaken by a flight that has just ended does not load again; a waiter stops
 * waiting for a hung load ({@link Event#WAIT_TIMED_OUT}) while the load goes on and is written. Exactly one load for
 * 10 to 1000 callers is in {@link StampedeTest}; the fill contract in {@link SingleFlightContractTest}.
 */
class SingleFlightTest {
  private static final int CALLERS = 64;
  private static final Duration TTL = Duration.ofSeconds(10);
  private final ManualTicker ticker = new ManualTicker();
  private final Counters counters = new Counters();
  private final AtomicInteger loads = new AtomicInteger();
  private final ExecutorService pool = Executors.newCachedThreadPool();
  private final Loader<String, String> db = key -> key + "@v" + loads.incrementAndGet();

  @AfterEach
  void shutDown() {
    pool.shutdownNow();
  }

  private SingleFlight<String, String> singleFlight(CacheStore<String, String> store, Metrics metrics,
      Duration maxWait) {
    return SingleFlight.builder(store, new StoreFill<>(store, metrics, Ttl.fixed(TTL))).metrics(metrics)
        .maxWait(maxWait).build();
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void sharesOneErrorWithEveryWaiterAndCachesNothing(StoreKind kind) throws Exception {
    try (StoreFixture<String> f = kind.open(ticker)) {
      CountDownLatch joined = new CountDownLatch(CALLERS - 1);
      Metrics metrics = counters.and((event, key) -> {
        if (event == Event.LOAD_COALESCED) {
          joined.countDown();
        }
      });
      SingleFlight<String, String> singleFlight = singleFlight(f.store, metrics, Duration.ofSeconds(5));
      CacheAside<String, String> path = CacheAside.builder(f.store, singleFlight).metrics(metrics).build();
      IllegalStateException dbDown = new IllegalStateException("db down");
      List<Object> results = Callers.run(CALLERS, () -> path.get("k", key -> {
        loads.incrementAndGet();
        joined.await(10, TimeUnit.SECONDS); // every other caller waits for this load
        throw dbDown;
      }));
      assertEquals(0, joined.getCount(), "every other caller joined the flight: " + counters);
      assertEquals(1, loads.get(), "the failing load ran once");
      for (Object r : results) {
        assertSame(dbDown, assertInstanceOf(LoadException.class, r).getCause(), "every waiter sees the loader's error");
      }
      assertEquals(1, counters.get(Event.LOAD_FAILED));
      assertNull(f.store.get("k"), "the error is not cached");
      assertEquals(0, singleFlight.inFlight(), "the in-flight entry is removed");
      assertEquals("k@v2", path.get("k", db), "the next call loads again");
    }
  }

  /** Between a caller's read and its fill, another caller's flight loads and writes: the first does not load. */
  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aCallerOvertakenByAFlightThatJustEndedDoesNotLoadAgain(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      long now = ticker.read();
      f.store.put("k", new Entry<>("old", now - 2 * TTL.toNanos(), now - TTL.toNanos(), 0, 0));
      RacingStore<String, String> store = new RacingStore<>(f.store);
      CacheAside<String, String> path =
          CacheAside.builder(store, singleFlight(store, counters, Duration.ofSeconds(5))).metrics(counters).build();
      store.afterNextGet(() -> assertEquals("k@v1", path.get("k", db), "the other caller's flight"));
      assertEquals("k@v1", path.get("k", db), "the first caller gets what that flight wrote");
      assertEquals(1, loads.get(), "one load, not two");
      assertEquals(2, counters.get(Event.MISS));
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aWaiterStopsWaitingForAHungLoaderWhichIsStillWritten(StoreKind kind) throws Exception {
    try (StoreFixture<String> f = kind.open(ticker)) {
      SingleFlight<String, String> singleFlight = singleFlight(f.store, counters, Duration.ofMillis(100));
      CountDownLatch started = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      CompletableFuture<String> leader = CompletableFuture.supplyAsync(() -> singleFlight.fill("k", null, 0, key -> {
        started.countDown();
        release.await();
        return "late";
      }), pool);
      assertTrue(started.await(5, TimeUnit.SECONDS));
      long start = System.nanoTime();
      LoadException e = assertThrows(LoadException.class, () -> singleFlight.fill("k", null, 0, db));
      long waited = System.nanoTime() - start;
      assertTrue(e.getMessage().contains("gave up waiting"), e.getMessage());
      assertTrue(waited >= Duration.ofMillis(100).toNanos() && waited < Duration.ofSeconds(2).toNanos(),
          "waited " + Duration.ofNanos(waited));
      assertEquals(1, counters.get(Event.WAIT_TIMED_OUT));
      assertEquals(0, counters.get(Event.LOAD_FAILED), "giving up is not a failed load");
      release.countDown();
      assertEquals("late", leader.get(5, TimeUnit.SECONDS));
      assertEquals("late", f.store.get("k").value(), "the hung load, once done, is still written");
      assertEquals(1, counters.get(Event.LOAD_SUCCEEDED));
      assertEquals(0, loads.get(), "the waiter never loaded");
      assertEquals(0, singleFlight.inFlight());
    }
  }

  /**
   * Interrupting the caller that leads a load (a request cancelled, a pool shutting down) is that caller's business:
   * it gets the failure and keeps its interrupt status, and its waiters retry: one of them leads a new load.
   */
  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void anInterruptedLeaderFailsAloneAndAWaiterLeadsTheNextLoad(StoreKind kind) throws Exception {
    try (StoreFixture<String> f = kind.open(ticker)) {
      CountDownLatch joined = new CountDownLatch(4);
      Metrics metrics = counters.and((event, key) -> {
        if (event == Event.LOAD_COALESCED) {
          joined.countDown();
        }
      });
      SingleFlight<String, String> singleFlight = singleFlight(f.store, metrics, Duration.ofSeconds(10));
      CountDownLatch started = new CountDownLatch(1);
      Loader<String, String> loader = key -> {
        if (loads.incrementAndGet() == 1) {
          started.countDown();
          new CountDownLatch(1).await(); // until interrupted
        }
        return key + "@v" + loads.get();
      };
      CompletableFuture<Object> leaderResult = new CompletableFuture<>();
      CompletableFuture<Boolean> leaderInterrupted = new CompletableFuture<>();
      Thread leader = new Thread(() -> {
        try {
          leaderResult.complete(singleFlight.fill("k", null, 0, loader));
        } catch (Throwable t) {
          leaderResult.complete(t);
        }
        leaderInterrupted.complete(Thread.currentThread().isInterrupted());
      }, "leader");
      leader.start();
      assertTrue(started.await(5, TimeUnit.SECONDS));
      List<CompletableFuture<String>> waiters = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        waiters.add(CompletableFuture.supplyAsync(() -> singleFlight.fill("k", null, 0, loader), pool));
      }
      assertTrue(joined.await(5, TimeUnit.SECONDS), "the waiters joined the leader's flight");
      leader.interrupt();
      Object failure = leaderResult.get(5, TimeUnit.SECONDS);
      assertInstanceOf(InterruptedException.class, assertInstanceOf(LoadException.class, failure).getCause());
      assertTrue(leaderInterrupted.get(5, TimeUnit.SECONDS), "the leader keeps its interrupt status");
      for (CompletableFuture<String> waiter : waiters) {
        assertEquals("k@v2", waiter.get(5, TimeUnit.SECONDS), "a waiter led the next load; the others shared it");
      }
      assertEquals(2, loads.get());
      assertEquals("k@v2", f.store.get("k").value());
      assertEquals(0, singleFlight.inFlight());
    }
  }

  /**
   * A leader interrupted while it writes the value it loaded (its request cancelled during the store command) still
   * has the value: it returns it with its interrupt status set, and its waiters get it too. Before, the write's
   * {@link InterruptedLoadException} failed the flight, the waiters retried and one of them loaded again.
   */
  @Test
  void aLeaderInterruptedDuringItsWriteStillSharesTheValueItLoaded() throws Exception {
    try (StoreFixture<String> f = StoreKind.CAFFEINE.open(ticker)) {
      CountDownLatch joined = new CountDownLatch(4);
      Metrics metrics = counters.and((event, key) -> {
        if (event == Event.LOAD_COALESCED) {
          joined.countDown();
        }
      });
      CacheStore<String, String> interruptedWrites = new CacheStore<>() {
        @Override
        public Entry<String> get(String key) {
          return f.store.get(key);
        }

        @Override
        public boolean put(String key, Entry<String> entry) {
          throw InterruptedLoadException.of(key, "during the store's write", new InterruptedException());
        }

        @Override
        public void invalidate(String key) {
          f.store.invalidate(key);
        }

        @Override
        public stampede.core.Ticker ticker() {
          return f.store.ticker();
        }
      };
      SingleFlight<String, String> singleFlight = singleFlight(interruptedWrites, metrics, Duration.ofSeconds(10));
      CountDownLatch release = new CountDownLatch(1);
      Loader<String, String> loader = key -> {
        loads.incrementAndGet();
        release.await(10, TimeUnit.SECONDS); // until every waiter joined
        return key + "@v" + loads.get();
      };
      CompletableFuture<Object> leader = CompletableFuture.supplyAsync(() -> {
        Object got = singleFlight.fill("k", null, 0, loader);
        return Thread.interrupted() ? got : "not interrupted";
      }, pool);
      while (singleFlight.inFlight() == 0) {
        Thread.onSpinWait();
      }
      List<CompletableFuture<String>> waiters = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        waiters.add(CompletableFuture.supplyAsync(() -> singleFlight.fill("k", null, 0, loader), pool));
      }
      assertTrue(joined.await(5, TimeUnit.SECONDS), "the waiters joined the leader's flight");
      release.countDown();
      assertEquals("k@v1", leader.get(5, TimeUnit.SECONDS), "the leader returns its value, interrupt status set");
      for (CompletableFuture<String> waiter : waiters) {
        assertEquals("k@v1", waiter.get(5, TimeUnit.SECONDS));
      }
      assertEquals(1, loads.get());
      assertEquals(0, counters.get(Event.STORE_ERROR), "a cancellation is not a store error");
    }
  }

  /**
   * A load in flight for {@code hungAfter} (default: maxWait) is presumed hung, as nginx's proxy_cache_lock_age: the
   * next caller leads a new load instead of waiting for it and failing, as every caller did before, for ever.
   */
  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aLoadInFlightLongerThanHungAfterNoLongerHoldsTheKey(StoreKind kind) throws Exception {
    try (StoreFixture<String> f = kind.open(ticker)) {
      SingleFlight<String, String> singleFlight = SingleFlight.builder(f.store,
          new StoreFill<>(f.store, counters, Ttl.fixed(TTL))).metrics(counters).ticker(ticker)
          .maxWait(Duration.ofSeconds(5)).build();
      CountDownLatch started = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      CompletableFuture<String> hung = CompletableFuture.supplyAsync(() -> singleFlight.fill("k", null, 0, key -> {
        started.countDown();
        release.await();
        return "late";
      }), pool);
      assertTrue(started.await(5, TimeUnit.SECONDS));
      ticker.advance(Duration.ofSeconds(5).minusNanos(1));
      assertEquals(1, singleFlight.inFlight());
      ticker.advance(1);
      long start = System.nanoTime();
      assertEquals("k@v1", singleFlight.fill("k", null, 0, db), "a new load, not a wait on the hung one");
      assertTrue(System.nanoTime() - start < Duration.ofSeconds(4).toNanos(), "did not wait maxWait");
      assertEquals("k@v1", singleFlight.fill("k", null, 0, db), "the new load's value was written");
      assertEquals(0, counters.get(Event.WAIT_TIMED_OUT));
      release.countDown();
      assertEquals("late", hung.get(5, TimeUnit.SECONDS));
      assertEquals(0, singleFlight.inFlight());
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void nullKeysAndNullValuesAreClearErrors(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      SingleFlight<String, String> singleFlight = singleFlight(f.store, counters, Duration.ofSeconds(1));
      assertThrows(NullPointerException.class, () -> singleFlight.fill(null, null, 0, db));
      assertThrows(NullPointerException.class, () -> singleFlight.fill("k", null, 0, null));
      LoadException e = assertThrows(LoadException.class, () -> singleFlight.fill("k", null, 0, key -> null));
      assertTrue(e.getMessage().contains("returned null"), e.getMessage());
      assertNull(f.store.get("k"));
      assertEquals(0, singleFlight.inFlight());
    }
  }

  @Test
  void maxWaitMustBePositive() {
    try (StoreFixture<String> f = StoreKind.CAFFEINE.open(ticker)) {
      SingleFlight.Builder<String, String> builder = SingleFlight.builder(f.store, (key, seen, fence, loader) -> "v");
      assertThrows(IllegalArgumentException.class, () -> builder.maxWait(Duration.ZERO));
      assertThrows(IllegalArgumentException.class, () -> builder.maxWait(Duration.ofMillis(-1)));
    }
  }
}
