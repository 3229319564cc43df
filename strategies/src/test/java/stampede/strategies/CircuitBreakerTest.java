package stampede.strategies;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import stampede.core.CacheStore;
import stampede.core.Counters;
import stampede.core.Entry;
import stampede.core.Event;
import stampede.core.Fill;
import stampede.core.LoadException;
import stampede.core.Loader;
import stampede.core.RejectedException;
import stampede.core.StoreFill;
import stampede.core.Ttl;
import stampede.strategies.CircuitBreaker.State;
import stampede.testkit.ManualTicker;
import stampede.testkit.StoreFixture;
import stampede.testkit.StoreKind;

/**
 * The circuit breaker under the read path, on Caffeine and a real Redis: it opens after N consecutive failed loads,
 * then fails fast ({@link Event#CIRCUIT_OPEN}) without calling the loader, lets one trial load through when half
 * open (success closes, failure reopens), and does not count a rejection by an inner protection as a database
 * failure. It serves nothing stale itself: the read path's stale-if-error does (also {@link CacheAsideTest}).
 */
class CircuitBreakerTest {
  private static final Duration TTL = Duration.ofSeconds(10);
  private static final Duration OPEN_FOR = Duration.ofSeconds(5);
  private final ManualTicker ticker = new ManualTicker();
  private final Counters counters = new Counters();
  private final AtomicInteger loads = new AtomicInteger();
  private final ExecutorService pool = Executors.newCachedThreadPool();
  private final IllegalStateException dbDown = new IllegalStateException("db down");
  private final Loader<String, String> failing = key -> {
    loads.incrementAndGet();
    throw dbDown;
  };
  private final Loader<String, String> ok = key -> key + "@v" + loads.incrementAndGet();

  @AfterEach
  void shutDown() {
    pool.shutdownNow();
  }

  private CircuitBreaker<String, String> breaker(CacheStore<String, String> store, int threshold) {
    return CircuitBreaker.builder(new StoreFill<>(store, counters, Ttl.fixed(TTL))).failureThreshold(threshold)
        .openFor(OPEN_FOR).metrics(counters).ticker(ticker).build();
  }

  /** The read path over {@code breaker}, answering refused or failed loads with values stale up to {@code sie}. */
  private CacheAside<String, String> path(CacheStore<String, String> store, Fill<String, String> breaker,
      Duration sie) {
    return CacheAside.builder(store, breaker).metrics(counters).staleIfError(sie).build();
  }

  private void open(CacheAside<String, String> path, CircuitBreaker<String, String> breaker) {
    for (int i = 0; i < 3; i++) {
      String key = "fail" + i;
      assertSame(dbDown, assertThrows(LoadException.class, () -> path.get(key, failing)).getCause());
    }
    assertEquals(State.OPEN, breaker.state());
  }

