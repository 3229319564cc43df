package stampede.strategies;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;
import stampede.core.CacheStore;
import stampede.core.CorruptEntryException;
import stampede.core.Counters;
import stampede.core.Entry;
import stampede.core.Event;
import stampede.core.Fill;
import stampede.core.LoadException;
import stampede.core.Loader;
import stampede.core.RejectedException;
import stampede.core.StoreException;
import stampede.core.StoreFill;
import stampede.core.Ticker;
import stampede.core.Ttl;
import stampede.redis.ValueCodec;
import stampede.testkit.ManualExecutor;
import stampede.testkit.ManualTicker;
import stampede.testkit.RacingStore;
import stampede.testkit.StoreFixture;
import stampede.testkit.StoreKind;

/**
 * CacheAside, the one read path, on Caffeine and a real Redis: a fresh entry is a hit and anything else loads
 * through the fill; the policy decides, the read path records; background refreshes run one per key, are skipped
 * when overtaken, and report a refusal or a failure; store failures are misses; stale-if-error answers a failed or
 * refused load with a bounded-stale value, which is now how an open circuit, a shed load and a lock not had in time
 * are answered with stale data. The baseline's stampede is shown in {@link StampedeTest}.
 */
class CacheAsideTest {
  private static final Duration TTL = Duration.ofSeconds(10);
  private final ManualTicker ticker = new ManualTicker();
  private final ManualExecutor executor = new ManualExecutor();
  private final Counters counters = new Counters();
  private final AtomicInteger loads = new AtomicInteger();
  private final ExecutorService pool = Executors.newCachedThreadPool();
  private final IllegalStateException dbDown = new IllegalStateException("db down");
  private final Loader<String, String> db = key -> key + "@v" + loads.incrementAndGet();
  private final Loader<String, String> failing = key -> {
    loads.incrementAndGet();
    throw dbDown;
  };

  @AfterEach
  void shutDown() {
    pool.shutdownNow();
  }

  private StoreFill<String, String> storeFill(CacheStore<String, String> store) {
    return new StoreFill<>(store, counters, Ttl.fixed(TTL));
  }

  private CacheAside<String, String> plain(CacheStore<String, String> store) {
    return CacheAside.builder(store, storeFill(store)).metrics(counters).build();
  }

  /** Writes an entry "old" of {@code key} that went stale {@code staleFor} ago. */
  private void stale(CacheStore<String, String> store, String key, Duration staleFor) {
    long now = ticker.read();
    store.put(key, new Entry<>("old", now - 2 * TTL.toNanos(), now - staleFor.toNanos(), 0, 0));
  }

  /** A policy answering {@code action} for every read, recording what it was asked and told. */
  private static final class Scripted implements CacheAside.Policy<String, String> {
    volatile CacheAside.Action action;
    volatile long now;
    final List<Object> refreshed = new CopyOnWriteArrayList<>();

    Scripted(CacheAside.Action action) {
      this.action = action;
    }

    @Override
    public CacheAside.Action decide(String key, Entry<String> entry, long now) {
      this.now = now;
      return action;
    }

