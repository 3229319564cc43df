package stampede.strategies;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
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
import stampede.core.LoadException;
import stampede.core.Loader;
import stampede.core.ManualTicker;
import stampede.core.RejectedException;
import stampede.core.testing.StoreFixture;
import stampede.core.testing.StoreKind;

/** Load shedding: at most N loads at once, the rest shed fast (stale if allowed), permits never leaked. */
class LoadShedderTest {
  private static final Duration TTL = Duration.ofSeconds(10);
  private final ManualTicker ticker = new ManualTicker();
  private final Counters counters = new Counters();
  private final AtomicInteger loads = new AtomicInteger();
  private final AtomicInteger running = new AtomicInteger();
  private final AtomicInteger maxRunning = new AtomicInteger();

  /** A 100 ms "database" read that measures how many reads run at once. */
  private final Loader<String, String> slowDb = key -> {
    int now = running.incrementAndGet();
    maxRunning.accumulateAndGet(now, Math::max);
    loads.incrementAndGet();
    try {
      Thread.sleep(100);
      return key + "@db";
    } finally {
      running.decrementAndGet();
    }
  };

  /** Takes one permit until {@code release} opens; returns once the load has started. */
  private CompletableFuture<String> holdAPermit(LoadShedder<String, String> shedder, CountDownLatch release)
      throws InterruptedException {
    CountDownLatch started = new CountDownLatch(1);
    CompletableFuture<String> holder = CompletableFuture.supplyAsync(() -> shedder.get("holder", key -> {
      started.countDown();
      release.await();
      return "held";
    }));
    assertTrue(started.await(5, TimeUnit.SECONDS));
    return holder;
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void atMostTwoLoadsRunAtOnceAndTheRestAreShed(StoreKind kind) throws Exception {
    try (StoreFixture<String> f = kind.open(ticker)) {
      LoadShedder<String, String> shedder =
          new LoadShedder<>(f.store, ticker, counters, TTL, 2, Duration.ZERO, Duration.ZERO);
      AtomicInteger keys = new AtomicInteger();
      List<Object> results = Callers.run(20, () -> shedder.get("k" + keys.incrementAndGet(), slowDb));
      assertTrue(maxRunning.get() <= 2, "max concurrent loads " + maxRunning.get());
      long shed = 0;
      for (Object r : results) {
        if (r instanceof RuntimeException) {
          RejectedException e = assertInstanceOf(RejectedException.class, r);
          assertEquals("load shed", e.reason());
          assertTrue(e.getMessage().contains("load shed"), e.getMessage());
          shed++;
        }
      }
      assertEquals(20, shed + loads.get(), "every caller either loaded or was shed");
      assertTrue(shed >= 10, "most of 20 callers were shed: " + shed);
      assertEquals(shed, counters.get(Event.REJECTED));
      assertEquals(0, shedder.loadsInFlight());
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void servesStaleWithinTheBoundWhenShedAndRejectsBeyondIt(StoreKind kind) throws Exception {
    try (StoreFixture<String> f = kind.open(ticker)) {
      LoadShedder<String, String> shedder =
          new LoadShedder<>(f.store, ticker, counters, TTL, 1, Duration.ZERO, Duration.ofSeconds(2));
      long now = ticker.read();
      f.store.put("s", new Entry<>("old", now - TTL.toNanos(), now - Duration.ofSeconds(1).toNanos(), 0, 0));
      CountDownLatch release = new CountDownLatch(1);
      CompletableFuture<String> holder = holdAPermit(shedder, release);
      assertEquals("old", shedder.get("s", slowDb));
      assertEquals(1, counters.get(Event.STALE_SERVED));
      ticker.advance(Duration.ofSeconds(2));
      assertEquals("load shed", assertThrows(RejectedException.class, () -> shedder.get("s", slowDb)).reason());
      assertEquals(0, loads.get(), "shed callers never reached the loader");
      release.countDown();
      assertEquals("held", holder.get(5, TimeUnit.SECONDS));
      assertEquals("s@db", shedder.get("s", slowDb), "a free slot loads again");
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void permitsAreNotLeakedAfterLoaderErrors(StoreKind kind) throws Exception {
    try (StoreFixture<String> f = kind.open(ticker)) {
      LoadShedder<String, String> shedder =
          new LoadShedder<>(f.store, ticker, counters, TTL, 2, Duration.ofSeconds(5), Duration.ZERO);
      IllegalStateException dbDown = new IllegalStateException("db down");
      for (int i = 0; i < 10; i++) {
        assertEquals(dbDown, assertThrows(LoadException.class, () -> shedder.get("k", key -> {
          throw dbDown;
        })).getCause());
        assertThrows(LoadException.class, () -> shedder.get("k", key -> null));
        assertThrows(SimulatedError.class, () -> shedder.get("k", key -> {
          throw new SimulatedError();
        }));
      }
      assertEquals(0, shedder.loadsInFlight());
      AtomicInteger keys = new AtomicInteger();
      CountDownLatch both = new CountDownLatch(2);
      List<Object> results = Callers.run(2, () -> shedder.get("ok" + keys.incrementAndGet(), key -> {
        both.countDown();
        return both.await(5, TimeUnit.SECONDS) ? "together" : "alone";
      }));
      assertEquals(List.of("together", "together"), results, "both slots are free");
    }
  }

  @Test
  void aWaiterGetsASlotWithinMaxQueueWaitOrIsShedAfterIt() throws Exception {
    CaffeineStore<String, String> store = new CaffeineStore<>(ticker, Runnable::run, 1000, Duration.ofMinutes(1));
    LoadShedder<String, String> queueing =
        new LoadShedder<>(store, ticker, counters, TTL, 1, Duration.ofSeconds(5), Duration.ZERO);
    AtomicInteger keys = new AtomicInteger();
    List<Object> results = Callers.run(3, () -> queueing.get("q" + keys.incrementAndGet(), slowDb));
    results.forEach(r -> assertInstanceOf(String.class, r, "all three waited their turn: " + r));
    assertEquals(1, maxRunning.get());

    LoadShedder<String, String> brief =
        new LoadShedder<>(store, ticker, counters, TTL, 1, Duration.ofMillis(50), Duration.ZERO);
    CountDownLatch release = new CountDownLatch(1);
    CompletableFuture<String> holder = holdAPermit(brief, release);
    long start = System.nanoTime();
    assertThrows(RejectedException.class, () -> brief.get("late", slowDb));
    long waited = System.nanoTime() - start;
    assertTrue(waited >= Duration.ofMillis(50).toNanos() && waited < Duration.ofSeconds(2).toNanos(),
        "waited " + Duration.ofNanos(waited));
    release.countDown();
    assertEquals("held", holder.get(5, TimeUnit.SECONDS));
  }

  private static final class SimulatedError extends Error { }

  @Test
  void badInputIsAClearError() {
    CaffeineStore<String, String> store = new CaffeineStore<>(ticker, Runnable::run, 1000, Duration.ofMinutes(1));
    LoadShedder<String, String> shedder = new LoadShedder<>(store, ticker, counters, TTL, 1, Duration.ZERO, TTL);
    assertThrows(NullPointerException.class, () -> shedder.get(null, slowDb));
    assertThrows(NullPointerException.class, () -> shedder.get("k", null));
    assertThrows(IllegalArgumentException.class,
        () -> new LoadShedder<>(store, ticker, counters, TTL, 0, Duration.ZERO, TTL));
    assertThrows(IllegalArgumentException.class,
        () -> new LoadShedder<>(store, ticker, counters, TTL, 1, Duration.ofMillis(-1), TTL));
    assertThrows(IllegalArgumentException.class,
        () -> new LoadShedder<>(store, ticker, counters, TTL, 1, Duration.ZERO, Duration.ofSeconds(-1)));
  }
}