  private void staleEntry(StoreFixture<String> f, String key, Duration staleFor) {
    long now = ticker.read();
    f.store.put(key, new Entry<>("old", now - 2 * TTL.toNanos(), now - staleFor.toNanos(), 0, 0));
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void opensAfterThresholdConsecutiveFailuresOnly(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      CircuitBreaker<String, String> cb = breaker(f.store, 3);
      CacheAside<String, String> path = path(f.store, cb, Duration.ZERO);
      assertThrows(LoadException.class, () -> path.get("a", failing));
      assertThrows(LoadException.class, () -> path.get("b", failing));
      assertEquals("c@v3", path.get("c", ok), "a success resets the count");
      assertThrows(LoadException.class, () -> path.get("d", failing));
      assertThrows(LoadException.class, () -> path.get("e", failing));
      assertEquals(State.CLOSED, cb.state());
      assertThrows(LoadException.class, () -> path.get("f", failing));
      assertEquals(State.OPEN, cb.state());
      assertEquals(6, loads.get());
      assertEquals("c@v3", path.get("c", ok), "hits are served while open");
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void failsFastWithoutCallingTheLoaderWhileOpen(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      CircuitBreaker<String, String> cb = breaker(f.store, 3);
      CacheAside<String, String> path = path(f.store, cb, Duration.ofSeconds(30));
      open(path, cb);
      for (int i = 0; i < 10; i++) {
        RejectedException e = assertThrows(RejectedException.class, () -> path.get("k", ok));
        assertEquals("circuit open", e.reason());
      }
      assertEquals(3, loads.get(), "no load while open");
      assertEquals(10, counters.get(Event.CIRCUIT_OPEN));
      assertEquals(3, counters.get(Event.LOAD_STARTED));
      ticker.advance(OPEN_FOR.minusMillis(1));
      assertThrows(RejectedException.class, () -> path.get("k", ok));
      assertEquals(3, loads.get());
    }
  }

  /** Serving stale moved to the read path (see CacheAsideTest): the breaker alone refuses even with a stale entry. */
  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void openItRefusesEvenWhenAStaleValueIsAtHand(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      CircuitBreaker<String, String> cb = breaker(f.store, 3);
      open(path(f.store, cb, Duration.ZERO), cb);
      staleEntry(f, "k", Duration.ofSeconds(1));
      Entry<String> stale = f.store.get("k");
      assertEquals("circuit open", assertThrows(RejectedException.class, () -> cb.fill("k", stale, 0, ok)).reason());
      assertEquals(0, counters.get(Event.STALE_SERVED));
      assertEquals("old", path(f.store, cb, Duration.ofSeconds(2)).get("k", ok), "the read path serves it");
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void halfOpenAllowsExactlyOneTrialAndItsSuccessCloses(StoreKind kind) throws Exception {
    try (StoreFixture<String> f = kind.open(ticker)) {
      CircuitBreaker<String, String> cb = breaker(f.store, 3);
      CacheAside<String, String> path = path(f.store, cb, Duration.ofSeconds(30));
      open(path, cb);
      ticker.advance(OPEN_FOR);
      assertEquals(State.HALF_OPEN, cb.state());
      staleEntry(f, "s", Duration.ofSeconds(1));
      CountDownLatch started = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      CompletableFuture<String> trial = CompletableFuture.supplyAsync(() -> path.get("t", key -> {
        started.countDown();
        release.await();
        return "trial";
      }), pool);
      assertTrue(started.await(5, TimeUnit.SECONDS));
      assertThrows(RejectedException.class, () -> path.get("other", ok), "others are treated as open");
      assertEquals("old", path.get("s", ok), "others with a stale entry get it");
      assertEquals(0, loads.get() - 3);
      release.countDown();
      assertEquals("trial", trial.get(5, TimeUnit.SECONDS));
      assertEquals(State.CLOSED, cb.state());
      assertEquals("other@v4", path.get("other", ok), "closed again: loads go through");
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aFailedTrialReopensForAnotherOpenFor(StoreKind kind) {
    try (StoreFixture<String> f = kind.open(ticker)) {
      CircuitBreaker<String, String> cb = breaker(f.store, 3);
      CacheAside<String, String> path = path(f.store, cb, Duration.ZERO);
      open(path, cb);
      ticker.advance(OPEN_FOR);
      assertThrows(LoadException.class, () -> path.get("t", failing));
      assertEquals(4, loads.get(), "one trial");
      assertEquals(State.OPEN, cb.state());
      ticker.advance(OPEN_FOR.minusMillis(1));
      assertThrows(RejectedException.class, () -> path.get("t", ok));
      ticker.advance(Duration.ofMillis(1));
      assertEquals("t@v5", path.get("t", ok));
      assertEquals(State.CLOSED, cb.state());
    }
  }

  /**
   * A half-open trial that hangs held every later call as "circuit open", for ever (still rejecting an hour later): a
   * trial that has not ended within {@code openFor} is presumed hung and the next call is a new trial. The hung one's
   * late outcome is then ignored.
   */
  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aHungTrialHoldsTheCircuitForOpenForOnly(StoreKind kind) throws Exception {
    try (StoreFixture<String> f = kind.open(ticker)) {
      CircuitBreaker<String, String> cb = breaker(f.store, 3);
      CacheAside<String, String> path = path(f.store, cb, Duration.ZERO);
      open(path, cb);
      ticker.advance(OPEN_FOR);
      CountDownLatch started = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      CompletableFuture<String> hung = CompletableFuture.supplyAsync(() -> path.get("t", key -> {
        started.countDown();
        release.await();
        throw dbDown; // ends, long after, with a failure
      }), pool);
      assertTrue(started.await(5, TimeUnit.SECONDS));
      ticker.advance(OPEN_FOR.minusMillis(1));
      assertEquals("circuit open", assertThrows(RejectedException.class, () -> path.get("k", ok)).reason());
      ticker.advance(Duration.ofMillis(1));
      assertEquals("k@v4", path.get("k", ok), "the trial was presumed hung: this call was a new trial");
      assertEquals(State.CLOSED, cb.state());
      release.countDown();
      assertThrows(Exception.class, () -> hung.get(5, TimeUnit.SECONDS));
      assertEquals(State.CLOSED, cb.state(), "the hung trial's late failure does not reopen the circuit");
      assertEquals("j@v5", path.get("j", ok));
    }
  }

  /**
   * Open time runs on a monotonic clock; if a clock handed in steps back anyway (a wall clock set back an hour), the
   * circuit stays open {@code openFor} from the step, not an hour more. A step forward only brings the trial nearer.
   */
  @Test
  void aClockSteppingBackKeepsTheCircuitOpenForOpenForAtMost() {
    try (StoreFixture<String> f = StoreKind.CAFFEINE.open(ticker)) {
      CircuitBreaker<String, String> cb = breaker(f.store, 3);
      CacheAside<String, String> path = path(f.store, cb, Duration.ZERO);
      open(path, cb);
      ticker.set(ticker.read() - Duration.ofHours(1).toNanos());
      assertThrows(RejectedException.class, () -> path.get("k", ok));
      assertEquals(State.OPEN, cb.state());
      ticker.advance(OPEN_FOR);
      assertEquals(State.HALF_OPEN, cb.state());
      assertEquals("k@v4", path.get("k", ok), "the trial, openFor after the step");
      assertEquals(State.CLOSED, cb.state());
      assertThrows(LoadException.class, () -> path.get("x", failing));
      assertThrows(LoadException.class, () -> path.get("y", failing));
      assertThrows(LoadException.class, () -> path.get("z", failing));
      assertEquals(State.OPEN, cb.state());
      ticker.advance(Duration.ofDays(1));
      assertEquals(State.HALF_OPEN, cb.state(), "a step forward: one trial, sooner");
    }
  }

  @Test
  void aRejectionFromAnInnerProtectionIsNotADatabaseFailure() {
    try (StoreFixture<String> f = StoreKind.CAFFEINE.open(ticker)) {
      Fill<String, String> shedding = (key, seen, fence, loader) -> {
        throw new RejectedException(key, "load shed");
      };
      CircuitBreaker<String, String> cb = CircuitBreaker.builder(shedding).failureThreshold(1).openFor(OPEN_FOR)
          .metrics(counters).ticker(ticker).build();
      CacheAside<String, String> path = path(f.store, cb, Duration.ZERO);
      for (int i = 0; i < 5; i++) {
        assertEquals("load shed", assertThrows(RejectedException.class, () -> path.get("k", ok)).reason());
      }
      assertEquals(State.CLOSED, cb.state());
      // Nor does a rejected half-open trial use up the trial: the next call is the trial.
      CircuitBreaker<String, String> real = breaker(f.store, 1);
      CacheAside<String, String> realPath = path(f.store, real, Duration.ZERO);
      assertThrows(LoadException.class, () -> realPath.get("x", failing));
      ticker.advance(OPEN_FOR);
      assertThrows(RejectedException.class, () -> realPath.get("x", key -> {
        throw new RejectedException(key, "too many requests");
      }));
      assertEquals(State.HALF_OPEN, real.state());
      assertEquals("x@v2", realPath.get("x", ok));
      assertEquals(State.CLOSED, real.state());
    }
  }

  @Test
  void badInputIsAClearError() {
    try (StoreFixture<String> f = StoreKind.CAFFEINE.open(ticker)) {
      CircuitBreaker<String, String> cb = breaker(f.store, 1);
      StoreFill<String, String> fill = new StoreFill<>(f.store, counters, Ttl.fixed(TTL));
      assertThrows(NullPointerException.class, () -> cb.fill(null, null, 0, ok));
      assertThrows(NullPointerException.class, () -> cb.fill("k", null, 0, null));
      assertThrows(IllegalArgumentException.class, () -> CircuitBreaker.builder(fill).failureThreshold(0).build());
      assertThrows(IllegalArgumentException.class, () -> CircuitBreaker.builder(fill).openFor(Duration.ZERO).build());
      assertThrows(LoadException.class, () -> cb.fill("k", null, 0, key -> null));
      assertEquals(State.OPEN, cb.state(), "a null value is a failed load");
      assertThrows(NullPointerException.class, () -> cb.fill("k", null, 0, null), "open: still a null loader");
      ticker.advance(OPEN_FOR);
      assertThrows(NullPointerException.class, () -> cb.fill("k", null, 0, null), "half open: not the trial");
      assertEquals("k@v1", cb.fill("k", null, 0, ok), "the trial was not used up");
      assertEquals(State.CLOSED, cb.state());
    }
  }
}
