package stampede.strategies;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import stampede.core.CacheStore;
import stampede.core.CaffeineStore;
import stampede.core.Counters;
import stampede.core.Entry;
import stampede.core.Event;
import stampede.core.Loader;
import stampede.core.ManualTicker;
import stampede.core.testing.ManualExecutor;
import stampede.core.testing.RacingStore;
import stampede.core.testing.StoreFixture;
import stampede.core.testing.StoreKind;

/** Hot keys: detected over windows, written with a longer TTL, pre-warmed so they never expire under load. */
class HotKeyProtectionTest {
  private static final Duration TTL = Duration.ofSeconds(10);
  private static final Duration HOT_TTL = TTL.multipliedBy(3);
  private static final Duration SECOND = Duration.ofSeconds(1);
  private static final int THRESHOLD = 5;
  private final ManualTicker ticker = new ManualTicker();
  private final ManualExecutor executor = new ManualExecutor();
  private final Counters counters = new Counters();
  private final AtomicInteger loads = new AtomicInteger();
  private final Loader<String, String> db = key -> key + "@v" + loads.incrementAndGet();

  private HotKeyProtection<String, String> strategy(CacheStore<String, String> store, int maxTrackedKeys) {
    return new HotKeyProtection<>(store, ticker, executor, counters, TTL, THRESHOLD, SECOND, 3.0,
        Duration.ofSeconds(2), maxTrackedKeys);
  }

  private static long ttlOf(CacheStore<String, String> store, String key) {
    Entry<String> e = store.get(key);
    return e.expireTime() - e.writeTime();
  }