    @Override
    public void refreshed(String key, Throwable failure) {
      refreshed.add(failure == null ? "ok" : failure);
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aFreshEntryIsAHitAndAnythingElseLoadsThroughTheFill(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      CacheAside<String, String> path = plain(f.store);
      assertEquals("k@v1", path.get("k", db));
      Entry<String> written = f.store.get("k");
      assertEquals(TTL.toNanos(), written.expireTime() - written.writeTime());
      ticker.advance(TTL.minusNanos(1));
      assertEquals("k@v1", path.get("k", db), "fresh until its expiry");
      ticker.advance(1);
      assertEquals("k@v2", path.get("k", db), "expired: loaded in line");
      assertEquals(1, counters.get(Event.HIT));
      assertEquals(2, counters.get(Event.MISS));
      assertEquals(2, counters.get(Event.LOAD_STARTED));
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aNullKeyOrLoaderFailsBeforeTheStoreIsRead(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      RacingStore<String, String> store = new RacingStore<>(f.store);
      CacheAside<String, String> path = plain(store);
      store.afterNextGet(() -> {
        throw new AssertionError("the store was read");
      });
      assertThrows(NullPointerException.class, () -> path.get(null, db));
      assertThrows(NullPointerException.class, () -> path.get("k", null));
      assertEquals(0, loads.get());
      assertEquals(0, counters.get(Event.MISS));
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aLoaderReturningNullIsALoadExceptionAndCachesNothing(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      CacheAside<String, String> path = plain(f.store);
      LoadException e = assertThrows(LoadException.class, () -> path.get("k", key -> null));
      assertTrue(e.getMessage().contains("returned null"), e.getMessage());
      assertNull(f.store.get("k"));
      assertEquals(1, counters.get(Event.LOAD_FAILED));
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void whateverThePolicySaysAMissingEntryIsLoaded(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      Scripted policy = new Scripted(CacheAside.Action.HIT);
      CacheAside<String, String> path =
          CacheAside.builder(f.store, storeFill(f.store)).metrics(counters).policy(policy, executor).build();
      int n = 0;
      for (CacheAside.Action action : CacheAside.Action.values()) {
        policy.action = action;
        n++;
        assertEquals("k" + n + "@v" + n, path.get("k" + n, db), action + " for no entry");
      }
      assertEquals(n, counters.get(Event.MISS));
      assertEquals(0, executor.pending(), "nothing to refresh");
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void thePolicyDecidesOnTheStoreClockAndTheReadPathServesAndRefreshesAsTold(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      Scripted policy = new Scripted(CacheAside.Action.LOAD);
      CacheAside<String, String> path =
          CacheAside.builder(f.store, storeFill(f.store)).metrics(counters).policy(policy, executor).build();
      assertEquals("k@v1", path.get("k", db));
      assertEquals(ticker.read(), policy.now);
      assertEquals("k@v2", path.get("k", db), "LOAD loads even a fresh entry");
      policy.action = CacheAside.Action.HIT_AND_REFRESH;
      assertEquals("k@v2", path.get("k", db), "the fresh value, at once");
      assertEquals(1, executor.pending());
      policy.action = CacheAside.Action.STALE_AND_REFRESH;
      assertEquals("k@v2", path.get("k", db));
      assertEquals(1, executor.pending(), "one refresh per key at a time");
      assertEquals(1, counters.get(Event.HIT));
      assertEquals(1, counters.get(Event.STALE_SERVED));
      assertEquals(2, loads.get(), "nothing loaded in line");
      executor.runAll();
      assertEquals("k@v3", f.store.get("k").value());
      assertEquals(List.of("ok"), policy.refreshed);
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aRefreshRunsOncePerKeyAndIsSkippedWhenAFreshValueWasWrittenMeanwhile(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      Scripted policy = new Scripted(CacheAside.Action.HIT);
      CacheAside<String, String> path =
          CacheAside.builder(f.store, storeFill(f.store)).metrics(counters).policy(policy, executor).build();
      path.get("k", db);
      Entry<String> seen = f.store.get("k");
      assertTrue(path.refresh("k", seen, db));
      assertFalse(path.refresh("k", seen, db), "one queued already");
      assertEquals(1, path.refreshing());
      assertEquals(1, executor.runAll());
      assertEquals(0, path.refreshing());
      assertEquals("k@v2", f.store.get("k").value());
      assertEquals(1, counters.get(Event.REFRESH_STARTED));
      assertTrue(path.refresh("k", seen, db), "seen is now older than the stored entry");
      executor.runAll();
      assertEquals(2, loads.get(), "a fresh value was written after seen: not loaded again");
      assertEquals(1, counters.get(Event.REFRESH_STARTED));
      assertEquals(List.of("ok", "ok"), policy.refreshed);
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aFailedRefreshKeepsTheOldValueAndTellsThePolicy(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      Scripted policy = new Scripted(CacheAside.Action.HIT_AND_REFRESH);
      CacheAside<String, String> path =
          CacheAside.builder(f.store, storeFill(f.store)).metrics(counters).policy(policy, executor).build();
      assertEquals("k@v1", path.get("k", db));
      assertEquals("k@v1", path.get("k", failing));
      executor.runAll();
      assertEquals(1, counters.get(Event.REFRESH_FAILED));
      assertEquals("k@v1", f.store.get("k").value(), "the old value is kept");
      assertEquals(1, policy.refreshed.size());
      assertSame(dbDown, assertInstanceOf(LoadException.class, policy.refreshed.get(0)).getCause());
      assertEquals(0, path.refreshing(), "the key is free for the next refresh");
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aRefusedRefreshIsRecordedAndTheNextOneMayStart(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      AtomicBoolean full = new AtomicBoolean(true);
      CacheAside<String, String> path = CacheAside.builder(f.store, storeFill(f.store)).metrics(counters)
          .policy(new Scripted(CacheAside.Action.HIT_AND_REFRESH), task -> {
            if (full.get()) {
              throw new RejectedExecutionException("queue full");
            }
            executor.execute(task);
          }).build();
      assertEquals("k@v1", path.get("k", db));
      assertEquals("k@v1", path.get("k", db), "served although the refresh was refused");
      assertEquals(1, counters.get(Event.REFRESH_REJECTED));
      assertEquals(0, path.refreshing());
      full.set(false);
      assertEquals("k@v1", path.get("k", db));
      assertEquals(1, executor.runAll());
      assertEquals("k@v2", f.store.get("k").value());
      CacheAside<String, String> noPolicy = plain(f.store);
      assertFalse(noPolicy.refresh("k", null, db), "without a policy there is no executor: the refresh is refused");
      assertEquals(2, counters.get(Event.REFRESH_REJECTED));
    }
  }

  /** The policies that refresh in the background through the read path (BackgroundRefresh: BackgroundRefreshTest). */
  enum Refreshing { STALE_WHILE_REVALIDATE, HOT_KEY_PROTECTION }

  /**
   * An executor that drops a task (a discard policy, a pool shut down) left the key marked "refreshing" for ever: no
   * refresh of it again. A refresh mark older than {@code refreshHungAfter} (default 1 minute, on the read path's
   * monotonic ticker) no longer blocks a new one.
   */
  @ParameterizedTest
  @EnumSource(Refreshing.class)
  void aRefreshTheExecutorDroppedHoldsTheKeyForRefreshHungAfterOnly(Refreshing kind) {
    try (StoreFixture<String> f = StoreKind.CAFFEINE.open(ticker, ValueCodec.utf8(), Duration.ofMinutes(10))) {
      AtomicInteger dropped = new AtomicInteger();
      AtomicBoolean drop = new AtomicBoolean(true);
      Executor dropping = task -> {
        if (drop.get()) {
          dropped.incrementAndGet();
        } else {
          executor.execute(task);
        }
      };
      long now = ticker.read();
      CacheAside<String, String> path;
      if (kind == Refreshing.STALE_WHILE_REVALIDATE) {
        path = CacheAside.builder(f.store, storeFill(f.store)).metrics(counters).ticker(ticker)
            .policy(new StaleWhileRevalidate<>(Duration.ofMinutes(5)), dropping).build();
        f.store.put("k", new Entry<>("old", now - TTL.toNanos(), now - 1, 0, 0)); // stale: serve and refresh
      } else {
        HotKeyProtection<String, String> hot = HotKeyProtection.<String, String>builder(Duration.ofMinutes(10))
            .ticker(ticker).hotAt(1, Duration.ofSeconds(1)).build();
        path = CacheAside.builder(f.store, new StoreFill<>(f.store, counters, hot)).metrics(counters).ticker(ticker)
            .policy(hot, dropping).build();
        f.store.put("k", new Entry<>("old", now, now + Duration.ofMinutes(2).toNanos(), 0, 0)); // in the prewarm
      }
      assertEquals("old", path.get("k", db));
      assertEquals(1, dropped.get(), "the refresh was handed to the executor, which dropped it");
      ticker.advance(Duration.ofSeconds(59));
      assertEquals("old", path.get("k", db));
      assertEquals(1, dropped.get(), "still marked refreshing: no second refresh within refreshHungAfter");
      assertEquals(1, path.refreshing());
      drop.set(false);
      ticker.advance(Duration.ofSeconds(1));
      assertEquals("old", path.get("k", db));
      assertEquals(1, executor.runAll(), "a minute on, the mark no longer holds the key: a new refresh ran");
      assertEquals("k@v1", f.store.get("k").value());
      assertEquals(0, path.refreshing());
    }
  }

  /**
   * An executor that throws anything, an Error too (OutOfMemoryError "unable to create native thread" from a pool
   * adding a worker), refuses the refresh: recorded, the mark cleared, and the reader still gets its value.
   */
  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void anExecutorThrowingAnythingRefusesTheRefreshAndTheReaderGetsItsValue(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      List<Throwable> failures = List.of(new IllegalStateException("shut down"),
          new OutOfMemoryError("unable to create native thread"));
      AtomicInteger next = new AtomicInteger();
      CacheAside<String, String> path = CacheAside.builder(f.store, storeFill(f.store)).metrics(counters)
          .policy(new Scripted(CacheAside.Action.HIT_AND_REFRESH), task -> {
            Throwable t = failures.get(next.getAndIncrement());
            if (t instanceof Error e) {
              throw e;
            }
            throw (RuntimeException) t;
          }).build();
      long now = ticker.read();
      f.store.put("k", new Entry<>("v", now, now + TTL.toNanos(), 0, 0));
      assertEquals("v", path.get("k", db));
      assertEquals("v", path.get("k", db), "an Error from the executor does not reach the reader");
      assertEquals(2, counters.get(Event.REFRESH_REJECTED));
      assertEquals(0, path.refreshing(), "nothing left marked");
    }
  }

  /** An Error in a refresh (the loader's, rethrown as is) is the refresh's failure; it reached the policy as "ok". */
  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void anErrorInARefreshIsAFailureForThePolicy(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      Scripted policy = new Scripted(CacheAside.Action.HIT_AND_REFRESH);
      CacheAside<String, String> path =
          CacheAside.builder(f.store, storeFill(f.store)).metrics(counters).policy(policy, executor).build();
      long now = ticker.read();
      f.store.put("k", new Entry<>("v", now, now + TTL.toNanos(), 0, 0));
      Error boom = new Error("boom");
      assertEquals("v", path.get("k", key -> {
        throw boom;
      }));
      assertSame(boom, assertThrows(Error.class, executor::runAll), "the Error still reaches the executor");
      assertEquals(List.of(boom), policy.refreshed, "the policy is told the refresh failed");
      assertEquals(1, counters.get(Event.REFRESH_FAILED));
      assertEquals(0, path.refreshing());
      assertEquals("v", f.store.get("k").value());
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void storeFailuresAreMissesAndAFailedWriteStillReturnsTheValue(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      AtomicBoolean down = new AtomicBoolean(true);
      AtomicBoolean corrupt = new AtomicBoolean();
      CacheStore<String, String> flaky = new CacheStore<>() {
        @Override
        public Entry<String> get(String key) {
          if (corrupt.get()) {
            throw new CorruptEntryException("not an entry", null);
          }
          if (down.get()) {
            throw new StoreException("store down", null);
          }
          return f.store.get(key);
        }

        @Override
        public boolean put(String key, Entry<String> entry) {
          if (down.get()) {
            throw new StoreException("store down", null);
          }
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
      CacheAside<String, String> path = plain(flaky);
      assertEquals("k@v1", path.get("k", db), "read failed, write failed: still the loaded value");
      assertEquals(2, counters.get(Event.STORE_ERROR));
      down.set(false);
      assertEquals("k@v2", path.get("k", db), "nothing was written while down");
      assertEquals("k@v2", path.get("k", db), "a hit");
      corrupt.set(true);
      assertEquals("k@v3", path.get("k", db), "a corrupt entry is a miss");
      assertEquals(3, counters.get(Event.STORE_ERROR));
      assertEquals(1, counters.get(Event.HIT));
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void staleIfErrorAnswersAFailedLoadWithABoundedStaleValue(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      CacheAside<String, String> path = CacheAside.builder(f.store, storeFill(f.store)).metrics(counters)
          .staleIfError(Duration.ofSeconds(2)).build();
      stale(f.store, "k", Duration.ofSeconds(1));
      assertEquals("old", path.get("k", failing));
      ticker.advance(Duration.ofSeconds(1)); // stale for exactly 2 s: still served
      assertEquals("old", path.get("k", failing));
      assertEquals(2, counters.get(Event.STALE_SERVED));
      assertEquals(2, counters.get(Event.LOAD_FAILED));
      ticker.advance(1);
      assertSame(dbDown, assertThrows(LoadException.class, () -> path.get("k", failing)).getCause());
      assertThrows(LoadException.class, () -> path.get("absent", failing), "nothing stale to serve");
      assertEquals("old", f.store.get("k").value(), "the error was not cached");
      CacheAside<String, String> without = plain(f.store);
      stale(f.store, "j", Duration.ofSeconds(1));
      assertThrows(LoadException.class, () -> without.get("j", failing), "no staleIfError: the error");
      assertThrows(IllegalArgumentException.class,
          () -> CacheAside.builder(f.store, storeFill(f.store)).staleIfError(Duration.ofSeconds(-1)));
    }
  }

  /** Moved from the circuit breaker, which no longer serves stale itself. */
  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void staleIfErrorAnswersAnOpenCircuitWithinItsBoundOnly(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      CircuitBreaker<String, String> breaker =
          CircuitBreaker.builder(storeFill(f.store)).failureThreshold(3)
          .openFor(Duration.ofSeconds(5)).metrics(counters).ticker(ticker).build();
      CacheAside<String, String> path = CacheAside.builder(f.store, breaker).metrics(counters)
          .staleIfError(Duration.ofSeconds(2)).build();
      for (int i = 0; i < 3; i++) {
        String key = "fail" + i;
        assertSame(dbDown, assertThrows(LoadException.class, () -> path.get(key, failing)).getCause());
      }
      assertEquals(CircuitBreaker.State.OPEN, breaker.state());
      stale(f.store, "k", Duration.ofSeconds(1));
      assertEquals("old", path.get("k", db));
      ticker.advance(Duration.ofSeconds(1)); // stale for exactly 2 s: still served
      assertEquals("old", path.get("k", db));
      assertEquals(2, counters.get(Event.STALE_SERVED));
      assertEquals(2, counters.get(Event.CIRCUIT_OPEN));
      ticker.advance(Duration.ofSeconds(1));
      assertEquals("circuit open", assertThrows(RejectedException.class, () -> path.get("k", db)).reason());
      assertEquals(3, loads.get(), "the loader was never called for k");
    }
  }

  /** Moved from the load shedder, which no longer serves stale itself. */
  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void staleIfErrorAnswersAShedLoadWithinItsBoundOnly(StoreKind kind) throws Exception {
    try (StoreFixture<String> f = kind.open(ticker)) {
      LoadShedder<String, String> shedder = LoadShedder.builder(storeFill(f.store)).maxConcurrentLoads(1)
          .maxQueueWait(Duration.ZERO).metrics(counters).build();
      CacheAside<String, String> path = CacheAside.builder(f.store, shedder).metrics(counters)
          .staleIfError(Duration.ofSeconds(2)).build();
      stale(f.store, "s", Duration.ofSeconds(1));
      CountDownLatch started = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      CompletableFuture<String> holder = CompletableFuture.supplyAsync(() -> path.get("holder", key -> {
        started.countDown();
        release.await();
        return "held";
      }), pool);
      assertTrue(started.await(5, TimeUnit.SECONDS), "the only slot is taken");
      assertEquals("old", path.get("s", db));
      assertEquals(1, counters.get(Event.STALE_SERVED));
      assertEquals(1, counters.get(Event.LOAD_SHED));
      ticker.advance(Duration.ofSeconds(2));
      assertEquals("load shed", assertThrows(RejectedException.class, () -> path.get("s", db)).reason());
      assertEquals(0, loads.get(), "shed callers never reached the loader");
      release.countDown();
      assertEquals("held", holder.get(5, TimeUnit.SECONDS));
      assertEquals("s@v1", path.get("s", db), "a free slot loads again");
    }
  }

  /**
   * Stale-if-error caught LoadException only: a "load shed" was thrown while a 5 s stale value was within the 30 s
   * bound. Every refusal (load shed, too many requests, circuit open) is answered as a failed load is, within the
   * bound only.
   */
  @ParameterizedTest
  @ValueSource(strings = {"load shed", "too many requests", "circuit open"})
  void staleIfErrorAnswersEveryRefusalWithinItsBound(String reason) {
    try (StoreFixture<String> f = StoreKind.CAFFEINE.open(ticker)) {
      Fill<String, String> refusing = (key, seen, fence, loader) -> {
        throw new RejectedException(key, reason);
      };
      CacheAside<String, String> path = CacheAside.builder(f.store, refusing).metrics(counters)
          .staleIfError(Duration.ofSeconds(30)).build();
      stale(f.store, "k", Duration.ofSeconds(5));
      assertEquals("old", path.get("k", db), reason + ": the 5 s stale value, within 30 s");
      assertEquals(1, counters.get(Event.STALE_SERVED));
      ticker.advance(Duration.ofSeconds(25).plusNanos(1));
      assertEquals(reason, assertThrows(RejectedException.class, () -> path.get("k", db)).reason(), "past 30 s");
    }
  }

  /** Moved from the distributed lock's SERVE_STALE_OR_LOAD fallback: FAIL under the read path's staleIfError. */
  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void staleIfErrorAnswersALockNotHadInTime(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      stale(f.store, "stale", Duration.ofSeconds(1));
      assertTrue(f.locks.tryAcquire("stale", "other", 60_000) > 0);
      assertTrue(f.locks.tryAcquire("none", "other", 60_000) > 0);
      DistributedLock<String, String> lock = DistributedLock.builder(f.store, f.locks, storeFill(f.store))
          .metrics(counters).lease(Duration.ofSeconds(1)).maxWait(Duration.ofMillis(100))
          .fallback(DistributedLock.Fallback.FAIL).build();
      CacheAside<String, String> path = CacheAside.builder(f.store, lock).metrics(counters)
          .staleIfError(Duration.ofSeconds(30)).build();
      assertEquals("old", path.get("stale", db));
      assertEquals(1, counters.get(Event.STALE_SERVED));
      LoadException e = assertThrows(LoadException.class, () -> path.get("none", db), "nothing stale to serve");
      assertTrue(e.getMessage().contains("no lock within"), e.getMessage());
      assertEquals(0, loads.get());
      assertNull(f.store.get("none"));
      assertEquals(2, counters.get(Event.LOCK_FALLBACK));
    }
  }
}
