package stampede.strategies;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import stampede.core.Counters;
import stampede.core.Loader;
import stampede.core.Locks;
import stampede.core.RejectedException;
import stampede.core.StoreException;
import stampede.core.StoreFill;
import stampede.core.Ttl;
import stampede.testkit.ManualTicker;
import stampede.testkit.StoreFixture;
import stampede.testkit.StoreKind;

/**
 * The errors thrown on every call while the service is overloaded or a dependency is down (a waiter giving up, a
 * lock not had, the lock service down, a circuit open, a load shed, a client over its rate) carry no stack trace of
 * their own: filling one walks the whole stack on every call, exactly when there is no time for it. The loader's own
 * trace, where there is one, is in the cause.
 */
class OverloadErrorsTest {
  private static final Duration TTL = Duration.ofSeconds(10);
  private final ManualTicker ticker = new ManualTicker();
  private final Counters counters = new Counters();
  private final ExecutorService pool = Executors.newCachedThreadPool();
  private final Loader<String, String> db = key -> key + "@v";

  @AfterEach
  void shutDown() {
    pool.shutdownNow();
  }

  private static void assertStackless(RuntimeException e) {
    assertEquals(0, e.getStackTrace().length, e + " filled a stack trace of " + e.getStackTrace().length + " frames");
  }

  @Test
  void aWaiterThatGivesUpOnAHungLoad() throws Exception {
    try (StoreFixture<String> f = StoreKind.CAFFEINE.open(ticker)) {
      SingleFlight<String, String> singleFlight = SingleFlight.builder(f.store,
          new StoreFill<>(f.store, counters, Ttl.fixed(TTL))).maxWait(Duration.ofMillis(50)).build();
      CountDownLatch started = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      CompletableFuture<String> leader = CompletableFuture.supplyAsync(() -> singleFlight.fill("k", null, 0, key -> {
        started.countDown();
        release.await();
        return "late";
      }), pool);
      assertTrue(started.await(5, TimeUnit.SECONDS));
      RuntimeException e = assertThrows(RuntimeException.class, () -> singleFlight.fill("k", null, 0, db));
      assertTrue(e.getMessage().contains("gave up waiting"), e.getMessage());
      assertStackless(e);
      release.countDown();
      assertEquals("late", leader.get(5, TimeUnit.SECONDS));
    }
  }

  @Test
  void aLockNotHadInTimeAndALockServiceDown() {
    try (StoreFixture<String> f = StoreKind.CAFFEINE.open(ticker)) {
      assertTrue(f.locks.tryAcquire("k", "other", 60_000) > 0);
      StoreFill<String, String> fill = new StoreFill<>(f.store, counters, Ttl.fixed(TTL));
      DistributedLock<String, String> lock = DistributedLock.builder(f.store, f.locks, fill)
          .lease(Duration.ofSeconds(1)).maxWait(Duration.ofMillis(20)).fallback(DistributedLock.Fallback.FAIL).build();
      RuntimeException notHad = assertThrows(RuntimeException.class, () -> lock.fill("k", null, 0, db));
      assertTrue(notHad.getMessage().contains("no lock within"), notHad.getMessage());
      assertStackless(notHad);
      Locks<String> down = new Locks<>() {
        @Override
        public long tryAcquire(String key, String owner, long leaseMillis) {
          throw new StoreException("Redis down", null);
        }

        @Override
        public boolean renew(String key, String owner, long leaseMillis) {
          throw new StoreException("Redis down", null);
        }

        @Override
        public boolean release(String key, String owner) {
          throw new StoreException("Redis down", null);
        }

        @Override
        public Watch watch(String key) {
          return f.locks.watch(key);
        }

        @Override
        public void signal(String key) {
          throw new StoreException("Redis down", null);
        }
      };
      DistributedLock<String, String> noService = DistributedLock.builder(f.store, down, fill)
          .lease(Duration.ofSeconds(1)).maxWait(Duration.ofMillis(20)).fallback(DistributedLock.Fallback.FAIL).build();
      RuntimeException failed = assertThrows(RuntimeException.class, () -> noService.fill("j", null, 0, db));
      assertTrue(failed.getMessage().contains("the lock service failed"), failed.getMessage());
      assertStackless(failed);
    }
  }

  @Test
  void refusalsOfTheProtections() {
    try (StoreFixture<String> f = StoreKind.CAFFEINE.open(ticker)) {
      StoreFill<String, String> fill = new StoreFill<>(f.store, counters, Ttl.fixed(TTL));
      CircuitBreaker<String, String> breaker = CircuitBreaker.builder(fill).failureThreshold(1)
          .openFor(Duration.ofSeconds(5)).metrics(counters).ticker(ticker).build();
      assertThrows(RuntimeException.class, () -> breaker.fill("a", null, 0, key -> null));
      assertStackless(assertThrows(RejectedException.class, () -> breaker.fill("b", null, 0, db)));
      List<LoadShedder<String, String>> shedder = new ArrayList<>(); // one slot, and its load asks for another
      shedder.add(LoadShedder.<String, String>builder(
          (key, seen, fence, loader) -> shedder.get(0).fill("nested", seen, fence, loader))
          .maxConcurrentLoads(1).maxQueueWait(Duration.ZERO).metrics(counters).build());
      assertStackless(assertThrows(RejectedException.class, () -> shedder.get(0).fill("c", null, 0, db)));
      RateLimited<String, String> limited = RateLimited.builder(fill, () -> "client").ticker(ticker).limit(1, 1)
          .build();
      assertEquals("d@v", limited.fill("d", null, 0, db));
      assertStackless(assertThrows(RejectedException.class, () -> limited.fill("e", null, 0, db)));
    }
  }
}
