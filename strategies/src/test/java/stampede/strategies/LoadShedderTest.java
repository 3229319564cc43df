package stampede.strategies;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
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
import stampede.core.Event;
import stampede.core.LoadException;
import stampede.core.Loader;
import stampede.core.RejectedException;
import stampede.core.StoreFill;
import stampede.core.Ttl;
import stampede.testkit.Callers;
import stampede.testkit.ManualTicker;
import stampede.testkit.StoreFixture;
import stampede.testkit.StoreKind;

/**
 * Load shedding under the read path, on Caffeine and a real Redis: at most N loads run at once and the rest are shed
 * fast ({@link Event#LOAD_SHED}); a load may wait up to {@code maxQueueWait} for a slot; permits are never leaked,
 * whatever the loader does. Serving stale when shed is the read path's stale-if-error ({@link CacheAsideTest}).
 */
class LoadShedderTest {
  private static final Duration TTL = Duration.ofSeconds(10);
  private final ManualTicker ticker = new ManualTicker();
  private final Counters counters = new Counters();
  private final AtomicInteger loads = new AtomicInteger();
  private final AtomicInteger running = new AtomicInteger();
  private final AtomicInteger maxRunning = new AtomicInteger();
  private final ExecutorService pool = Executors.newCachedThreadPool();

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

  @AfterEach
  void shutDown() {
    pool.shutdownNow();
  }

  private LoadShedder<String, String> shedder(CacheStore<String, String> store, int max, Duration maxQueueWait) {
    return LoadShedder.builder(new StoreFill<>(store, counters, Ttl.fixed(TTL))).maxConcurrentLoads(max)
        .maxQueueWait(maxQueueWait).metrics(counters).build();
  }

  private CacheAside<String, String> path(CacheStore<String, String> store, LoadShedder<String, String> shedder) {
    return CacheAside.builder(store, shedder).metrics(counters).build();
  }

  /** Takes one permit until {@code release} opens; returns once the load has started. */
  private CompletableFuture<String> holdAPermit(CacheAside<String, String> path, CountDownLatch release)
      throws InterruptedException {
    CountDownLatch started = new CountDownLatch(1);
    CompletableFuture<String> holder = CompletableFuture.supplyAsync(() -> path.get("holder", key -> {
      started.countDown();
      release.await();
      return "held";
    }), pool);
    assertTrue(started.await(5, TimeUnit.SECONDS));
    return holder;
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void atMostTwoLoadsRunAtOnceAndTheRestAreShed(StoreKind kind) throws Exception {
    try (StoreFixture<String> f = kind.open(ticker)) {
      LoadShedder<String, String> shedder = shedder(f.store, 2, Duration.ZERO);
      CacheAside<String, String> path = path(f.store, shedder);
      AtomicInteger keys = new AtomicInteger();
      List<Object> results = Callers.run(20, () -> path.get("k" + keys.incrementAndGet(), slowDb));
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
      assertEquals(shed, counters.get(Event.LOAD_SHED));
      assertEquals(0, shedder.loadsInFlight());
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aShedLoadNeverReachesTheLoaderAndAFreeSlotLoadsAgain(StoreKind kind) throws Exception {
    try (StoreFixture<String> f = kind.open(ticker)) {
      LoadShedder<String, String> shedder = shedder(f.store, 1, Duration.ZERO);
      CacheAside<String, String> path = path(f.store, shedder);
      CountDownLatch release = new CountDownLatch(1);
      CompletableFuture<String> holder = holdAPermit(path, release);
      assertEquals(1, shedder.loadsInFlight());
      assertEquals("load shed", assertThrows(RejectedException.class, () -> path.get("s", slowDb)).reason());
      assertThrows(NullPointerException.class, () -> shedder.fill("s", null, 0, null), "no slot: still a null loader");
      assertEquals(0, loads.get(), "shed callers never reached the loader");
      release.countDown();
      assertEquals("held", holder.get(5, TimeUnit.SECONDS));
      assertEquals("s@db", path.get("s", slowDb), "a free slot loads again");
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void permitsAreNotLeakedAfterLoaderErrors(StoreKind kind) throws Exception {
    try (StoreFixture<String> f = kind.open(ticker)) {
      LoadShedder<String, String> shedder = shedder(f.store, 2, Duration.ofSeconds(5));
      CacheAside<String, String> path = path(f.store, shedder);
      IllegalStateException dbDown = new IllegalStateException("db down");
      for (int i = 0; i < 10; i++) {
        assertEquals(dbDown, assertThrows(LoadException.class, () -> path.get("k", key -> {
          throw dbDown;
        })).getCause());
        assertThrows(LoadException.class, () -> path.get("k", key -> null));
        assertThrows(SimulatedError.class, () -> path.get("k", key -> {
          throw new SimulatedError();
        }));
      }
      assertEquals(0, shedder.loadsInFlight());
      AtomicInteger keys = new AtomicInteger();
      CountDownLatch both = new CountDownLatch(2);
      List<Object> results = Callers.run(2, () -> path.get("ok" + keys.incrementAndGet(), key -> {
        both.countDown();
        return both.await(5, TimeUnit.SECONDS) ? "together" : "alone";
      }));
      assertEquals(List.of("together", "together"), results, "both slots are free");
    }
  }

  @Test
  void aWaiterGetsASlotWithinMaxQueueWaitOrIsShedAfterIt() throws Exception {
    try (StoreFixture<String> f = StoreKind.CAFFEINE.open(ticker)) {
      CacheAside<String, String> queueing = path(f.store, shedder(f.store, 1, Duration.ofSeconds(5)));
      AtomicInteger keys = new AtomicInteger();
      List<Object> results = Callers.run(3, () -> queueing.get("q" + keys.incrementAndGet(), slowDb));
      results.forEach(r -> assertInstanceOf(String.class, r, "all three waited their turn: " + r));
      assertEquals(1, maxRunning.get());

      CacheAside<String, String> brief = path(f.store, shedder(f.store, 1, Duration.ofMillis(50)));
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
  }

  private static final class SimulatedError extends Error {
    private static final long serialVersionUID = 1L;
  }

  @Test
  void badInputIsAClearError() {
    try (StoreFixture<String> f = StoreKind.CAFFEINE.open(ticker)) {
      LoadShedder<String, String> shedder = shedder(f.store, 1, Duration.ZERO);
      CacheAside<String, String> path = path(f.store, shedder);
      assertThrows(NullPointerException.class, () -> path.get(null, slowDb));
      assertThrows(NullPointerException.class, () -> path.get("k", null));
      assertThrows(NullPointerException.class, () -> shedder.fill(null, null, 0, slowDb));
      assertThrows(NullPointerException.class, () -> shedder.fill("k", null, 0, null));
      assertThrows(IllegalArgumentException.class, () -> shedder(f.store, 0, Duration.ZERO));
      assertThrows(IllegalArgumentException.class, () -> shedder(f.store, 1, Duration.ofMillis(-1)));
      assertEquals(0, shedder.loadsInFlight());
    }
  }
}
