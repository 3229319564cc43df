package stampede.strategies;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import stampede.core.Counters;
import stampede.core.Event;
import stampede.core.Fill;
import stampede.core.InterruptedLoadException;
import stampede.core.LoadException;
import stampede.core.Loader;
import stampede.core.RejectedException;
import stampede.core.StoreFill;
import stampede.core.Ttl;
import stampede.strategies.PriorityShedder.Priority;
import stampede.testkit.ManualTicker;

/**
 * {@link PriorityShedder} with real threads holding loads (a loader that blocks until released): a CRITICAL load is
 * admitted at once while BULK holds all it may (where {@link LoadShedder} refuses it); background refreshes, the
 * lowest class, leave user loads their slots; an interrupt releases the slot and is no latency sample; bad settings
 * fail in the builder, naming the setting. Every class waits 0 here, so who is admitted does not depend on timing.
 */
class PriorityShedderTest {
  private static final Duration TTL = Duration.ofSeconds(10);
  private final ManualTicker ticker = new ManualTicker();
  private final Counters counters = new Counters();
  private final MapStore<String, String> store = new MapStore<>(ticker);
  private final StoreFill<String, String> storeFill = new StoreFill<>(store, counters, Ttl.fixed(TTL));
  private final ExecutorService pool = Executors.newCachedThreadPool();
  private final Semaphore started = new Semaphore(0);
  private final CountDownLatch release = new CountDownLatch(1);
  private final Loader<String, String> blocking = key -> {
    started.release();
    release.await();
    return key + "@db";
  };
  private final List<CompletableFuture<String>> loads = new ArrayList<>();

  @AfterEach
  void shutDown() throws Exception {
    release.countDown();
    for (CompletableFuture<String> load : loads) {
      load.handle((v, e) -> v).get(10, TimeUnit.SECONDS);
    }
    pool.shutdownNow();
  }

  /** Keys "bulk..." are BULK, the others DEFAULT; nobody waits for a slot. */
  private PriorityShedder.Builder<String, String> shedder(int limit) {
    return PriorityShedder.builder(storeFill).limit(limit).metrics(counters).ticker(ticker)
        .classifier(key -> key.startsWith("bulk") ? Priority.BULK : Priority.DEFAULT)
        .maxQueueWait(Priority.CRITICAL, Duration.ZERO).maxQueueWait(Priority.DEFAULT, Duration.ZERO);
  }