  private void requests(HotKeyProtection<String, String> s, String key, int n) {
    for (int i = 0; i < n; i++) {
      s.get(key, db);
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aKeyBecomesHotAtTheThresholdAndIsReportedOncePerTurn(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      HotKeyProtection<String, String> s = strategy(f.store, 100);
      requests(s, "k", THRESHOLD - 1);
      assertFalse(s.isHot("k"));
      requests(s, "k", 1);
      assertTrue(s.isHot("k"));
      requests(s, "k", 20);
      assertEquals(1, counters.get(Event.HOT_KEY));
      ticker.advance(SECOND);
      assertTrue(s.isHot("k"), "still hot in the next window (last window's count)");
      ticker.advance(SECOND);
      assertFalse(s.isHot("k"), "a window without requests: cold again");
      requests(s, "k", THRESHOLD);
      assertEquals(2, counters.get(Event.HOT_KEY), "turned hot again");
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void hotKeysGetTheLongerTtlAndColdKeysTheNormalOne(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      HotKeyProtection<String, String> s = strategy(f.store, 100);
      assertEquals("cold@v1", s.get("cold", db));
      assertEquals(TTL.toNanos(), ttlOf(f.store, "cold"));
      requests(s, "hot", THRESHOLD);
      assertEquals(TTL.toNanos(), ttlOf(f.store, "hot"), "loaded on its first request, while cold");
      f.store.invalidate("hot");
      assertEquals("hot@v3", s.get("hot", db));
      assertEquals(HOT_TTL.toNanos(), ttlOf(f.store, "hot"));
      ticker.advance(TTL.minusSeconds(1));
      s.get("cold", db);
      assertEquals(0, executor.pending(), "a cold key near expiry is not pre-warmed");
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aHotKeyIsPrewarmedBeforeExpiryWithOneRefreshInFlight(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      HotKeyProtection<String, String> s = strategy(f.store, 100);
      requests(s, "hot", THRESHOLD); // one load at t=0, with the cold TTL (10 s)
      for (int t = 1; t <= 7; t++) {
        ticker.advance(SECOND);
        requests(s, "hot", THRESHOLD);
      }
      assertEquals(0, executor.pending(), "3 s before expiry: not yet");
      ticker.advance(SECOND); // 2 s before expiry: within prewarmWindow
      requests(s, "hot", 50);
      assertEquals(1, executor.pending(), "one refresh for 50 hits");
      assertEquals("hot@v1", s.get("hot", db), "the old value is served meanwhile");
      assertEquals(1, executor.runAll());
      assertEquals(1, counters.get(Event.REFRESH_STARTED));
      assertEquals(2, loads.get());
      assertEquals(HOT_TTL.toNanos(), ttlOf(f.store, "hot"), "refreshed with the hot TTL");
      for (int t = 0; t < 120; t++) { // two minutes of sustained load, background work run each second
        ticker.advance(SECOND);
        requests(s, "hot", THRESHOLD);
        executor.runAll();
      }
      assertEquals(1, counters.get(Event.MISS), "the hot key never expired");
      assertTrue(loads.get() >= 5 && loads.get() <= 7, "about one refresh per 28 s: " + loads.get());
    }
  }

  /** A hit that read the old entry just before another pre-warm wrote must not pre-warm (load) again. */
  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aHitOvertakenByAFinishedPrewarmDoesNotLoadAgain(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      RacingStore<String, String> store = new RacingStore<>(f.store);
      HotKeyProtection<String, String> s = strategy(store, 100);
      requests(s, "hot", 1); // loaded at t=0 with the cold TTL (10 s)
      ticker.advance(Duration.ofSeconds(8)); // 2 s before expiry: within prewarmWindow
      requests(s, "hot", THRESHOLD); // turns hot: the last of these hits queues a pre-warm
      assertEquals(1, executor.pending());
      store.afterNextGet(executor::runAll); // the next hit reads v1, then the pre-warm runs and writes
      assertEquals("hot@v1", s.get("hot", db));
      assertEquals("hot@v2", f.store.get("hot").value());
      executor.runAll();
      assertEquals(2, loads.get(), "one pre-warm load, not two");
      assertEquals(1, counters.get(Event.REFRESH_STARTED));
    }
  }

  @Test
  void aPrewarmRefusedByAFullExecutorIsRejectedAndTheNextHitRetries() {
    CaffeineStore<String, String> store = new CaffeineStore<>(ticker, Runnable::run, 1000, Duration.ofMinutes(1));
    java.util.concurrent.atomic.AtomicBoolean full = new java.util.concurrent.atomic.AtomicBoolean(true);
    java.util.concurrent.Executor bounded = task -> {
      if (full.get()) {
        throw new java.util.concurrent.RejectedExecutionException("queue full");
      }
      executor.execute(task);
    };
    HotKeyProtection<String, String> s = new HotKeyProtection<>(store, ticker, bounded, counters, TTL, THRESHOLD,
        SECOND, 3.0, Duration.ofSeconds(2), 100);
    requests(s, "hot", THRESHOLD);
    ticker.advance(Duration.ofMillis(8500));
    requests(s, "hot", THRESHOLD - 1);
    assertEquals("hot@v1", s.get("hot", db), "the caller is served the cached value");
    assertEquals(1, counters.get(Event.REJECTED), "the refused pre-warm is counted as rejected");
    assertEquals(0, counters.get(Event.REFRESH_FAILED), "nothing was loaded, so nothing failed");
    full.set(false);
    assertEquals("hot@v1", s.get("hot", db));
    assertEquals(1, executor.runAll(), "the next hit pre-warms");
    assertEquals("hot@v2", store.get("hot").value());
  }

  @Test
  void aFailedPrewarmKeepsTheOldValueAndTheNextHitRetries() {
    CaffeineStore<String, String> store = new CaffeineStore<>(ticker, Runnable::run, 1000, Duration.ofMinutes(1));
    HotKeyProtection<String, String> s = strategy(store, 100);
    requests(s, "hot", THRESHOLD);
    ticker.advance(Duration.ofMillis(8500));
    requests(s, "hot", THRESHOLD - 1);
    assertEquals("hot@v1", s.get("hot", key -> { // turns hot 1.5 s before expiry: pre-warms with this loader
      throw new IllegalStateException("db down");
    }));
    executor.runAll();
    assertEquals(1, counters.get(Event.REFRESH_FAILED));
    assertEquals("hot@v1", s.get("hot", db), "old value kept");
    assertEquals(1, executor.runAll(), "the next hit started another refresh");
    assertEquals("hot@v2", store.get("hot").value());
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void trackingStaysBoundedAndKeepsTheHotKeys(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      HotKeyProtection<String, String> s = strategy(f.store, 50);
      requests(s, "hot", THRESHOLD);
      for (int i = 0; i < 400; i++) {
        s.get("cold" + i, db);
        if (i % 10 == 0) {
          s.get("hot", db);
        }
        assertTrue(s.trackedKeys() <= 50, "tracked " + s.trackedKeys());
      }
      assertTrue(s.isHot("hot"), "the coldest keys were dropped, not the hottest");
      assertEquals(List.of("hot"), s.hottest(1));
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void hottestListsTheBusiestKeysFirst(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      HotKeyProtection<String, String> s = strategy(f.store, 100);
      requests(s, "a", 7);
      requests(s, "b", 3);
      requests(s, "c", 5);
      assertEquals(List.of("a", "c"), s.hottest(2));
      assertEquals(List.of("a", "c", "b"), s.hottest(10));
      ticker.advance(SECOND);
      requests(s, "b", 1);
      assertEquals(List.of("b", "a", "c"), s.hottest(3), "this window first, then the last");
      ticker.advance(SECOND.multipliedBy(2));
      assertEquals(List.of(), s.hottest(3), "nothing in this or the last window");
    }
  }

  @Test
  void badInputIsAClearError() {
    CaffeineStore<String, String> store = new CaffeineStore<>(ticker, Runnable::run, 1000, Duration.ofMinutes(1));
    HotKeyProtection<String, String> s = strategy(store, 10);
    assertThrows(NullPointerException.class, () -> s.get(null, db));
    assertThrows(NullPointerException.class, () -> s.get("k", null));
    Duration two = Duration.ofSeconds(2);
    assertThrows(IllegalArgumentException.class,
        () -> new HotKeyProtection<>(store, ticker, executor, counters, TTL, 0, SECOND, 3.0, two, 10));
    assertThrows(IllegalArgumentException.class,
        () -> new HotKeyProtection<>(store, ticker, executor, counters, TTL, 5, SECOND, 0.5, two, 10));
    assertThrows(IllegalArgumentException.class,
        () -> new HotKeyProtection<>(store, ticker, executor, counters, TTL, 5, SECOND, Double.NaN, two, 10));
    assertThrows(IllegalArgumentException.class,
        () -> new HotKeyProtection<>(store, ticker, executor, counters, TTL, 5, SECOND, 3.0, HOT_TTL, 10));
    assertThrows(IllegalArgumentException.class,
        () -> new HotKeyProtection<>(store, ticker, executor, counters, TTL, 5, Duration.ZERO, 3.0, two, 10));
    assertThrows(IllegalArgumentException.class,
        () -> new HotKeyProtection<>(store, ticker, executor, counters, TTL, 5, SECOND, 3.0, two, 0));
  }
}
