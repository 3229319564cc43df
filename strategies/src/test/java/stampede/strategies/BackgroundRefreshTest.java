package stampede.strategies;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.stream.IntStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import stampede.core.CacheStore;
import stampede.core.CorruptEntryException;
import stampede.core.Counters;
import stampede.core.Entry;
import stampede.core.Event;
import stampede.core.Loader;
import stampede.core.StoreException;
import stampede.core.StoreFill;
import stampede.core.Ticker;
import stampede.core.Ttl;
import stampede.testkit.CountingLoader;
import stampede.testkit.ManualExecutor;
import stampede.testkit.ManualTicker;
import stampede.testkit.RacingStore;
import stampede.testkit.StoreFixture;
import stampede.testkit.StoreKind;

/**
 * Refresh-ahead with cache warming, on Caffeine and a real Redis: a key read within the window is refreshed once
 * before it expires, so readers never miss; a read or {@code refreshDue} overtaken by a finished refresh does not
 * load again; a failed refresh keeps the value and backs off, doubling to the cap; warming loads up front and
 * {@code refreshDue} keeps warm keys fresh; a refusing executor is skipped and retried; tracking is bounded.
 */
class BackgroundRefreshTest {
  private static final Duration TTL = Duration.ofSeconds(60);
  private static final Duration WINDOW = Duration.ofSeconds(30);
  private static final Duration INITIAL = Duration.ofSeconds(1);
  private static final Duration MAX = Duration.ofSeconds(3);
  private final ManualTicker ticker = new ManualTicker();
  private final Counters counters = new Counters();
  private final ManualExecutor executor = new ManualExecutor();
  private final AtomicInteger loads = new AtomicInteger();
  private final AtomicBoolean dbDown = new AtomicBoolean();
  private final Loader<String, String> db = key -> {
    loads.incrementAndGet();
    if (dbDown.get()) {
      throw new IllegalStateException("db down");
    }
    return key + "@v" + loads.get();
  };

  private BackgroundRefresh.Builder<String, String> builder(CacheStore<String, String> store, Executor refresher) {
    return BackgroundRefresh.builder(store, new StoreFill<>(store, counters, Ttl.fixed(TTL)), refresher)
        .metrics(counters).ticker(ticker).refreshWindow(WINDOW).backoff(INITIAL, MAX);
  }

  private BackgroundRefresh<String, String> refresher(CacheStore<String, String> store, int maxTrackedKeys) {
    return builder(store, executor).maxTrackedKeys(maxTrackedKeys).build();
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aKeyReadInTheWindowIsRefreshedOnceBeforeItExpires(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      BackgroundRefresh<String, String> refresher = refresher(f.store, 100);
      assertEquals("k@v1", refresher.get("k", db));
      ticker.advance(Duration.ofSeconds(20));
      refresher.get("k", db);
      assertEquals(0, executor.pending(), "40 s left: outside the window");
      ticker.advance(Duration.ofSeconds(15));
      for (int i = 0; i < 50; i++) {
        assertEquals("k@v1", refresher.get("k", db));
      }
      assertEquals(1, executor.pending(), "one refresh for 50 reads");
      assertEquals(0, refresher.refreshDue(), "none while one is queued");
      executor.runAll();
      ticker.advance(Duration.ofSeconds(30)); // past the first value's expiry
      assertEquals("k@v2", refresher.get("k", db), "the reader never missed");
      assertEquals(1, counters.get(Event.MISS));
      assertEquals(1, counters.get(Event.REFRESH_STARTED));
    }
  }

