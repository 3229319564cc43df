package stampede.strategies;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import stampede.core.Counters;
import stampede.core.Event;
import stampede.core.InterruptedLoadException;
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
 * Issue 18, item 2: a caller's interrupt is its own cancellation, not a database failure. Five interrupted callers
 * against a healthy database opened the breaker (threshold 3), and 100 of 100 healthy callers on other keys were then
 * refused "circuit open" for {@code openFor}; an interrupted half-open trial reopened it for another {@code openFor}.
 */
class CircuitBreakerInterruptTest {
  private static final Duration OPEN_FOR = Duration.ofSeconds(30);
  private final ManualTicker ticker = new ManualTicker();
  private final Counters counters = new Counters();
  private final AtomicInteger loads = new AtomicInteger();
  private final StoreFixture<String> f = StoreKind.CAFFEINE.open(ticker);
  private final CircuitBreaker<String, String> breaker = CircuitBreaker.builder(
      new StoreFill<>(f.store, counters, Ttl.fixed(Duration.ofMinutes(1)))).failureThreshold(3).openFor(OPEN_FOR)
      .metrics(counters).ticker(ticker).build();
  private final CacheAside<String, String> path = CacheAside.builder(f.store, breaker).metrics(counters).build();
  /** A healthy 1 ms database read: it sleeps, so an interrupted caller's load is interrupted. */
  private final Loader<String, String> db = key -> {
    Thread.sleep(1);
    return key + "@v" + loads.incrementAndGet();
  };
  /** A driver that turns the interrupt into its own error (as JDBC drivers do), keeping the interrupt status. */
  private final Loader<String, String> driver = key -> {
    try {
      return db.load(key);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("query cancelled");
    }
  };

  @AfterEach
  void close() {
    Thread.interrupted();
    f.close();
  }

  /** The caller's own thread is interrupted (its request cancelled) before it reaches the loader. */
  private RuntimeException interrupted(String key, Loader<String, String> loader) {
    Thread.currentThread().interrupt();
    RuntimeException e = assertThrows(RuntimeException.class, () -> path.get(key, loader));
    assertTrue(Thread.interrupted(), "the caller keeps its interrupt status");
    return e;
  }

  @Test
  void fiveInterruptedCallersLeaveItClosedAndHealthyCallersAreServed() {
    List<RuntimeException> cancelled = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      cancelled.add(interrupted("cancelled" + i, i % 2 == 0 ? db : driver));
    }
    State afterCancellations = breaker.state();
    int served = 0;
    for (int i = 0; i < 100; i++) {
      try {
        assertEquals("k" + i + "@v" + (i + 1), path.get("k" + i, db));
        served++;
      } catch (RejectedException refused) {
        // counted below
      }
    }
    assertEquals("CLOSED, 100 of 100 served, 0 refused", afterCancellations + ", " + served + " of 100 served, "
        + counters.get(Event.CIRCUIT_OPEN) + " refused", "5 cancellations are not 5 database failures");
    for (int i = 0; i < 5; i++) {
      RuntimeException e = cancelled.get(i);
      Class<? extends LoadException> expected = i % 2 == 0 ? InterruptedLoadException.class : LoadException.class;
      assertTrue(expected.isInstance(e), "a load error (" + expected.getSimpleName() + "), not a refusal: " + e);
    }
  }

  @Test
  void anInterruptedHalfOpenTrialNeitherReopensNorWedgesIt() {
    Loader<String, String> failing = key -> {
      throw new IllegalStateException("db down");
    };
    for (int i = 0; i < 3; i++) {
      String key = "fail" + i;
      assertThrows(LoadException.class, () -> path.get(key, failing));
    }
    assertEquals(State.OPEN, breaker.state());
    ticker.advance(OPEN_FOR);
    assertInstanceOf(InterruptedLoadException.class, interrupted("trial", db), "the trial was cancelled");
    assertEquals(State.HALF_OPEN, breaker.state(), "no verdict on the database: still half open");
    assertEquals("next@v1", path.get("next", db), "the next call is the trial, at once");
    assertEquals(State.CLOSED, breaker.state());
    assertEquals(0, counters.get(Event.CIRCUIT_OPEN));
  }
}
