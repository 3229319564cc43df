package stampede.strategies;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import stampede.core.CaffeineStore;
import stampede.core.Counters;
import stampede.core.Entry;
import stampede.core.Event;
import stampede.core.Fill;
import stampede.core.LoadException;
import stampede.core.Loader;
import stampede.core.ManualTicker;
import stampede.core.RejectedException;
import stampede.core.testing.StoreFixture;
import stampede.core.testing.StoreKind;
import stampede.strategies.CircuitBreaker.State;

/** The circuit breaker: opens after N failures, fails fast or serves bounded-stale values, one trial load. */
class CircuitBreakerTest {
  private static final Duration TTL = Duration.ofSeconds(10);
  private static final Duration OPEN_FOR = Duration.ofSeconds(5);
  private final ManualTicker ticker = new ManualTicker();
  private final Counters counters = new Counters();
  private final AtomicInteger loads = new AtomicInteger();
  private final IllegalStateException dbDown = new IllegalStateException("db down");
  private final Loader<String, String> failing = key -> {
    loads.incrementAndGet();
    throw dbDown;
  };
  private final Loader<String, String> ok = key -> key + "@v" + loads.incrementAndGet();

  private CircuitBreaker<String, String> breaker(StoreFixture<String> f, Duration serveStaleFor) {
    return new CircuitBreaker<>(f.store, ticker, counters, TTL, 3, OPEN_FOR, serveStaleFor);
  }

  private void open(CircuitBreaker<String, String> cb) {
    for (int i = 0; i < 3; i++) {
      String key = "fail" + i;
      assertSame(dbDown, assertThrows(LoadException.class, () -> cb.get(key, failing)).getCause());
    }
    assertEquals(State.OPEN, cb.state());
  }