  /** A read (or refreshDue) that saw the due entry just before another refresh wrote must not load again. */
  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aDueReadOvertakenByAFinishedRefreshDoesNotLoadAgain(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      RacingStore<String, String> store = new RacingStore<>(f.store);
      BackgroundRefresh<String, String> refresher = refresher(store, 100);
      refresher.get("k", db);
      ticker.advance(Duration.ofSeconds(35)); // 25 s left: due
      assertEquals("k@v1", refresher.get("k", db), "first reader: refresh queued");
      store.afterNextGet(executor::runAll); // the second reader reads v1, then the first refresh runs and writes
      assertEquals("k@v1", refresher.get("k", db));
      assertEquals("k@v2", f.store.get("k").value());
      executor.runAll();
      assertEquals(2, loads.get(), "a get() on the overtaken entry: no second load");
      ticker.advance(Duration.ofSeconds(35)); // v2 has 25 s left: due
      assertEquals("k@v2", refresher.get("k", db), "refresh queued");
      store.afterNextGet(executor::runAll); // refreshDue reads v2, then the queued refresh runs and writes
      refresher.refreshDue();
      executor.runAll();
      assertEquals(3, loads.get(), "refreshDue on the overtaken entry: no second load");
      assertEquals(2, counters.get(Event.REFRESH_STARTED));
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aFailedRefreshKeepsTheValueAndBacksOffDoublingToTheCap(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      BackgroundRefresh<String, String> refresher = refresher(f.store, 100);
      refresher.get("k", db);
      ticker.advance(Duration.ofSeconds(31)); // 29 s left: in the window
      dbDown.set(true);
      assertEquals(1, refresher.refreshDue());
      executor.runAll();
      assertEquals(1, counters.get(Event.REFRESH_FAILED));
      assertEquals("k@v1", refresher.get("k", db), "the old value is still served");
      // backoffs 1 s, 2 s, 3 s (capped), 3 s: no retry before each, one retry at it
      for (long backoffMillis : new long[] {1000, 2000, 3000, 3000}) {
        ticker.advance(Duration.ofMillis(backoffMillis - 1));
        assertEquals(0, refresher.refreshDue(), "backing off " + backoffMillis + " ms");
        refresher.get("k", db);
        assertEquals(0, executor.pending(), "a read does not retry during the backoff either");
        ticker.advance(Duration.ofMillis(1));
        assertEquals(1, refresher.refreshDue(), "retried after " + backoffMillis + " ms");
        executor.runAll();
      }
      assertEquals(5, counters.get(Event.REFRESH_FAILED));
      dbDown.set(false);
      ticker.advance(MAX);
      assertEquals(1, refresher.refreshDue());
      executor.runAll();
      assertEquals("k@v7", refresher.get("k", db), "the refresh succeeded");
      ticker.advance(Duration.ofSeconds(31));
      assertEquals(1, refresher.refreshDue(), "success reset the backoff: due at once in the next window");
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void warmLoadsUpFrontAndRefreshDueKeepsWarmKeysFresh(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      BackgroundRefresh<String, String> refresher = refresher(f.store, 100);
      assertEquals(3, refresher.warm(List.of("a", "b", "c"), db));
      assertEquals(0, refresher.warm(List.of("a", "b", "c"), db), "already fresh: nothing to load");
      assertEquals("a@v1", refresher.get("a", db));
      assertEquals(0, counters.get(Event.MISS), "warm keys hit");
      ticker.advance(Duration.ofSeconds(45));
      assertEquals(3, refresher.refreshDue());
      assertEquals(3, executor.runAll());
      ticker.advance(Duration.ofSeconds(20)); // past the warm values' expiry
      assertTrue(refresher.get("b", db).matches("b@v[456]"), "the refreshed value");
      assertEquals(0, counters.get(Event.MISS));
      f.store.invalidate("c");
      ticker.advance(Duration.ofSeconds(25)); // 15 s left on the refreshed values
      assertEquals(2, refresher.refreshDue(), "a key gone from the store is no longer refreshed");
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aRejectingExecutorSkipsAndTriesAgainAndTrackingIsBounded(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      AtomicBoolean full = new AtomicBoolean(true);
      BackgroundRefresh<String, String> refresher = builder(f.store, task -> {
        if (full.get()) {
          throw new RejectedExecutionException("queue full");
        }
        executor.execute(task);
      }).maxTrackedKeys(2).build();
      refresher.warm(List.of("a", "b", "c"), db);
      ticker.advance(Duration.ofSeconds(45));
      assertEquals(0, refresher.refreshDue());
      assertEquals(2, counters.get(Event.REFRESH_REJECTED), "two tracked keys, both rejected");
      full.set(false);
      assertEquals(2, refresher.refreshDue(), "tried again, only the 2 tracked keys");
      assertEquals("c@v3", refresher.get("c", db), "an untracked key is still served");
      assertEquals(0, refresher.refreshDue());
    }
  }

  /**
   * A refresh the executor dropped left the key marked "refreshing" for ever: never refreshed again, so it expired
   * and missed every TTL. The read path's mark holds for half the refresh window (15 s here), on this strategy's
   * ticker, so the next try still comes before expiry.
   */
  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aRefreshTheExecutorDroppedIsTriedAgainWithinTheWindow(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      AtomicBoolean drop = new AtomicBoolean(true);
      BackgroundRefresh<String, String> refresher = builder(f.store, task -> {
        if (!drop.get()) {
          executor.execute(task);
        }
      }).build();
      assertEquals("k@v1", refresher.get("k", db));
      ticker.advance(Duration.ofSeconds(31)); // 29 s left: due
      assertEquals(1, refresher.refreshDue(), "handed to the executor, which dropped it");
      drop.set(false);
      ticker.advance(Duration.ofSeconds(15).minusNanos(1));
      assertEquals(0, refresher.refreshDue(), "still marked refreshing");
      ticker.advance(1);
      assertEquals(1, refresher.refreshDue(), "half the window on, the mark no longer holds the key");
      assertEquals(1, executor.runAll());
      ticker.advance(Duration.ofSeconds(20)); // past the first value's expiry
      assertEquals("k@v2", refresher.get("k", db), "refreshed before it expired");
      assertEquals(1, counters.get(Event.MISS));
    }
  }

  /** Reads {@code keys} now and then, every 5 s for {@code seconds}, each tick a refreshDue and its refreshes. */
  private void run(BackgroundRefresh<String, String> refresher, Loader<String, String> loader, int seconds,
      String... keys) {
    for (int t = 0; t < seconds; t += 5) {
      for (String key : keys) {
        refresher.get(key, loader);
      }
      refresher.refreshDue();
      executor.runAll();
      ticker.advance(Duration.ofSeconds(5));
    }
  }

  /**
   * The first keys ever read were refreshed for ever, read or not (18 loads in 50 s of keys nobody read any more). A
   * key not read for {@code forgetAfter} (default 1 minute) is no longer refreshed; a key that is read never misses.
   */
  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aKeyNobodyReadsIsNoLongerRefreshedAfterForgetAfter(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      CountingLoader loader = new CountingLoader(ticker, 0);
      Counters busyMisses = new Counters();
      BackgroundRefresh<String, String> refresher = BackgroundRefresh.builder(f.store,
          new StoreFill<>(f.store, counters, Ttl.fixed(TTL)), executor).ticker(ticker).refreshWindow(WINDOW)
          .metrics((event, key) -> {
            if ("busy".equals(key)) {
              busyMisses.record(event, key);
            }
          }).build();
      refresher.get("idle", loader); // read once, at 0
      run(refresher, loader, 90, "busy");
      int idleLoads = loader.loadsOf("idle");
      assertTrue(idleLoads <= 3, "refreshed at 30 s and 60 s at most: " + idleLoads);
      run(refresher, loader, 300, "busy");
      assertEquals(idleLoads, loader.loadsOf("idle"), "not read for a minute: no longer refreshed");
      assertEquals(1, busyMisses.get(Event.MISS), "the key read every 5 s never missed after its first read");
      assertTrue(loader.loadsOf("busy") >= 12, "and was refreshed every TTL: " + loader.loadsOf("busy"));
    }
  }

