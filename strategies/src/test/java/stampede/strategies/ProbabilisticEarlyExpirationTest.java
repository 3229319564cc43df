package stampede.strategies;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import stampede.core.Counters;
import stampede.core.Entry;
import stampede.core.Event;
import stampede.core.Fill;
import stampede.core.Loader;
import stampede.core.ManualTicker;
import stampede.core.Metrics;
import stampede.core.StoreFill;
import stampede.core.Ttl;
import stampede.core.testing.StoreFixture;
import stampede.core.testing.StoreKind;

class ProbabilisticEarlyExpirationTest {
  private static final Duration TTL = Duration.ofSeconds(60);
  private static final long SECOND = 1_000_000_000L;
  private static final int CALLERS = 8;
  private final ManualTicker ticker = new ManualTicker();
  private final Counters counters = new Counters();
  private final AtomicInteger loads = new AtomicInteger();
  private final Loader<String, String> db = key -> key + "@v" + loads.incrementAndGet();

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
    assertFalse(ProbabilisticEarlyExpiration.shouldRecomputeEarly(0, 0, 1, 1, Double.MIN_VALUE), "delta 0: never early");
    assertFalse(ProbabilisticEarlyExpiration.shouldRecomputeEarly(0, SECOND, 1, 1, 1.0), "u = 1: ln(1) = 0");
    assertThrows(IllegalArgumentException.class,
        () -> ProbabilisticEarlyExpiration.shouldRecomputeEarly(0, SECOND, 1, 10, 0.0));
  }

  /** A fresh entry loaded in 1 s, 2 s from expiry: threshold exp(-2) = 0.135; u = 1 - random. */
  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void fixedDrawsDecideBetweenHitAndEarlyRecompute(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      freshEntry(f, 2 * SECOND, SECOND);
      double[] draw = {0.5}; // u = 0.5 > 0.135: hit
      ProbabilisticEarlyExpiration<String, String> xfetch =
          new ProbabilisticEarlyExpiration<>(f.store, ticker, () -> draw[0], counters, TTL, 1.0);
      assertEquals("old", xfetch.get("k", db));
      assertEquals(1, counters.get(Event.HIT));
      draw[0] = 0.9; // u = 0.1 < 0.135: recompute now, in line
      assertEquals("k@v1", xfetch.get("k", db));
      assertEquals(1, counters.get(Event.REFRESH_STARTED));
      assertEquals(ticker.read() + TTL.toNanos(), f.store.get("k").expireTime(), "a new entry was written");
      draw[0] = 0.999_999; // far from expiry again (60 s, delta 0 on the manual ticker): hit even with u tiny
      assertEquals("k@v1", xfetch.get("k", db));
      assertEquals(1, loads.get());
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void closerToExpiryTheSameDrawRecomputes(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      freshEntry(f, 10 * SECOND, SECOND);
      // u = 0.01: -ln(u) = 4.6, so it recomputes once 4.6 s or less remain.
      ProbabilisticEarlyExpiration<String, String> xfetch =
          new ProbabilisticEarlyExpiration<>(f.store, ticker, () -> 0.99, counters, TTL, 1.0);
      assertEquals("old", xfetch.get("k", db), "10 s left");
      ticker.advance(Duration.ofSeconds(5));
      assertEquals("old", xfetch.get("k", db), "5 s left");
      ticker.advance(Duration.ofMillis(500));
      assertEquals("k@v1", xfetch.get("k", db), "4.5 s left");
      assertEquals(2, counters.get(Event.HIT));
      assertEquals(0, counters.get(Event.MISS));
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aFailedEarlyRecomputeServesTheFreshValue(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      freshEntry(f, SECOND, SECOND);
      ProbabilisticEarlyExpiration<String, String> xfetch =
          new ProbabilisticEarlyExpiration<>(f.store, ticker, () -> 0.99, counters, TTL, 1.0);
      assertEquals("old", xfetch.get("k", key -> {
        throw new IllegalStateException("db down");
      }));
      assertEquals(1, counters.get(Event.REFRESH_FAILED));
      assertEquals(1, counters.get(Event.LOAD_FAILED));
      assertEquals("old", f.store.get("k").value(), "the cached value is kept");
      assertEquals("k@v1", xfetch.get("k", db), "the next draw recomputes again");
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void expiredOrAbsentIsAMissThatStoresTheLoadTime(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      ProbabilisticEarlyExpiration<String, String> xfetch =
          new ProbabilisticEarlyExpiration<>(f.store, ticker, () -> 0.0, counters, TTL, 1.0);
      assertEquals("k@v1", xfetch.get("k", key -> {
        ticker.advance(Duration.ofMillis(300)); // the load takes 300 ms of ticker time
        return db.load(key);
      }));
      assertEquals(Duration.ofMillis(300).toNanos(), f.store.get("k").loadNanos(), "delta is stored");
      ticker.advance(TTL);
      assertEquals("k@v2", xfetch.get("k", db));
      assertEquals(2, counters.get(Event.MISS));
      assertThrows(NullPointerException.class, () -> xfetch.get(null, db));
      assertThrows(IllegalArgumentException.class,
          () -> new ProbabilisticEarlyExpiration<>(f.store, ticker, () -> 0.0, counters, TTL, 0));
    }
  }

  /** XFetch is coordination-free: callers that all draw a recompute on the same entry each load... */
  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void simultaneousEarlyRecomputesAreNotCoalescedOnTheirOwn(StoreKind kind) throws Exception {
    assertEquals(CALLERS, earlyRecomputesAtOnce(kind, false));
  }

  /** ...and SingleFlight as its fill makes them one load. */
  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void overSingleFlightSimultaneousEarlyRecomputesCostOneLoad(StoreKind kind) throws Exception {
    assertEquals(1, earlyRecomputesAtOnce(kind, true));
  }

  /**
   * {@code CALLERS} callers read the same fresh entry and all decide to recompute early (u = 0.01, threshold
   * exp(-1)); the load does not finish before every caller has decided. Returns the number of loads.
   */
  private int earlyRecomputesAtOnce(StoreKind kind, boolean singleFlight) throws Exception {
    try (StoreFixture<String> f = kind.open(ticker)) {
      freshEntry(f, SECOND, SECOND);
      CountDownLatch allDecided = new CountDownLatch(CALLERS);
      Metrics metrics = counters.and((event, key) -> {
        if (event == Event.REFRESH_STARTED) {
          allDecided.countDown();
        }
      });
      Fill<String, String> fill = new StoreFill<>(f.store, ticker, metrics, Ttl.fixed(TTL));
      if (singleFlight) {
        fill = new SingleFlight<>(f.store, ticker, metrics, fill, Duration.ofSeconds(30));
      }
      ProbabilisticEarlyExpiration<String, String> xfetch =
          new ProbabilisticEarlyExpiration<>(f.store, ticker, () -> 0.99, metrics, fill, 1.0);
      Loader<String, String> slowDb = key -> {
        if (!allDecided.await(30, TimeUnit.SECONDS)) {
          throw new IllegalStateException("not every caller decided to recompute");
        }
        return db.load(key);
      };
      for (Object result : Callers.run(CALLERS, () -> xfetch.get("k", slowDb))) {
        assertTrue(String.valueOf(result).matches("k@v\\d+"), "a loaded value: " + result);
      }
      assertEquals(CALLERS, counters.get(Event.REFRESH_STARTED), "every caller decided to recompute early");
      assertEquals(0, counters.get(Event.REFRESH_FAILED));
      return loads.get();
    }
  }

  private void freshEntry(StoreFixture<String> f, long remaining, long loadNanos) {
    long now = ticker.read();
    f.store.put("k", new Entry<>("old", now, now + remaining, loadNanos, 0));
  }
}
