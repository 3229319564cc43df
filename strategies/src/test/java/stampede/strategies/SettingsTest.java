package stampede.strategies;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import stampede.core.CacheStore;
import stampede.core.Counters;
import stampede.core.Event;
import stampede.core.Fill;
import stampede.core.Loader;
import stampede.core.Metrics;
import stampede.core.RejectedException;
import stampede.core.StoreFill;
import stampede.core.Ttl;
import stampede.testkit.ManualExecutor;
import stampede.testkit.ManualTicker;
import stampede.testkit.StoreFixture;
import stampede.testkit.StoreKind;

/**
 * Issue 18, item 9: builders and constructors reject settings that cannot work, each with a message that starts with
 * the setting it names: durations whose nanoseconds overflow a long, products of settings (a hot TTL of 3 h x 1e6
 * was accepted, and after the hot key was invalidated 10 of 10 reads failed with "expireTime -9223... before
 * writeTime" after a successful load), fractions and thresholds out of range. Before, most settings were checked
 * together, with one message listing them all; a duration over 292 years failed with "long overflow".
 */
class SettingsTest {
  private static final Duration SECOND = Duration.ofSeconds(1);
  private static final Duration CENTURIES = Duration.ofDays(365L * 300); // 300 years: nanos overflow a long
  private final ManualTicker ticker = new ManualTicker();
  private final Counters counters = new Counters();
  private final List<String> wrong = new ArrayList<>();

