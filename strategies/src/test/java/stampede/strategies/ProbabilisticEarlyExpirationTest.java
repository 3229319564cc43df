package stampede.strategies;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import stampede.core.CacheStore;
import stampede.core.Counters;
import stampede.core.Entry;
import stampede.core.Event;
import stampede.core.Fill;
import stampede.core.Loader;
import stampede.core.Metrics;
import stampede.core.StoreFill;
import stampede.core.Ttl;
import stampede.testkit.Callers;
import stampede.testkit.ManualExecutor;
import stampede.testkit.ManualTicker;
import stampede.testkit.StoreFixture;
import stampede.testkit.StoreKind;

/**
 * XFetch as users run it, the policy of a read path, on Caffeine and a real Redis: the pure test
 * {@code now - delta * beta * ln(u) >= expiry} and its probability; fixed draws decide between a hit and an early
 * refresh, which runs on the read path's refresher while the reader gets the fresh value at once; a failed early
 * refresh keeps the value. Early refreshes are coalesced in a process (one per key) but not across nodes, where a
 * distributed lock as the fill makes them one load.
 */
class ProbabilisticEarlyExpirationTest {
  private static final Duration TTL = Duration.ofSeconds(60);
  private static final long SECOND = 1_000_000_000L;
  private static final int CALLERS = 8;
  private final ManualTicker ticker = new ManualTicker();
  private final Counters counters = new Counters();
  private final ManualExecutor executor = new ManualExecutor();
  private final AtomicInteger loads = new AtomicInteger();
  private final Loader<String, String> db = key -> key + "@v" + loads.incrementAndGet();

  private CacheAside<String, String> xfetch(CacheStore<String, String> store, DoubleSupplier random,
      Executor refresher) {
    return CacheAside.builder(store, new StoreFill<>(store, counters, Ttl.fixed(TTL))).metrics(counters)
        .policy(new ProbabilisticEarlyExpiration<>(random, 1.0), refresher).build();
  }

  /** The draw u = exp(-r / (delta * beta)) is the threshold: below it recompute, above it not. */
  @ParameterizedTest
  @CsvSource({"1, 1, 1", "2, 1, 1", "5, 2, 1", "3, 1, 0.5", "10, 4, 2"})
  void thresholdIsExpOfMinusRemainingOverDeltaBeta(double rSeconds, double deltaSeconds, double beta) {
    long now = 1_700_000_000L * SECOND; // a wall-clock reading: precision must hold at this magnitude
    long r = (long) (rSeconds * SECOND);
    long delta = (long) (deltaSeconds * SECOND);
    double threshold = Math.exp(-rSeconds / (deltaSeconds * beta));
    assertTrue(ProbabilisticEarlyExpiration.shouldRecomputeEarly(now, delta, beta, now + r, threshold * 0.999));
    assertFalse(ProbabilisticEarlyExpiration.shouldRecomputeEarly(now, delta, beta, now + r, threshold * 1.001));
  }

  /** Over many uniform draws, the recompute frequency is exp(-r / (delta * beta)). */
  @ParameterizedTest
  @CsvSource({"0.5, 1", "1, 1", "2, 1", "1, 2"})
  void recomputeProbabilityMatchesThePaper(double rOverDelta, double beta) {
    Random random = new Random(7);
    long delta = SECOND;
    long r = (long) (rOverDelta * delta);
    int n = 100_000;
    int recomputes = 0;
    for (int i = 0; i < n; i++) {
      if (ProbabilisticEarlyExpiration.shouldRecomputeEarly(0, delta, beta, r, 1 - random.nextDouble())) {
        recomputes++;
      }
    }
    assertEquals(Math.exp(-rOverDelta / beta), (double) recomputes / n, 0.01);
  }