  /** Starts {@code n} blocking loads of {@code prefix} keys (as {@code as}, if not null); how many were admitted. */
  private int admitted(Fill<String, String> fill, String prefix, Priority as, int n) throws Exception {
    List<CompletableFuture<String>> mine = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String key = prefix + i;
      mine.add(CompletableFuture.supplyAsync(() -> as == null ? fill.fill(key, null, 0, blocking)
          : PriorityShedder.as(as, () -> fill.fill(key, null, 0, blocking)), pool));
    }
    loads.addAll(mine);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (started.availablePermits() + mine.stream().filter(CompletableFuture::isCompletedExceptionally).count() < n
        && System.nanoTime() < deadline) {
      Thread.sleep(1); // polling until every load started or was refused; no timing is asserted
    }
    for (CompletableFuture<String> f : mine) {
      if (f.isCompletedExceptionally()) {
        Throwable t = assertThrows(CompletionException.class, f::join).getCause();
        assertEquals("load shed", assertInstanceOf(RejectedException.class, t).reason());
      }
    }
    return started.drainPermits();
  }

  @Test
  void aCriticalLoadIsAdmittedAtOnceWhileBulkHoldsAllItMay() throws Exception {
    PriorityShedder<String, String> shedder = shedder(10).shares(20, 50, 10).build(); // guarantees 2, 5, 1
    assertEquals(3, admitted(shedder, "bulk", null, 10), "BULK: its 1 and the 2 unreserved");
    assertEquals(5, admitted(shedder, "user", null, 10), "DEFAULT: its 5; CRITICAL's 2 stay free");
    assertEquals(2, admitted(shedder, "checkout", Priority.CRITICAL, 2), "CRITICAL: its 2, at once");
    assertEquals(3, shedder.loadsInFlight(Priority.BULK));
    assertEquals(2, shedder.loadsInFlight(Priority.CRITICAL));
    assertEquals(12, counters.get(Event.LOAD_SHED), "7 BULK and 5 DEFAULT");

    LoadShedder<String, String> flat = LoadShedder.builder(storeFill).maxConcurrentLoads(10)
        .maxQueueWait(Duration.ZERO).metrics(counters).build(); // what it replaces
    assertEquals(10, admitted(flat, "bulk-flat", null, 10));
    assertEquals(0, admitted(flat, "checkout-flat", Priority.CRITICAL, 1), "one pool: the checkout is shed");
  }

  @Test
  void anUnusedShareIsLentToTheClassThatNeedsIt() throws Exception {
    PriorityShedder<String, String> shedder = shedder(10).shares(20, 50, 10).build();
    assertEquals(8, admitted(shedder, "user", null, 10), "DEFAULT: its 5, BULK's idle 1, the 2 unreserved");
    assertEquals(2, admitted(shedder, "checkout", Priority.CRITICAL, 4), "CRITICAL: the 2 left");
  }

  @Test
  void backgroundRefreshesNeverTakeTheSlotsUserLoadsArePromised() throws Exception {
    PriorityShedder<String, String> shedder = shedder(10).build(); // defaults 10, 60, 10: guarantees 1, 6, 1
    CacheAside<String, String> path = CacheAside.builder(store, shedder).metrics(counters)
        .policy(new StaleWhileRevalidate<>(Duration.ofMinutes(1)), PriorityShedder.asBackground(pool)).build();
    for (int i = 0; i < 20; i++) {
      path.get("page" + i, key -> key + "@warm");
    }
    ticker.advance(TTL.plusSeconds(1)); // every page stale: each read serves it and starts a refresh
    for (int i = 0; i < 20; i++) {
      assertEquals("page" + i + "@warm", path.get("page" + i, blocking));
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (started.availablePermits() + counters.get(Event.REFRESH_FAILED) < 20 && System.nanoTime() < deadline) {
      Thread.sleep(1);
    }
    assertEquals(3, started.drainPermits(), "refreshes running: BULK's 1 and the 2 unreserved");
    assertEquals(3, shedder.loadsInFlight(Priority.BULK), "the refreshes counted as BULK");
    assertEquals(6, admitted(shedder, "user", null, 6), "every user load within DEFAULT's share");
    assertEquals(1, admitted(shedder, "checkout", Priority.CRITICAL, 1));
  }

  @Test
  void anInterruptedWaiterTakesNoSlotAndGetsInterruptedLoadException() throws Exception {
    PriorityShedder<String, String> shedder = shedder(1).maxQueueWait(Priority.CRITICAL, Duration.ofSeconds(30))
        .build();
    assertEquals(1, admitted(shedder, "user", null, 1));
    AtomicReference<Thread> waiter = new AtomicReference<>();
    CompletableFuture<Object> interrupted = CompletableFuture.supplyAsync(() -> {
      waiter.set(Thread.currentThread());
      try {
        return PriorityShedder.as(Priority.CRITICAL, () -> shedder.fill("checkout", null, 0, blocking));
      } catch (RuntimeException e) {
        return List.of(e, Thread.currentThread().isInterrupted());
      }
    }, pool);
    while (waiter.get() == null || waiter.get().getState() != Thread.State.TIMED_WAITING) {
      Thread.onSpinWait();
    }
    waiter.get().interrupt();
    List<?> outcome = (List<?>) interrupted.get(10, TimeUnit.SECONDS);
    assertInstanceOf(InterruptedLoadException.class, outcome.get(0));
    assertEquals(true, outcome.get(1), "the interrupt status is set again");
    assertEquals(1, shedder.loadsInFlight(), "only the holder's slot");
    assertEquals(0, counters.get(Event.LOAD_SHED), "an interrupt is not a shed load");
  }

  @Test
  void anInterruptedLoadGivesBackItsSlotAndIsNoLatencySample() {
    AdaptiveLimit adaptive = AdaptiveLimit.builder(20).window(Duration.ZERO, 1).ticker(ticker).build();
    PriorityShedder<String, String> shedder = shedder(1).adaptive(adaptive).build();
    shedder.fill("a", null, 0, key -> {
      ticker.advance(Duration.ofMillis(10));
      return "a@db";
    });
    assertEquals(20, shedder.limit(), "10 ms: the no-load time");
    LoadException e = assertThrows(LoadException.class, () -> shedder.fill("b", null, 0, key -> {
      ticker.advance(Duration.ofSeconds(10)); // the caller waited long, then was cancelled
      Thread.currentThread().interrupt();
      throw new InterruptedException("cancelled");
    }));
    assertTrue(Thread.interrupted(), "the interrupt status is kept (and cleared here)");
    assertInstanceOf(InterruptedLoadException.class, e);
    assertEquals(0, shedder.loadsInFlight());
    assertEquals(20, shedder.limit(), "a 10 s interrupted load is no sample");
    assertThrows(LoadException.class, () -> shedder.fill("c", null, 0, key -> {
      ticker.advance(Duration.ofSeconds(10));
      throw new IllegalStateException("database timeout");
    }));
    assertEquals(10, shedder.limit(), "a 10 s failed load is one: the limit halves");
  }

  @Test
  void badSettingsFailInTheBuilderNamingTheSetting() {
    assertEquals("shares must add up to at most 100%: CRITICAL 50% + DEFAULT 60% + BULK 10% = 120%",
        assertThrows(IllegalArgumentException.class, () -> shedder(10).shares(50, 60, 10)).getMessage());
    assertEquals("share of BULK must be between 0% and 100%: -5%",
        assertThrows(IllegalArgumentException.class, () -> shedder(10).shares(50, 10, -5)).getMessage());
    assertEquals("limit must be at least 1: 0",
        assertThrows(IllegalArgumentException.class, () -> shedder(10).limit(0)).getMessage());
    assertEquals("ceiling must be at least 1: 0",
        assertThrows(IllegalArgumentException.class, () -> AdaptiveLimit.builder(0)).getMessage());
    assertEquals("maxQueueWait of DEFAULT must be between 0 and 1 hour: PT-0.001S", assertThrows(
        IllegalArgumentException.class, () -> shedder(10).maxQueueWait(Priority.DEFAULT, Duration.ofMillis(-1)))
        .getMessage());
    assertThrows(NullPointerException.class, () -> shedder(10).classifier(key -> null).build()
        .fill("k", null, 0, key -> "v"));
  }
}