  @Test
  void everyRejectedSettingIsNamedByItsMessage() {
    try (StoreFixture<String> f = StoreKind.CAFFEINE.open(ticker)) {
      CacheStore<String, String> store = f.store;
      Fill<String, String> fill = new StoreFill<>(store, counters, Ttl.fixed(SECOND));
      // HotKeyProtection
      rejects("ttl x hotTtlMultiplier", () -> hot(Duration.ofHours(3)).hotTtlMultiplier(1e6).build());
      rejects("ttl", () -> hot(Duration.ZERO).build());
      rejects("ttl", () -> hot(CENTURIES).build());
      rejects("hotTtlMultiplier", () -> hot(SECOND).hotTtlMultiplier(0.5).build());
      rejects("hotTtlMultiplier", () -> hot(SECOND).hotTtlMultiplier(Double.NaN).build());
      rejects("hotThreshold", () -> hot(SECOND).hotAt(0, SECOND).build());
      rejects("window", () -> hot(SECOND).hotAt(5, Duration.ZERO).build());
      rejects("window", () -> hot(SECOND).hotAt(5, CENTURIES).build());
      rejects("prewarmWindow", () -> hot(SECOND).prewarmWindow(Duration.ofSeconds(4)).build());
      rejects("prewarmWindow", () -> hot(SECOND).prewarmWindow(Duration.ZERO).build());
      rejects("maxTrackedKeys", () -> hot(SECOND).maxTrackedKeys(0).build());
      // Monitoring
      rejects("missStorm misses", () -> Monitoring.builder(counters).missStorm(0, SECOND).build());
      rejects("missStorm window", () -> Monitoring.builder(counters).missStorm(1, Duration.ZERO).build());
      rejects("missStorm window", () -> Monitoring.builder(counters).missStorm(1, CENTURIES).build());
      rejects("maxTrackedKeys", () -> Monitoring.builder(counters).maxTrackedKeys(0).build());
      rejects("hitRatio threshold", () -> Monitoring.builder(counters).hitRatio(0, SECOND, 1).build());
      rejects("hitRatio threshold", () -> Monitoring.builder(counters).hitRatio(Double.NaN, SECOND, 1).build());
      rejects("hitRatio window", () -> Monitoring.builder(counters).hitRatio(0.5, CENTURIES, 1).build());
      rejects("hitRatio minRequests", () -> Monitoring.builder(counters).hitRatio(0.5, SECOND, 0).build());
      rejects("databasePool size", () -> Monitoring.builder(counters).databasePool(-1, 1).build());
      rejects("databasePool alertAt", () -> Monitoring.builder(counters).databasePool(10, 1.5).build());
      // BackgroundRefresh
      rejects("refreshWindow", () -> refresher(store, fill).refreshWindow(Duration.ZERO).build());
      rejects("refreshWindow", () -> refresher(store, fill).refreshWindow(CENTURIES).build());
      rejects("initialBackoff", () -> refresher(store, fill).backoff(Duration.ZERO, SECOND).build());
      rejects("maxBackoff", () -> refresher(store, fill).backoff(SECOND.multipliedBy(2), SECOND).build());
      rejects("maxBackoff", () -> refresher(store, fill).backoff(SECOND, CENTURIES).build());
      rejects("forgetAfter", () -> refresher(store, fill).forgetAfter(Duration.ofSeconds(-1)).build());
      rejects("maxTrackedKeys", () -> refresher(store, fill).maxTrackedKeys(0).build());
      // CacheAside
      rejects("staleIfError", () -> CacheAside.builder(store, fill).staleIfError(Duration.ofSeconds(-1)));
      rejects("staleIfError", () -> CacheAside.builder(store, fill).staleIfError(CENTURIES));
      rejects("refreshHungAfter", () -> CacheAside.builder(store, fill).refreshHungAfter(Duration.ZERO));
      rejects("refreshHungAfter", () -> CacheAside.builder(store, fill).refreshHungAfter(CENTURIES));
      rejects("maxRefreshing", () -> CacheAside.builder(store, fill).maxRefreshing(0));
      // StaleWhileRevalidate, ProbabilisticEarlyExpiration, TtlJitter, RateLimited
      rejects("staleWhileRevalidate", () -> new StaleWhileRevalidate<String, String>(Duration.ofSeconds(-1)));
      rejects("staleWhileRevalidate", () -> new StaleWhileRevalidate<String, String>(CENTURIES));
      rejects("random", () -> new ProbabilisticEarlyExpiration<String, String>(null, 1));
      rejects("beta", () -> new ProbabilisticEarlyExpiration<String, String>(() -> 0.5, 0));
      rejects("beta", () -> new ProbabilisticEarlyExpiration<String, String>(() -> 0.5, Double.POSITIVE_INFINITY));
      rejects("base", () -> new TtlJitter<String>(Duration.ZERO, 0.1, () -> 0.5));
      rejects("base", () -> new TtlJitter<String>(CENTURIES, 0.1, () -> 0.5));
      rejects("base", () -> new TtlJitter<String>(Duration.ofDays(365L * 100), 0.9, () -> 0.5)); // 190 years
      rejects("fraction", () -> new TtlJitter<String>(SECOND, 1.0, () -> 0.5));
      rejects("fraction", () -> new TtlJitter<String>(SECOND, Double.NaN, () -> 0.5));
      rejects("burst", () -> RateLimited.builder(fill, () -> "client").limit(0, 1));
      rejects("loadsPerSecond", () -> RateLimited.builder(fill, () -> "client").limit(1, 0));
      rejects("loadsPerSecond", () -> RateLimited.builder(fill, () -> "client").limit(1, Double.NaN));
      // CircuitBreaker, LoadShedder (issue 19: builders instead of positional constructors)
      rejects("failureThreshold", () -> CircuitBreaker.builder(fill).failureThreshold(0).build());
      rejects("openFor", () -> CircuitBreaker.builder(fill).openFor(Duration.ZERO).build());
      rejects("openFor", () -> CircuitBreaker.builder(fill).openFor(Duration.ofSeconds(-1)).build());
      rejects("openFor", () -> CircuitBreaker.builder(fill).openFor(CENTURIES).build());
      rejects("maxConcurrentLoads", () -> LoadShedder.builder(fill).maxConcurrentLoads(0).build());
      rejects("maxQueueWait", () -> LoadShedder.builder(fill).maxQueueWait(Duration.ofMillis(-1)).build());
      rejects("maxQueueWait", () -> LoadShedder.builder(fill).maxQueueWait(CENTURIES).build());
      // PriorityShedder, AdaptiveLimit (issue 22)
      rejects("shares", () -> PriorityShedder.builder(fill).shares(50, 60, 10).build());
      rejects("share of BULK", () -> PriorityShedder.builder(fill).shares(10, 10, -1).build());
      rejects("limit", () -> PriorityShedder.builder(fill).limit(0).build());
      rejects("maxQueueWait of CRITICAL", () -> PriorityShedder.builder(fill)
          .maxQueueWait(PriorityShedder.Priority.CRITICAL, Duration.ofMillis(-1)).build());
      rejects("maxQueueWait of BULK", () -> PriorityShedder.builder(fill)
          .maxQueueWait(PriorityShedder.Priority.BULK, CENTURIES).build());
      rejects("ceiling", () -> AdaptiveLimit.builder(0).build());
      rejects("initial", () -> AdaptiveLimit.builder(5).initial(6).build());
      rejects("initial", () -> AdaptiveLimit.builder(5).minLimit(3).initial(2).build());
      rejects("minLimit", () -> AdaptiveLimit.builder(5).minLimit(0).build());
      rejects("tolerance", () -> AdaptiveLimit.builder(5).tolerance(Double.NaN).build());
      rejects("tolerance", () -> AdaptiveLimit.builder(5).tolerance(Double.POSITIVE_INFINITY).build());
      rejects("window", () -> AdaptiveLimit.builder(5).window(Duration.ofSeconds(-1), 1).build());
      rejects("window", () -> AdaptiveLimit.builder(5).window(CENTURIES, 1).build());
      rejects("minSamples", () -> AdaptiveLimit.builder(5).window(SECOND, 0).build());
      assertEquals(List.of(), wrong, "settings not rejected with a message that starts with their name");
    }
  }