  private void staleEntry(StoreFixture<String> f, String key, Duration staleFor) {
    long now = ticker.read();
    f.store.put(key, new Entry<>("old", now - 2 * TTL.toNanos(), now - staleFor.toNanos(), 0, 0));
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void opensAfterThresholdConsecutiveFailuresOnly(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      CircuitBreaker<String, String> cb = breaker(f, Duration.ZERO);
      assertThrows(LoadException.class, () -> cb.get("a", failing));
      assertThrows(LoadException.class, () -> cb.get("b", failing));
      assertEquals("c@v3", cb.get("c", ok), "a success resets the count");
      assertThrows(LoadException.class, () -> cb.get("d", failing));
      assertThrows(LoadException.class, () -> cb.get("e", failing));
      assertEquals(State.CLOSED, cb.state());
      assertThrows(LoadException.class, () -> cb.get("f", failing));
      assertEquals(State.OPEN, cb.state());
      assertEquals(6, loads.get());
      assertEquals("c@v3", cb.get("c", ok), "hits are served while open");
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void failsFastWithoutCallingTheLoaderWhileOpen(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      CircuitBreaker<String, String> cb = breaker(f, Duration.ofSeconds(30));
      open(cb);
      for (int i = 0; i < 10; i++) {
        RejectedException e = assertThrows(RejectedException.class, () -> cb.get("k", ok));
        assertEquals("circuit open", e.reason());
      }
      assertEquals(3, loads.get(), "no load while open");
      assertEquals(10, counters.get(Event.REJECTED));
      assertEquals(3, counters.get(Event.LOAD_STARTED));
      ticker.advance(OPEN_FOR.minusMillis(1));
      assertThrows(RejectedException.class, () -> cb.get("k", ok));
      assertEquals(3, loads.get());
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void servesStaleWithinTheBoundAndRejectsBeyondIt(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      CircuitBreaker<String, String> cb = breaker(f, Duration.ofSeconds(2));
      open(cb);
      staleEntry(f, "k", Duration.ofSeconds(1));
      assertEquals("old", cb.get("k", ok));
      ticker.advance(Duration.ofSeconds(1)); // stale for exactly 2 s: still served
      assertEquals("old", cb.get("k", ok));
      assertEquals(2, counters.get(Event.STALE_SERVED));
      ticker.advance(Duration.ofSeconds(1));
      assertEquals("circuit open", assertThrows(RejectedException.class, () -> cb.get("k", ok)).reason());
      assertEquals(3, loads.get(), "the loader was never called for k");
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void halfOpenAllowsExactlyOneTrialAndItsSuccessCloses(StoreKind kind) throws Exception {
    try (StoreFixture<String> f = kind.open(ticker)) {
      CircuitBreaker<String, String> cb = breaker(f, Duration.ofSeconds(30));
      open(cb);
      ticker.advance(OPEN_FOR);
      assertEquals(State.HALF_OPEN, cb.state());
      staleEntry(f, "s", Duration.ofSeconds(1));
      CountDownLatch started = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      CompletableFuture<String> trial = CompletableFuture.supplyAsync(() -> cb.get("t", key -> {
        started.countDown();
        release.await();
        return "trial";
      }));
      assertTrue(started.await(5, TimeUnit.SECONDS));
      assertThrows(RejectedException.class, () -> cb.get("other", ok), "others are treated as open");
      assertEquals("old", cb.get("s", ok), "others with a stale entry get it");
      assertEquals(0, loads.get() - 3);
      release.countDown();
      assertEquals("trial", trial.get(5, TimeUnit.SECONDS));
      assertEquals(State.CLOSED, cb.state());
      assertEquals("other@v4", cb.get("other", ok), "closed again: loads go through");
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aFailedTrialReopensForAnotherOpenFor(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      CircuitBreaker<String, String> cb = breaker(f, Duration.ZERO);
      open(cb);
      ticker.advance(OPEN_FOR);
      assertThrows(LoadException.class, () -> cb.get("t", failing));
      assertEquals(4, loads.get(), "one trial");
      assertEquals(State.OPEN, cb.state());
      ticker.advance(OPEN_FOR.minusMillis(1));
      assertThrows(RejectedException.class, () -> cb.get("t", ok));
      ticker.advance(Duration.ofMillis(1));
      assertEquals("t@v5", cb.get("t", ok));
      assertEquals(State.CLOSED, cb.state());
    }
  }

  @Test
  void aRejectionFromAnInnerProtectionIsNotADatabaseFailure() {
    CaffeineStore<String, String> store = new CaffeineStore<>(ticker, Runnable::run, 1000, Duration.ofMinutes(1));
    Fill<String, String> shedding = (key, seen, fence, loader) -> {
      throw new RejectedException(key, "load shed");
    };
    CircuitBreaker<String, String> cb =
        new CircuitBreaker<>(store, ticker, counters, shedding, 1, OPEN_FOR, Duration.ZERO);
    for (int i = 0; i < 5; i++) {
      assertEquals("load shed", assertThrows(RejectedException.class, () -> cb.get("k", ok)).reason());
    }
    assertEquals(State.CLOSED, cb.state());
    // Nor does a rejected half-open trial use up the trial: the next call is the trial.
    CircuitBreaker<String, String> real = new CircuitBreaker<>(store, ticker, counters, TTL, 1, OPEN_FOR,
        Duration.ZERO);
    assertThrows(LoadException.class, () -> real.get("x", failing));
    ticker.advance(OPEN_FOR);
    assertThrows(RejectedException.class, () -> real.get("x", key -> {
      throw new RejectedException(key, "too many requests");
    }));
    assertEquals(State.HALF_OPEN, real.state());
    assertEquals("x@v2", real.get("x", ok));
    assertEquals(State.CLOSED, real.state());
  }

  @Test
  void badInputIsAClearError() {
    CaffeineStore<String, String> store = new CaffeineStore<>(ticker, Runnable::run, 1000, Duration.ofMinutes(1));
    CircuitBreaker<String, String> cb = new CircuitBreaker<>(store, ticker, counters, TTL, 1, OPEN_FOR, TTL);
    assertThrows(NullPointerException.class, () -> cb.get(null, ok));
    assertThrows(NullPointerException.class, () -> cb.get("k", null));
    assertThrows(IllegalArgumentException.class,
        () -> new CircuitBreaker<>(store, ticker, counters, TTL, 0, OPEN_FOR, TTL));
    assertThrows(IllegalArgumentException.class,
        () -> new CircuitBreaker<>(store, ticker, counters, TTL, 1, Duration.ZERO, TTL));
    assertThrows(IllegalArgumentException.class,
        () -> new CircuitBreaker<>(store, ticker, counters, TTL, 1, OPEN_FOR, Duration.ofSeconds(-1)));
    assertThrows(LoadException.class, () -> cb.get("k", key -> null));
    assertEquals(State.OPEN, cb.state(), "a null value is a failed load");
  }
}