  @Test
  void edgesOfThePureFunction() {
    assertTrue(ProbabilisticEarlyExpiration.shouldRecomputeEarly(100, 0, 1, 100, 1.0), "expired: always");
    assertFalse(ProbabilisticEarlyExpiration.shouldRecomputeEarly(0, 0, 1, 1, Double.MIN_VALUE),
        "delta 0: never early");
    assertFalse(ProbabilisticEarlyExpiration.shouldRecomputeEarly(0, SECOND, 1, 1, 1.0), "u = 1: ln(1) = 0");
    assertThrows(IllegalArgumentException.class,
        () -> ProbabilisticEarlyExpiration.shouldRecomputeEarly(0, SECOND, 1, 10, 0.0));
  }

  /** A fresh entry loaded in 1 s, 2 s from expiry: threshold exp(-2) = 0.135; u = 1 - random. */
  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void fixedDrawsDecideBetweenHitAndEarlyRefresh(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      freshEntry(f, 2 * SECOND, SECOND);
      double[] draw = {0.5}; // u = 0.5 > 0.135: hit
      CacheAside<String, String> xfetch = xfetch(f.store, () -> draw[0], executor);
      assertEquals("old", xfetch.get("k", db));
      assertEquals(0, executor.pending());
      draw[0] = 0.9; // u = 0.1 < 0.135: refresh early, in the background
      assertEquals("old", xfetch.get("k", db), "the reader holds a fresh value: it does not wait");
      assertEquals(1, executor.pending());
      assertEquals(2, counters.get(Event.HIT));
      executor.runAll();
      assertEquals(1, counters.get(Event.REFRESH_STARTED));
      assertEquals("k@v1", f.store.get("k").value());
      assertEquals(ticker.read() + TTL.toNanos(), f.store.get("k").expireTime(), "a new entry was written");
      draw[0] = 0.999_999; // far from expiry again (60 s, delta 0 on the manual ticker): hit even with u tiny
      assertEquals("k@v1", xfetch.get("k", db));
      assertEquals(0, executor.pending());
      assertEquals(1, loads.get());
      assertEquals(0, counters.get(Event.MISS));
    }
  }

  /**
   * A draw gives at most -ln(2^-53) = 36.7 (u = 1 - random, random below 1), so a read more than 36.7 x delta x beta
   * before expiry cannot refresh: it draws nothing and computes no logarithm. Within that, it draws.
   */
  @Test
  void aHitTooFarFromExpiryToRefreshDrawsNothing() {
    try (StoreFixture<String> f = StoreKind.CAFFEINE.open(ticker)) {
      AtomicInteger draws = new AtomicInteger();
      double largest = Math.nextDown(1.0); // u = 2^-53, the earliest any draw can refresh
      CacheAside<String, String> xfetch = xfetch(f.store, () -> {
        draws.incrementAndGet();
        return largest;
      }, executor);
      freshEntry(f, 37 * SECOND, SECOND);
      assertEquals("old", xfetch.get("k", db));
      assertEquals(0, draws.get(), "37 s from expiry, delta 1 s: no draw can refresh");
      assertEquals(0, executor.pending());
      freshEntry(f, 36 * SECOND, SECOND);
      assertEquals("old", xfetch.get("k", db));
      assertEquals(1, draws.get());
      assertEquals(1, executor.pending(), "36 s from expiry the largest draw refreshes: -ln(2^-53) = 36.7");
    }
  }

  /** With {@code Runnable::run} as the refresher the reader that draws refreshes in line, as in the paper. */
  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void anInlineRefresherRefreshesOnTheDrawingReader(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      freshEntry(f, 2 * SECOND, SECOND);
      CacheAside<String, String> xfetch = xfetch(f.store, () -> 0.9, Runnable::run);
      assertEquals("old", xfetch.get("k", db), "the value it read");
      assertEquals("k@v1", f.store.get("k").value(), "refreshed before the reader returned");
      assertEquals(1, counters.get(Event.REFRESH_STARTED));
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void closerToExpiryTheSameDrawRefreshes(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      freshEntry(f, 10 * SECOND, SECOND);
      // u = 0.01: -ln(u) = 4.6, so it refreshes once 4.6 s or less remain.
      CacheAside<String, String> xfetch = xfetch(f.store, () -> 0.99, executor);
      assertEquals("old", xfetch.get("k", db), "10 s left");
      ticker.advance(Duration.ofSeconds(5));
      assertEquals("old", xfetch.get("k", db), "5 s left");
      assertEquals(0, executor.pending());
      ticker.advance(Duration.ofMillis(500));
      assertEquals("old", xfetch.get("k", db), "4.5 s left");
      assertEquals(1, executor.pending(), "4.5 s left: refreshed early");
      executor.runAll();
      assertEquals("k@v1", f.store.get("k").value());
      assertEquals(3, counters.get(Event.HIT));
      assertEquals(0, counters.get(Event.MISS));
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aFailedEarlyRefreshKeepsTheFreshValue(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      freshEntry(f, SECOND, SECOND);
      CacheAside<String, String> xfetch = xfetch(f.store, () -> 0.99, executor);
      assertEquals("old", xfetch.get("k", key -> {
        throw new IllegalStateException("db down");
      }));
      executor.runAll();
      assertEquals(1, counters.get(Event.REFRESH_FAILED));
      assertEquals(1, counters.get(Event.LOAD_FAILED));
      assertEquals("old", f.store.get("k").value(), "the cached value is kept");
      assertEquals("old", xfetch.get("k", db));
      assertEquals(1, executor.runAll(), "the next draw refreshes again");
      assertEquals("k@v1", f.store.get("k").value());
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void expiredOrAbsentIsAMissThatStoresTheLoadTime(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      CacheAside<String, String> xfetch = xfetch(f.store, () -> 0.0, executor);
      assertEquals("k@v1", xfetch.get("k", key -> {
        ticker.advance(Duration.ofMillis(300)); // the load takes 300 ms of ticker time
        return db.load(key);
      }));
      assertEquals(Duration.ofMillis(300).toNanos(), f.store.get("k").loadNanos(), "delta is stored");
      ticker.advance(TTL);
      assertEquals("k@v2", xfetch.get("k", db));
      assertEquals(2, counters.get(Event.MISS));
      assertThrows(NullPointerException.class, () -> xfetch.get(null, db));
      assertThrows(IllegalArgumentException.class, () -> new ProbabilisticEarlyExpiration<>(() -> 0.0, 0));
      assertThrows(IllegalArgumentException.class, () -> new ProbabilisticEarlyExpiration<>(null, 1));
    }
  }

  /** In one process, callers that all draw an early refresh at once start one refresh, and none of them waits. */
  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void simultaneousEarlyRefreshesInOneProcessCostOneLoad(StoreKind kind) throws Exception {
    try (StoreFixture<String> f = kind.open(ticker)) {
      freshEntry(f, SECOND, SECOND);
      CacheAside<String, String> xfetch = xfetch(f.store, () -> 0.99, executor);
      Callers.run(CALLERS, () -> xfetch.get("k", db)).forEach(r -> assertEquals("old", r));
      assertEquals(CALLERS, counters.get(Event.HIT));
      assertEquals(1, executor.runAll(), "one refresh for " + CALLERS + " early draws");
      assertEquals(1, loads.get());
    }
  }

  /**
   * XFetch over SingleFlight, with the paper's in-line recompute ({@code Runnable::run}): a reader holding a value
   * with 5 s of freshness left waited 1.5 s for the early recompute another reader had in flight, having joined its
   * single flight. An early recompute is a background refresh, one per key in a process: a reader that has a fresh
   * value never waits for one (the reader that draws it in line waits for its own only).
   */
  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aReaderWithAFreshValueNeverWaitsForAnEarlyRecomputeInFlight(StoreKind kind) throws Exception {
    try (StoreFixture<String> f = kind.open(ticker)) {
      freshEntry(f, 5 * SECOND, 5 * SECOND); // u = 0.01: 5 s x ln(100) = 23 s >= the 5 s left: every read recomputes
      CacheAside<String, String> xfetch = CacheAside.builder(f.store, SingleFlight.builder(f.store,
          new StoreFill<>(f.store, counters, Ttl.fixed(TTL))).metrics(counters).build()).metrics(counters)
          .policy(new ProbabilisticEarlyExpiration<>(() -> 0.99, 1.0), Runnable::run).build();
      CountDownLatch started = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      Loader<String, String> slowDb = key -> {
        started.countDown();
        if (!release.await(30, TimeUnit.SECONDS)) {
          throw new IllegalStateException("never released");
        }
        return db.load(key);
      };
      CompletableFuture<String> first = CompletableFuture.supplyAsync(() -> xfetch.get("k", slowDb));
      assertTrue(started.await(10, TimeUnit.SECONDS), "the first reader recomputes early, in line");
      long start = System.nanoTime();
      assertEquals("old", xfetch.get("k", slowDb), "the fresh value");
      long waitedMillis = (System.nanoTime() - start) / 1_000_000;
      assertTrue(waitedMillis < 1_000, "did not wait for the recompute in flight: " + waitedMillis + " ms");
      assertFalse(first.isDone(), "which is still in flight");
      release.countDown();
      assertEquals("old", first.get(10, TimeUnit.SECONDS));
      assertEquals("k@v1", f.store.get("k").value(), "one early recompute, written");
      assertEquals(1, loads.get());
      assertEquals(0, counters.get(Event.LOAD_COALESCED), "nobody joined its flight");
    }
  }

  /** XFetch is coordination-free across nodes: nodes that all draw an early refresh at once each load... */
  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void simultaneousEarlyRefreshesOnSeveralNodesAreNotCoalesced(StoreKind kind) throws Exception {
    assertEquals(CALLERS, earlyRefreshesOnNodesAtOnce(kind, false));
  }

  /** ...and a distributed lock as their fill makes them one load. */
  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void overADistributedLockSimultaneousEarlyRefreshesCostOneLoad(StoreKind kind) throws Exception {
    assertEquals(1, earlyRefreshesOnNodesAtOnce(kind, true));
  }

  /**
   * {@code CALLERS} nodes read the same fresh entry and all decide to refresh early (u = 0.01, threshold exp(-1)),
   * in line; no load finishes before every node has started its refresh. Returns the number of loads.
   */
  private int earlyRefreshesOnNodesAtOnce(StoreKind kind, boolean lock) throws Exception {
    try (StoreFixture<String> f = kind.open(ticker)) {
      freshEntry(f, SECOND, SECOND);
      CountDownLatch allStarted = new CountDownLatch(CALLERS);
      Metrics metrics = counters.and((event, key) -> {
        if (event == Event.REFRESH_STARTED) {
          allStarted.countDown();
        }
      });
      List<StoreFixture<String>> nodes = new ArrayList<>();
      List<CacheAside<String, String>> readPaths = new ArrayList<>();
      try {
        for (int i = 0; i < CALLERS; i++) {
          StoreFixture<String> node = f.node();
          nodes.add(node);
          Fill<String, String> fill = new StoreFill<>(node.store, metrics, Ttl.fixed(TTL));
          if (lock) {
            fill = DistributedLock.builder(node.store, node.locks, fill).metrics(metrics).build();
          }
          readPaths.add(CacheAside.builder(node.store, fill).metrics(metrics)
              .policy(new ProbabilisticEarlyExpiration<>(() -> 0.99, 1.0), Runnable::run).build());
        }
        Loader<String, String> slowDb = key -> {
          if (!allStarted.await(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("not every node started its refresh");
          }
          return db.load(key);
        };
        AtomicInteger next = new AtomicInteger();
        for (Object result : Callers.run(CALLERS, () -> readPaths.get(next.getAndIncrement()).get("k", slowDb))) {
          assertEquals("old", result, "each reader got the fresh value it read");
        }
        assertEquals(CALLERS, counters.get(Event.REFRESH_STARTED), "every node decided to refresh early");
        assertEquals(0, counters.get(Event.REFRESH_FAILED));
        assertTrue(f.store.get("k").value().matches("k@v\\d+"), "a refreshed value was written");
        return loads.get();
      } finally {
        nodes.forEach(StoreFixture::close);
      }
    }
  }

  private void freshEntry(StoreFixture<String> f, long remaining, long loadNanos) {
    long now = ticker.read();
    f.store.put("k", new Entry<>("old", now, now + remaining, loadNanos, 0));
  }
}