  /**
   * The hot TTL at the largest accepted product (146 years) on a wall-clock reading: a hot key, invalidated, is
   * loaded and read again without an expiry that overflows.
   */
  @Test
  void theLongestAcceptedHotTtlWritesEntriesThatReadBack() {
    ManualTicker wall = new ManualTicker(1_800_000_000_000_000_000L); // 2027 as nanoseconds since the epoch
    try (StoreFixture<String> f = StoreKind.CAFFEINE.open(wall)) {
      HotKeyProtection<String, String> hot = HotKeyProtection.<String, String>builder(Duration.ofDays(365))
          .ticker(wall).hotAt(2, SECOND).hotTtlMultiplier(146).build();
      CacheAside<String, String> path = CacheAside.builder(f.store, new StoreFill<>(f.store, counters, hot))
          .metrics(counters).policy(hot, new ManualExecutor()).build();
      Loader<String, String> db = key -> key + "@db";
      path.get("k", db);
      path.get("k", db); // hot
      f.store.invalidate("k");
      for (int i = 0; i < 10; i++) {
        assertEquals("k@db", path.get("k", db));
      }
      assertTrue(f.store.get("k").expireTime() > wall.read(), "expires in 146 years");
    }
  }

  /**
   * A failed refresh's retry time ({@code now + backoff}) overflowed to the past with a long backoff on a large
   * clock reading, and the key was retried at once instead of backing off. It saturates.
   */
  @Test
  void aBackoffThatWouldOverflowTheClockWaitsInsteadOfRetryingAtOnce() {
    ManualTicker wall = new ManualTicker(1_800_000_000_000_000_000L);
    try (StoreFixture<String> f = StoreKind.CAFFEINE.open(wall)) {
      ManualExecutor executor = new ManualExecutor();
      AtomicBoolean down = new AtomicBoolean();
      Loader<String, String> db = key -> {
        if (down.get()) {
          throw new IllegalStateException("db down");
        }
        return key + "@db";
      };
      Duration years250 = Duration.ofDays(365L * 250);
      BackgroundRefresh<String, String> refresher = BackgroundRefresh.builder(f.store,
          new StoreFill<>(f.store, counters, Ttl.fixed(Duration.ofMinutes(1))), executor).metrics(counters)
          .ticker(wall).refreshWindow(Duration.ofSeconds(30)).backoff(years250, years250).build();
      refresher.get("k", db);
      wall.advance(Duration.ofSeconds(31)); // due
      down.set(true);
      assertEquals(1, refresher.refreshDue());
      executor.runAll();
      assertEquals(1, counters.get(Event.REFRESH_FAILED));
      wall.advance(SECOND);
      assertEquals(0, refresher.refreshDue(), "backing off for 250 years, not retried at once");
    }
  }

