package stampede.strategies;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import stampede.core.CacheStore;
import stampede.core.Counters;
import stampede.core.Entry;
import stampede.core.Event;
import stampede.core.Loader;
import stampede.core.StoreFill;
import stampede.testkit.ManualExecutor;
import stampede.testkit.ManualTicker;
import stampede.testkit.RacingStore;
import stampede.testkit.StoreFixture;
import stampede.testkit.StoreKind;

/**
 * Hot-key protection as users run it, the policy of a read path and the TTL of its fill, on Caffeine and a real
 * Redis: keys turn hot over counting windows, hot keys are written with the longer TTL and pre-warmed before expiry
 * with one refresh in flight, so under sustained load they never expire; a pre-warm overtaken, refused or failed is
 * handled; tracking stays bounded and keeps the hottest keys.
 */
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
  private HotKeyProtection<String, String> hot;

  private HotKeyProtection.Builder<String, String> builder() {
    return HotKeyProtection.<String, String>builder(TTL).metrics(counters).ticker(ticker)
        .hotAt(THRESHOLD, SECOND).hotTtlMultiplier(3.0).prewarmWindow(Duration.ofSeconds(2));
  }

  /** The read path of the javadoc: {@code hot} decides when to load and how long a value lives. */
  private CacheAside<String, String> strategy(CacheStore<String, String> store, int maxTrackedKeys,
      Executor refresher) {
    hot = builder().maxTrackedKeys(maxTrackedKeys).build();
    return CacheAside.builder(store, new StoreFill<>(store, counters, hot)).metrics(counters)
        .policy(hot, refresher).build();
  }

  private CacheAside<String, String> strategy(CacheStore<String, String> store, int maxTrackedKeys) {
    return strategy(store, maxTrackedKeys, executor);
  }

  private static long ttlOf(CacheStore<String, String> store, String key) {
    Entry<String> e = store.get(key);
    return e.expireTime() - e.writeTime();
  }

  private void requests(CacheAside<String, String> s, String key, int n) {
    for (int i = 0; i < n; i++) {
      s.get(key, db);
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aKeyBecomesHotAtTheThresholdAndIsReportedOncePerTurn(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      CacheAside<String, String> s = strategy(f.store, 100);
      requests(s, "k", THRESHOLD - 1);
      assertFalse(hot.isHot("k"));
      requests(s, "k", 1);
      assertTrue(hot.isHot("k"));
      requests(s, "k", 20);
      assertEquals(1, counters.get(Event.HOT_KEY));
      ticker.advance(SECOND);
      assertTrue(hot.isHot("k"), "still hot in the next window (last window's count)");
      ticker.advance(SECOND);
      assertFalse(hot.isHot("k"), "a window without requests: cold again");
      requests(s, "k", THRESHOLD);
      assertEquals(2, counters.get(Event.HOT_KEY), "turned hot again");
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void hotKeysGetTheLongerTtlAndColdKeysTheNormalOne(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      CacheAside<String, String> s = strategy(f.store, 100);
      assertEquals("cold@v1", s.get("cold", db));
      assertEquals(TTL.toNanos(), ttlOf(f.store, "cold"));
      requests(s, "hot", THRESHOLD);
      assertEquals(TTL.toNanos(), ttlOf(f.store, "hot"), "loaded on its first request, while cold");
      f.store.invalidate("hot");
      assertEquals("hot@v3", s.get("hot", db));
      assertEquals(HOT_TTL.toNanos(), ttlOf(f.store, "hot"));
      assertEquals(HOT_TTL.toNanos(), hot.nanos("hot"));
      assertEquals(TTL.toNanos(), hot.nanos("cold"));
      ticker.advance(TTL.minusSeconds(1));
      s.get("cold", db);
      assertEquals(0, executor.pending(), "a cold key near expiry is not pre-warmed");
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aHotKeyIsPrewarmedBeforeExpiryWithOneRefreshInFlight(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      CacheAside<String, String> s = strategy(f.store, 100);
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
      CacheAside<String, String> s = strategy(store, 100);
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
    try (StoreFixture<String> f = StoreKind.CAFFEINE.open(ticker)) {
      AtomicBoolean full = new AtomicBoolean(true);
      CacheAside<String, String> s = strategy(f.store, 100, task -> {
        if (full.get()) {
          throw new RejectedExecutionException("queue full");
        }
        executor.execute(task);
      });
      requests(s, "hot", THRESHOLD);
      ticker.advance(Duration.ofMillis(8500));
      requests(s, "hot", THRESHOLD - 1);
      assertEquals("hot@v1", s.get("hot", db), "the caller is served the cached value");
      assertEquals(1, counters.get(Event.REFRESH_REJECTED), "the refused pre-warm is counted as rejected");
      assertEquals(0, counters.get(Event.REFRESH_FAILED), "nothing was loaded, so nothing failed");
      full.set(false);
      assertEquals("hot@v1", s.get("hot", db));
      assertEquals(1, executor.runAll(), "the next hit pre-warms");
      assertEquals("hot@v2", f.store.get("hot").value());
    }
  }

  @Test
  void aFailedPrewarmKeepsTheOldValueAndTheNextHitRetries() {
    try (StoreFixture<String> f = StoreKind.CAFFEINE.open(ticker)) {
      CacheAside<String, String> s = strategy(f.store, 100);
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
      assertEquals("hot@v2", f.store.get("hot").value());
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void trackingStaysBoundedAndKeepsTheHotKeys(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      CacheAside<String, String> s = strategy(f.store, 50);
      requests(s, "hot", THRESHOLD);
      for (int i = 0; i < 400; i++) {
        s.get("cold" + i, db);
        if (i % 10 == 0) {
          s.get("hot", db);
        }
        assertTrue(hot.trackedKeys() <= 50, "tracked " + hot.trackedKeys());
      }
      assertTrue(hot.isHot("hot"), "the coldest keys were dropped, not the hottest");
      assertEquals(List.of("hot"), hot.hottest(1));
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void hottestListsTheBusiestKeysFirst(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      CacheAside<String, String> s = strategy(f.store, 100);
      requests(s, "a", 7);
      requests(s, "b", 3);
      requests(s, "c", 5);
      assertEquals(List.of("a", "c"), hot.hottest(2));
      assertEquals(List.of("a", "c", "b"), hot.hottest(10));
      ticker.advance(SECOND);
      requests(s, "b", 1);
      assertEquals(List.of("b", "a", "c"), hot.hottest(3), "this window first, then the last");
      ticker.advance(SECOND.multipliedBy(2));
      assertEquals(List.of(), hot.hottest(3), "nothing in this or the last window");
    }
  }

  @Test
  void badInputIsAClearError() {
    try (StoreFixture<String> f = StoreKind.CAFFEINE.open(ticker)) {
      CacheAside<String, String> s = strategy(f.store, 10);
      assertThrows(NullPointerException.class, () -> s.get(null, db));
      assertThrows(NullPointerException.class, () -> s.get("k", null));
      Duration two = Duration.ofSeconds(2);
      List<UnaryOperator<HotKeyProtection.Builder<String, String>>> bad = List.of(
          b -> b.hotAt(0, SECOND),
          b -> b.hotTtlMultiplier(0.5),
          b -> b.hotTtlMultiplier(Double.NaN),
          b -> b.prewarmWindow(HOT_TTL),
          b -> b.hotAt(5, Duration.ZERO),
          b -> b.maxTrackedKeys(0));
      for (UnaryOperator<HotKeyProtection.Builder<String, String>> setting : bad) {
        assertThrows(IllegalArgumentException.class, () -> setting.apply(builder().prewarmWindow(two)).build());
      }
      assertThrows(IllegalArgumentException.class, () -> HotKeyProtection.builder(Duration.ZERO).build());
    }
  }
}