  /** A full table of keys nobody reads any more no longer keeps a new hot key out: it was never tracked. */
  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aNewKeyIsTrackedOnceTheTableIsFullOfKeysNobodyReads(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      CountingLoader loader = new CountingLoader(ticker, 0);
      Counters hotMisses = new Counters();
      BackgroundRefresh<String, String> refresher = BackgroundRefresh.builder(f.store,
          new StoreFill<>(f.store, counters, Ttl.fixed(TTL)), executor).ticker(ticker).refreshWindow(WINDOW)
          .maxTrackedKeys(2).metrics((event, key) -> {
            if ("hot".equals(key)) {
              hotMisses.record(event, key);
            }
          }).build();
      refresher.get("a", loader);
      refresher.get("b", loader);
      run(refresher, loader, 120); // a and b are kept fresh, unread
      run(refresher, loader, 300, "hot");
      assertEquals(1, hotMisses.get(Event.MISS), "the new hot key is tracked and refreshed: one miss, its first read");
      assertTrue(loader.loadsOf("hot") >= 5, "refreshed every TTL: " + loader.loadsOf("hot"));
    }
  }

  /**
   * {@code refreshDue} read every tracked key from the store, one round trip each, one after another, at every call.
   * It reads only the keys whose last seen entry is due: a fresh key costs no round trip until it is.
   */
  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void refreshDueReadsTheStoreForDueKeysOnly(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      AtomicInteger reads = new AtomicInteger();
      CacheStore<String, String> counting = new CacheStore<>() {
        @Override
        public Entry<String> get(String key) {
          reads.incrementAndGet();
          return f.store.get(key);
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
      BackgroundRefresh<String, String> refresher = refresher(counting, 1000);
      for (int i = 0; i < 100; i++) {
        refresher.get("k" + i, db);
      }
      reads.set(0);
      for (int i = 0; i < 3; i++) {
        assertEquals(0, refresher.refreshDue());
      }
      assertEquals(100, reads.get(), "100 tracked keys, none due: each read once, to learn the expiry its load set");
      ticker.advance(Duration.ofSeconds(31));
      reads.set(0);
      assertEquals(100, refresher.refreshDue());
      assertEquals(100, reads.get(), "due: read once each");
      assertEquals(100, executor.runAll());
      reads.set(0);
      refresher.refreshDue();
      assertTrue(reads.get() <= 100, "each refreshed key read once to learn its new expiry: " + reads.get());
      reads.set(0);
      assertEquals(0, refresher.refreshDue());
      assertEquals(0, reads.get(), "then none again until due");
    }
  }

  /**
   * A hit reads no clock of its own (issue 11: one clock reading per hit, the read path's): it marks the key read,
   * and the next {@code refreshDue} turns the mark into a read time, so the key stays tracked while it is read.
   */
  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aHitReadsNoClockOfItsOwnAndRefreshDueStillSeesTheReads(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      AtomicInteger reads = new AtomicInteger();
      Ticker counted = () -> {
        reads.incrementAndGet();
        return ticker.read();
      };
      BackgroundRefresh<String, String> refresher = BackgroundRefresh.builder(f.store,
          new StoreFill<>(f.store, counters, Ttl.fixed(TTL)), executor).ticker(counted).refreshWindow(WINDOW)
          .forgetAfter(Duration.ofSeconds(20)).build();
      refresher.get("k", db); // a miss: the key is tracked (one reading for its first read time)
      int afterMiss = reads.get();
      for (int i = 0; i < 100; i++) {
        refresher.get("k", db);
      }
      assertEquals(afterMiss, reads.get(), "100 hits read the refresher's clock 0 times");
      for (int t = 0; t < 4; t++) { // read every 10 s for 40 s: longer than forgetAfter, still tracked
        ticker.advance(Duration.ofSeconds(10));
        refresher.get("k", db);
        refresher.refreshDue();
        executor.runAll();
      }
      assertTrue(loads.get() >= 2, "refreshed while read: " + loads.get());
      int tracked = loads.get();
      for (int t = 0; t < 6; t++) { // not read any more: forgotten after 20 s, as the sweeps see it
        ticker.advance(Duration.ofSeconds(10));
        refresher.refreshDue();
        executor.runAll();
      }
      int afterForget = loads.get();
      ticker.advance(Duration.ofSeconds(60));
      assertEquals(0, refresher.refreshDue(), "no longer tracked");
      assertTrue(afterForget - tracked <= 1, "at most one refresh after the last read: " + (afterForget - tracked));
    }
  }

  /**
   * Issue 18, item 6: a store read that failed during {@code refreshDue} was read as "gone from the store" and the
   * key was dropped: 0 refreshes, and readers of the two warmed keys missed at expiry. A store error is not an
   * absence: the key stays, the error is recorded, and the next round refreshes it.
   */
  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aStoreErrorDuringRefreshDueKeepsTheKeysForTheNextRound(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      FailingReads store = new FailingReads(f.store);
      BackgroundRefresh<String, String> refresher = refresher(store, 100);
      assertEquals(2, refresher.warm(List.of("a", "b"), db));
      ticker.advance(Duration.ofSeconds(31)); // 29 s left: due
      store.failing.set(true);
      assertEquals(0, refresher.refreshDue(), "the store failed: nothing read to refresh");
      assertEquals(2, counters.get(Event.STORE_ERROR));
      store.failing.set(false);
      assertEquals(2, refresher.refreshDue(), "the keys were kept: refreshed in the next round");
      assertEquals(2, executor.runAll());
      ticker.advance(Duration.ofSeconds(30)); // past the warmed values' expiry
      assertTrue(refresher.get("a", db).matches("a@v[34]"), "the refreshed value");
      assertTrue(refresher.get("b", db).matches("b@v[34]"), "the refreshed value");
      assertEquals(0, counters.get(Event.MISS), "no reader missed");
    }
  }

  /**
   * With the store down, a round stops reading it after 3 failed reads in a row: one timeout per tracked key per
   * round would hold the scheduler for minutes. The keys not read wait for the next round, and are not dropped.
   */
  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aStoreThatIsDownCostsARoundAFewReadsNotOnePerKey(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      FailingReads store = new FailingReads(f.store);
      BackgroundRefresh<String, String> refresher = refresher(store, 1000);
      List<String> keys = IntStream.range(0, 100).mapToObj(i -> "k" + i).toList();
      assertEquals(100, refresher.warm(keys, db));
      ticker.advance(Duration.ofSeconds(31)); // due
      store.failing.set(true);
      store.reads.set(0);
      for (int round = 0; round < 3; round++) {
        assertEquals(0, refresher.refreshDue());
      }
      assertEquals(9, store.reads.get(), "3 failed reads a round, 3 rounds");
      store.failing.set(false);
      assertEquals(100, refresher.refreshDue(), "all 100 kept, refreshed once the store answers");
    }
  }

  /** A corrupt entry is a key's own fault, not a store that is down: the round goes on to the other keys. */
  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void corruptEntriesDoNotEndTheRound(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      FailingReads store = new FailingReads(f.store);
      BackgroundRefresh<String, String> refresher = refresher(store, 1000);
      List<String> keys = IntStream.range(0, 20).mapToObj(i -> "k" + i).toList();
      assertEquals(20, refresher.warm(keys, db));
      ticker.advance(Duration.ofSeconds(31)); // due
      store.corrupt.set(key -> !key.equals("k7"));
      assertEquals(1, refresher.refreshDue(), "k7 refreshed after 19 corrupt entries");
      assertEquals(19, counters.get(Event.STORE_ERROR));
      store.corrupt.set(key -> false);
      assertEquals(19, refresher.refreshDue(), "the 19 kept, refreshed once readable");
    }
  }

  /** A store whose reads fail while {@code failing} is set, or find corrupt entries; it counts them. */
  private static final class FailingReads implements CacheStore<String, String> {
    final AtomicBoolean failing = new AtomicBoolean();
    final AtomicInteger reads = new AtomicInteger();
    final AtomicReference<Predicate<String>> corrupt = new AtomicReference<>(key -> false);
    private final CacheStore<String, String> store;

    FailingReads(CacheStore<String, String> store) {
      this.store = store;
    }

    @Override
    public Entry<String> get(String key) {
      reads.incrementAndGet();
      if (failing.get()) {
        throw new StoreException("store down", null);
      }
      if (corrupt.get().test(key)) {
        throw new CorruptEntryException("bad bytes", null);
      }
      return store.get(key);
    }

    @Override
    public boolean put(String key, Entry<String> entry) {
      return store.put(key, entry);
    }

    @Override
    public void invalidate(String key) {
      store.invalidate(key);
    }

    @Override
    public Ticker ticker() {
      return store.ticker();
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void badInput(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      BackgroundRefresh<String, String> refresher = refresher(f.store, 100);
      assertThrows(NullPointerException.class, () -> refresher.get(null, db));
      assertThrows(NullPointerException.class, () -> refresher.get("k", null));
      assertThrows(NullPointerException.class, () -> refresher.warm(List.of("k"), null));
      assertEquals(0, loads.get());
      assertThrows(IllegalArgumentException.class, () -> builder(f.store, executor).backoff(MAX, INITIAL).build(),
          "maxBackoff < initialBackoff");
      assertThrows(IllegalArgumentException.class,
          () -> builder(f.store, executor).refreshWindow(Duration.ZERO).build(), "no window");
      assertThrows(IllegalArgumentException.class, () -> refresher(f.store, 0), "nothing tracked");
    }
  }
}