  /** Records in {@link #wrong} unless {@code build} throws an IllegalArgumentException whose message starts with it. */
  private void rejects(String setting, Executable build) {
    try {
      build.execute();
      wrong.add(setting + ": accepted");
    } catch (IllegalArgumentException e) {
      if (e.getMessage() == null || !e.getMessage().startsWith(setting + " ")) {
        wrong.add(setting + ": " + e.getMessage());
      }
    } catch (Throwable t) {
      wrong.add(setting + ": " + t);
    }
  }

  private HotKeyProtection.Builder<String, String> hot(Duration ttl) {
    return HotKeyProtection.<String, String>builder(ttl).ticker(ticker).metrics(Metrics.none());
  }

  private BackgroundRefresh.Builder<String, String> refresher(CacheStore<String, String> store,
      Fill<String, String> fill) {
    return BackgroundRefresh.builder(store, fill, new ManualExecutor()).ticker(ticker);
  }

  @Test
  void nullSettingsAreNamed() {
    NullPointerException e = assertThrows(NullPointerException.class,
        () -> new TtlJitter<String>(null, 0.1, () -> 0.5));
    assertEquals("base", e.getMessage());
    Fill<String, String> fill = (key, seen, fence, loader) -> key; // never called
    assertEquals("fill", assertThrows(NullPointerException.class, () -> CircuitBreaker.builder(null)).getMessage());
    assertEquals("openFor",
        assertThrows(NullPointerException.class, () -> CircuitBreaker.builder(fill).openFor(null)).getMessage());
    assertEquals("fill", assertThrows(NullPointerException.class, () -> LoadShedder.builder(null)).getMessage());
    assertEquals("maxQueueWait",
        assertThrows(NullPointerException.class, () -> LoadShedder.builder(fill).maxQueueWait(null)).getMessage());
  }

  /** The documented defaults: 5 failures open the breaker for 5 s; 10 loads at once, the 11th shed at once. */
  @Test
  void breakerAndShedderDefaultsAreTheDocumentedOnes() throws Exception {
    try (StoreFixture<String> f = StoreKind.CAFFEINE.open(ticker)) {
      CircuitBreaker<String, String> breaker = CircuitBreaker.<String, String>builder(
          new StoreFill<>(f.store, counters, Ttl.fixed(SECOND))).ticker(ticker).build();
      Loader<String, String> failing = key -> {
        throw new IllegalStateException("db down");
      };
      for (int i = 0; i < 4; i++) {
        assertThrows(RuntimeException.class, () -> breaker.fill("k", null, 0, failing));
      }
      assertEquals(CircuitBreaker.State.CLOSED, breaker.state(), "4 failures");
      assertThrows(RuntimeException.class, () -> breaker.fill("k", null, 0, failing));
      assertEquals(CircuitBreaker.State.OPEN, breaker.state(), "5 failures");
      ticker.advance(Duration.ofMillis(4_999));
      assertEquals(CircuitBreaker.State.OPEN, breaker.state());
      ticker.advance(Duration.ofMillis(1));
      assertEquals(CircuitBreaker.State.HALF_OPEN, breaker.state(), "after 5 s");
    }
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch started = new CountDownLatch(10);
    LoadShedder<String, String> shedder = LoadShedder.<String, String>builder((key, seen, fence, loader) -> {
      started.countDown();
      try {
        release.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return key;
    }).build();
    List<Thread> loads = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      Thread t = new Thread(() -> shedder.fill("k", null, 0, key -> key));
      t.start();
      loads.add(t);
    }
    assertTrue(started.await(10, TimeUnit.SECONDS), "10 loads started");
    assertEquals(10, shedder.loadsInFlight());
    assertThrows(RejectedException.class, () -> shedder.fill("k", null, 0, key -> key), "11th");
    release.countDown();
    for (Thread t : loads) {
      t.join();
    }
    assertEquals(0, shedder.loadsInFlight());
  }
}
