package stampede.strategies;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import stampede.core.Counters;
import stampede.core.Entry;
import stampede.core.Event;
import stampede.core.LoadException;
import stampede.core.Loader;
import stampede.core.ManualTicker;
import stampede.core.testing.StoreFixture;
import stampede.core.testing.StoreKind;

/**
 * The stampede itself: 64 callers hit one expired key at once. The naive baseline calls the loader (nearly)
 * once per caller; single flight calls it exactly once. On Caffeine and on a real Redis.
 */
class StampedeTest {
  private static final int CALLERS = 64;
  private static final Duration TTL = Duration.ofSeconds(10);
  private final ManualTicker ticker = new ManualTicker();
  private final Counters counters = new Counters();
  private final AtomicInteger loads = new AtomicInteger();

  /** A "database" read that takes 200 ms (parked, not spinning), long enough for every caller to miss. */
  private final Loader<String, String> slowDb = key -> {
    int n = loads.incrementAndGet();
    Thread.sleep(200);
    return key + "@v" + n;
  };

  private void expiredEntry(StoreFixture<String> f) {
    long now = ticker.read();
    f.store.put("hot", new Entry<>("old", now, now + TTL.toNanos(), 0, 0));
    ticker.advance(TTL.plusSeconds(1));
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void cacheAsideStampedes(StoreKind kind) throws Exception {
    try (StoreFixture<String> f = kind.open(ticker)) {
      expiredEntry(f);
      CacheAside<String, String> strategy = new CacheAside<>(f.store, ticker, counters, TTL);
      List<Object> results = Callers.run(CALLERS, () -> strategy.get("hot", slowDb));
      results.forEach(r -> assertInstanceOf(String.class, r));
      assertTrue(loads.get() >= CALLERS / 2, "the baseline stampedes: " + loads.get() + " loads");
      assertEquals(loads.get(), counters.get(Event.LOAD_STARTED));
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void singleFlightLoadsExactlyOnce(StoreKind kind) throws Exception {
    try (StoreFixture<String> f = kind.open(ticker)) {
      expiredEntry(f);
      SingleFlight<String, String> strategy =
          new SingleFlight<>(f.store, ticker, counters, TTL, Duration.ofSeconds(5));
      List<Object> results = Callers.run(CALLERS, () -> strategy.get("hot", slowDb));
      assertEquals(1, loads.get(), "one load for " + CALLERS + " callers");
      results.forEach(r -> assertEquals("hot@v1", r));
      assertEquals(CALLERS, counters.get(Event.MISS) + counters.get(Event.HIT));
      assertEquals(0, strategy.inFlight());
      assertEquals("hot@v1", f.store.get("hot").value());
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void singleFlightSharesOneErrorWithEveryWaiterAndCachesNothing(StoreKind kind) throws Exception {
    try (StoreFixture<String> f = kind.open(ticker)) {
      SingleFlight<String, String> strategy =
          new SingleFlight<>(f.store, ticker, counters, TTL, Duration.ofSeconds(5));
      IllegalStateException dbDown = new IllegalStateException("db down");
      List<Object> results = Callers.run(CALLERS, () -> strategy.get("k", key -> {
        loads.incrementAndGet();
        Thread.sleep(200);
        throw dbDown;
      }));
      assertEquals(1, loads.get(), "the failing load ran once");
      for (Object r : results) {
        LoadException e = assertInstanceOf(LoadException.class, r);
        assertSame(dbDown, e.getCause(), "every waiter sees the loader's own error");
      }
      assertNull(f.store.get("k"), "the error is not cached");
      assertEquals(0, strategy.inFlight(), "the in-flight entry is removed");
      assertEquals("k@v2", strategy.get("k", slowDb), "the next call loads again");
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aWaiterStopsWaitingForAHungLoader(StoreKind kind) throws Exception {
    try (StoreFixture<String> f = kind.open(ticker)) {
      SingleFlight<String, String> strategy =
          new SingleFlight<>(f.store, ticker, counters, TTL, Duration.ofMillis(100));
      java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
      Thread leader = new Thread(() -> strategy.get("k", key -> {
        release.await();
        return "late";
      }));
      leader.start();
      while (strategy.inFlight() == 0) {
        Thread.onSpinWait();
      }
      long start = System.nanoTime();
      LoadException e = assertThrows(LoadException.class, () -> strategy.get("k", slowDb));
      assertTrue(e.getMessage().contains("gave up waiting"), e.getMessage());
      assertTrue(System.nanoTime() - start < Duration.ofSeconds(2).toNanos());
      release.countDown();
      leader.join(5_000);
      assertEquals("late", f.store.get("k").value(), "the hung load, once done, is still written");
      assertEquals(0, loads.get());
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void nullKeysAndNullValuesAreClearErrors(StoreKind kind) throws Exception {
    try (StoreFixture<String> f = kind.open(ticker)) {
      SingleFlight<String, String> sf = new SingleFlight<>(f.store, ticker, counters, TTL, Duration.ofSeconds(1));
      CacheAside<String, String> ca = new CacheAside<>(f.store, ticker, counters, TTL);
      assertThrows(NullPointerException.class, () -> sf.get(null, slowDb));
      assertThrows(NullPointerException.class, () -> ca.get(null, slowDb));
      assertThrows(NullPointerException.class, () -> ca.get("k", null));
      LoadException e = assertThrows(LoadException.class, () -> sf.get("k", key -> null));
      assertTrue(e.getMessage().contains("returned null"), e.getMessage());
      assertNull(f.store.get("k"));
    }
  }
}
