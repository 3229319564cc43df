package stampede.strategies;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import stampede.core.CacheStore;
import stampede.core.Counters;
import stampede.core.Event;
import stampede.core.LoadException;
import stampede.core.Loader;
import stampede.core.StoreFill;
import stampede.core.Ttl;
import stampede.testkit.Callers;
import stampede.testkit.ManualExecutor;
import stampede.testkit.ManualTicker;
import stampede.testkit.RacingStore;
import stampede.testkit.StoreFixture;
import stampede.testkit.StoreKind;

/**
 * Stale-while-revalidate as users run it, the policy of a read path with stale-if-error, on Caffeine and a real
 * Redis: just-stale reads are served at once while one refresh per key runs; a read overtaken by a finished refresh
 * does not load again; a failed or refused refresh keeps the old value and the next stale read tries again; past the
 * bound the read loads in line, and stale-if-error answers a failed load within its own bound only.
 */
class StaleWhileRevalidateTest {
  private static final Duration TTL = Duration.ofSeconds(10);
  private static final Duration SWR = Duration.ofSeconds(5);
  private static final Duration SIE = Duration.ofSeconds(30); // the fixtures retain stale entries for 1 min
  private final ManualTicker ticker = new ManualTicker();
  private final Counters counters = new Counters();
  private final ManualExecutor executor = new ManualExecutor();
  private final AtomicInteger loads = new AtomicInteger();
  private final AtomicBoolean dbDown = new AtomicBoolean();
  private final IllegalStateException down = new IllegalStateException("db down");
  private final Loader<String, String> db = key -> {
    loads.incrementAndGet();
    if (dbDown.get()) {
      throw down;
    }
    return key + "@v" + loads.get();
  };

  private CacheAside<String, String> swr(CacheStore<String, String> store, Executor refresher) {
    return CacheAside.builder(store, new StoreFill<>(store, counters, Ttl.fixed(TTL))).metrics(counters)
        .policy(new StaleWhileRevalidate<>(SWR), refresher).staleIfError(SIE).build();
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void manyStaleReadsServeAtOnceAndStartOneRefresh(StoreKind kind) throws Exception {
    try (StoreFixture<String> f = kind.open(ticker)) {
      CacheAside<String, String> swr = swr(f.store, executor);
      assertEquals("k@v1", swr.get("k", db));
      ticker.advance(TTL.plusSeconds(1));
      List<Object> results = Callers.run(32, () -> swr.get("k", db));
      results.forEach(r -> assertEquals("k@v1", r, "the stale value, without waiting"));
      assertEquals(1, loads.get(), "nothing loaded in line");
      assertEquals(1, executor.pending(), "one refresh for 32 stale reads");
      assertEquals(32, counters.get(Event.STALE_SERVED));
      executor.runAll();
      assertEquals(2, loads.get());
      assertEquals(0, swr.refreshing());
      assertEquals("k@v2", swr.get("k", db), "the refreshed value is fresh");
      assertEquals(1, counters.get(Event.HIT));
      assertEquals(1, counters.get(Event.REFRESH_STARTED));
    }
  }

  /** Two callers read the same stale entry; the first one's refresh writes before the second asks for one. */
  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aStaleReadOvertakenByAFinishedRefreshDoesNotLoadAgain(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      RacingStore<String, String> store = new RacingStore<>(f.store);
      CacheAside<String, String> swr = swr(store, executor);
      swr.get("k", db);
      ticker.advance(TTL.plusSeconds(1));
      assertEquals("k@v1", swr.get("k", db), "first caller: stale served, refresh queued");
      store.afterNextGet(executor::runAll); // the second caller reads v1, then the first refresh runs and writes
      assertEquals("k@v1", swr.get("k", db), "second caller: the stale value it read");
      assertEquals("k@v2", f.store.get("k").value());
      executor.runAll();
      assertEquals(2, loads.get(), "one load for the expiry, not two");
      assertEquals(1, counters.get(Event.REFRESH_STARTED));
      assertEquals("k@v2", swr.get("k", db));
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aFailedRefreshKeepsTheOldValueAndTheNextStaleReadTriesAgain(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      CacheAside<String, String> swr = swr(f.store, executor);
      swr.get("k", db);
      ticker.advance(TTL.plusSeconds(1));
      dbDown.set(true);
      assertEquals("k@v1", swr.get("k", db));
      executor.runAll();
      assertEquals(1, counters.get(Event.REFRESH_FAILED));
      assertEquals("k@v1", f.store.get("k").value(), "the old value is kept");
      assertEquals(0, swr.refreshing(), "the refresh flag is cleared");
      assertEquals("k@v1", swr.get("k", db));
      assertEquals(1, executor.pending(), "a new refresh is queued");
      dbDown.set(false);
      executor.runAll();
      assertEquals("k@v3", swr.get("k", db));
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void pastTheStaleBoundItLoadsInLine(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      CacheAside<String, String> swr = swr(f.store, executor);
      swr.get("k", db);
      ticker.advance(TTL.plus(SWR));
      assertEquals("k@v1", swr.get("k", db), "stale for exactly staleWhileRevalidate: still served");
      executor.runAll();
      ticker.advance(TTL.plus(SWR).plusNanos(1));
      assertEquals("k@v3", swr.get("k", db), "stale beyond staleWhileRevalidate: loaded in line");
      assertEquals(0, executor.pending());
      assertEquals(2, counters.get(Event.MISS));
      assertEquals(1, counters.get(Event.STALE_SERVED));
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void staleIfErrorServesTheOldValueInsideItsBoundOnly(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      CacheAside<String, String> swr = swr(f.store, executor);
      swr.get("k", db);
      dbDown.set(true);
      ticker.advance(TTL.plus(SIE)); // stale for exactly staleIfError: still inside
      assertEquals("k@v1", swr.get("k", db), "stale-if-error");
      assertEquals(1, counters.get(Event.STALE_SERVED));
      assertEquals(1, counters.get(Event.LOAD_FAILED));
      ticker.advance(1);
      LoadException e = assertThrows(LoadException.class, () -> swr.get("k", db), "outside the bound");
      assertSame(down, e.getCause());
      assertThrows(LoadException.class, () -> swr.get("absent", db), "nothing stale to serve");
      assertNull(f.store.get("absent"));
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aRejectingExecutorStillServesStaleAndClearsTheFlag(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      AtomicBoolean full = new AtomicBoolean(true);
      CacheAside<String, String> swr = swr(f.store, task -> {
        if (full.get()) {
          throw new RejectedExecutionException("queue full");
        }
        executor.execute(task);
      });
      swr.get("k", db);
      ticker.advance(TTL.plusSeconds(1));
      assertEquals("k@v1", swr.get("k", db));
      assertEquals(1, counters.get(Event.REFRESH_REJECTED));
      assertEquals(0, swr.refreshing());
      full.set(false);
      assertEquals("k@v1", swr.get("k", db));
      assertEquals(1, executor.runAll(), "the next stale read refreshes");
      assertEquals("k@v2", swr.get("k", db));
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void badInput(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      CacheAside<String, String> swr = swr(f.store, executor);
      assertThrows(NullPointerException.class, () -> swr.get(null, db));
      assertThrows(NullPointerException.class, () -> swr.get("k", null));
      assertThrows(LoadException.class, () -> swr.get("k", key -> null));
      assertNull(f.store.get("k"));
      assertThrows(IllegalArgumentException.class, () -> new StaleWhileRevalidate<>(Duration.ofSeconds(-1)));
    }
  }
}
