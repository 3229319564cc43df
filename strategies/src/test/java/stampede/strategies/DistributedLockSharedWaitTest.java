package stampede.strategies;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import stampede.core.CacheStore;
import stampede.core.Counters;
import stampede.core.Entry;
import stampede.core.Event;
import stampede.core.InterruptedLoadException;
import stampede.core.Loader;
import stampede.core.Locks;
import stampede.core.Metrics;
import stampede.core.StoreFill;
import stampede.core.Ticker;
import stampede.core.Ttl;
import stampede.strategies.DistributedLock.Fallback;
import stampede.testkit.ManualTicker;
import stampede.testkit.StoreFixture;
import stampede.testkit.StoreKind;

/**
 * Issue 21, item 2: the callers of one process waiting on one key share one wait. The lease is held by another node
 * for the whole wait; the commands the waiting process sends to the lock service and the store are counted, per
 * poll interval (lease / 4), and must not grow with the number of waiting threads. A waiter's interrupt, even the
 * poller's, is its own: the others go on waiting and are woken by the holder's release.
 */
class DistributedLockSharedWaitTest {
  private static final int WAITERS = 200;
  private static final Duration LEASE = Duration.ofMillis(400); // a poll every 100 ms
  private final ManualTicker ticker = new ManualTicker();
  private final Counters counters = new Counters();
  private final ScheduledThreadPoolExecutor watchdog = new ScheduledThreadPoolExecutor(1);
  private final ExecutorService pool = Executors.newCachedThreadPool();
  private final Loader<String, String> db = key -> {
    throw new AssertionError("nobody here loads: the holder is another node");
  };

  @AfterEach
  void shutDown() {
    pool.shutdownNow();
    watchdog.shutdownNow();
  }

  /** Counts what goes to the lock service and the store: acquires, watches and reads. */
  static final class Counted {
    final AtomicLong commands = new AtomicLong();

    Locks<String> locks(Locks<String> locks) {
      return new Locks<>() {
        @Override
        public long tryAcquire(String key, String owner, long leaseMillis) {
          commands.incrementAndGet();
          return locks.tryAcquire(key, owner, leaseMillis);
        }

        @Override
        public boolean renew(String key, String owner, long leaseMillis) {
          commands.incrementAndGet();
          return locks.renew(key, owner, leaseMillis);
        }

        @Override
        public boolean release(String key, String owner) {
          commands.incrementAndGet();
          return locks.release(key, owner);
        }

        @Override
        public Watch watch(String key) {
          commands.incrementAndGet();
          return locks.watch(key);
        }

        @Override
        public void signal(String key) {
          commands.incrementAndGet();
          locks.signal(key);
        }
      };
    }

    CacheStore<String, String> store(CacheStore<String, String> store) {
      return new CacheStore<>() {
        @Override
        public Entry<String> get(String key) {
          commands.incrementAndGet();
          return store.get(key);
        }

        @Override
        public Entry<String> get(String key, long now) {
          commands.incrementAndGet();
          return store.get(key, now);
        }

        @Override
        public boolean put(String key, Entry<String> entry) {
          commands.incrementAndGet();
          return store.put(key, entry);
        }

        @Override
        public void invalidate(String key) {
          commands.incrementAndGet();
          store.invalidate(key);
        }

        @Override
        public Ticker ticker() {
          return store.ticker();
        }
      };
    }
  }

  private DistributedLock<String, String> lock(CacheStore<String, String> store, Locks<String> locks,
      Metrics metrics) {
    return DistributedLock.builder(store, locks, new StoreFill<>(store, metrics, Ttl.fixed(Duration.ofMinutes(1))))
        .metrics(metrics).tokens(new Random(11)).watchdog(watchdog).lease(LEASE).maxWait(Duration.ofSeconds(60))
        .fallback(Fallback.FAIL).build();
  }

  private static Metrics counting(Counters counters, CountDownLatch waited) {
    return counters.and((event, key) -> {
      if (event == Event.LOCK_WAITED) {
        waited.countDown();
      }
    });
  }

  /** The other node writes its value, releases its lease and signals. */
  private static void otherNodeLoads(StoreFixture<String> f, String value) {
    long now = f.store.ticker().read();
    f.store.put("k", new Entry<>(value, now, now + Duration.ofMinutes(1).toNanos(), 0, 0));
    assertTrue(f.locks.release("k", "other"));
    f.locks.signal("k");
  }

  /**
   * Before: each of the 200 threads tried for the lease and read the store every poll: 3,981 commands (in process),
   * 3,558 (Redis) and 3,598 (Redis Cluster) in 11 polls of 100 ms, and 48, 200 and 200 after the release.
   */
  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void twoHundredWaitersOnOneKeySendAFewCommandsPerPollNotAFewPerThread(StoreKind kind) throws Exception {
    try (StoreFixture<String> f = kind.open(ticker)) {
      assertTrue(f.locks.tryAcquire("k", "other", 60_000) > 0);
      Counted counted = new Counted();
      CountDownLatch waited = new CountDownLatch(WAITERS);
      DistributedLock<String, String> lock =
          lock(counted.store(f.store), counted.locks(f.locks), counting(counters, waited));
      List<CompletableFuture<String>> callers = new ArrayList<>();
      for (int i = 0; i < WAITERS; i++) {
        callers.add(CompletableFuture.supplyAsync(() -> lock.fill("k", null, 0, db), pool));
      }
      assertTrue(waited.await(30, TimeUnit.SECONDS), "every caller waits");
      long before = counted.commands.get();
      long start = System.nanoTime();
      Thread.sleep(1_000); // a window of about 10 polls (not a timed assertion: the bound scales with the window)
      long during = counted.commands.get() - before;
      long polls = (System.nanoTime() - start) / (LEASE.toNanos() / 4) + 1;
      long atRelease = counted.commands.get();
      otherNodeLoads(f, "theirs");
      for (CompletableFuture<String> caller : callers) {
        assertEquals("theirs", caller.get(10, TimeUnit.SECONDS));
      }
      long afterRelease = counted.commands.get() - atRelease;
      String figures = during + " commands in " + polls + " polls while " + WAITERS + " threads waited, "
          + afterRelease + " after the release";
      assertTrue(during <= 3 * (polls + 2), "a few commands per poll for the key, not a few per thread: " + figures);
      assertTrue(afterRelease <= 6, "one read for all the waiters after the release: " + figures);
      assertEquals(WAITERS, counters.get(Event.LOCK_WAITED));
      assertEquals(0, counters.get(Event.LOCK_ACQUIRED) + counters.get(Event.LOCK_FALLBACK));
      assertEquals(0, waitingKeys(lock), "the wait table is empty once the wait ended");
    }
  }

  /**
   * The thread polling for the others is interrupted: it alone gets an {@link InterruptedLoadException}; another
   * waiter polls in its place (subscribed, so the release still wakes it at once, not at the next poll: the lease is
   * 30 s, a poll 7.5 s), and every other waiter gets the holder's value. Then a waiter that is not the poller is
   * interrupted: the poller goes on.
   */
  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void anInterruptedPollerHandsTheWaitToAnotherWaiter(StoreKind kind) throws Exception {
    try (StoreFixture<String> f = kind.open(ticker)) {
      assertTrue(f.locks.tryAcquire("k", "other", 60_000) > 0);
      AtomicReference<Thread> poller = new AtomicReference<>();
      AtomicReference<CountDownLatch> polling = new AtomicReference<>(new CountDownLatch(1));
      ProbedLocks<String> locks = new ProbedLocks<>(f.locks).onAwait(() -> {
        poller.set(Thread.currentThread());
        polling.get().countDown();
      });
      CountDownLatch waited = new CountDownLatch(5);
      DistributedLock<String, String> lock = DistributedLock.builder(f.store, locks,
              new StoreFill<>(f.store, counters, Ttl.fixed(Duration.ofMinutes(1)))).metrics(counting(counters, waited))
          .tokens(new Random(5)).watchdog(watchdog).lease(Duration.ofSeconds(30)).maxWait(Duration.ofSeconds(60))
          .fallback(Fallback.FAIL).build();
      List<AtomicReference<Thread>> threads = new ArrayList<>();
      List<CompletableFuture<Object>> callers = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        AtomicReference<Thread> thread = new AtomicReference<>();
        threads.add(thread);
        callers.add(CompletableFuture.supplyAsync(() -> {
          thread.set(Thread.currentThread());
          try {
            return lock.fill("k", null, 0, db);
          } catch (RuntimeException e) {
            return e;
          }
        }, pool));
      }
      assertTrue(waited.await(10, TimeUnit.SECONDS) && polling.get().await(10, TimeUnit.SECONDS), "they wait");
      Thread first = poller.get();
      polling.set(new CountDownLatch(1));
      first.interrupt();
      assertTrue(polling.get().await(10, TimeUnit.SECONDS), "another waiter polls");
      Thread second = poller.get();
      assertNotSame(first, second);
      int firstIndex = index(threads, first);
      Object got = callers.get(firstIndex).get(10, TimeUnit.SECONDS);
      assertInstanceOf(InterruptedLoadException.class, got, String.valueOf(got));
      Thread follower = threads.stream().map(AtomicReference::get).filter(t -> t != first && t != second)
          .findFirst().orElseThrow();
      follower.interrupt();
      Object followerGot = callers.get(index(threads, follower)).get(10, TimeUnit.SECONDS);
      assertInstanceOf(InterruptedLoadException.class, followerGot, String.valueOf(followerGot));
      for (int i = 0; i < 5; i++) {
        assertFalse(i != firstIndex && i != index(threads, follower) && callers.get(i).isDone(), "the others wait on");
      }
      long start = System.nanoTime();
      otherNodeLoads(f, "theirs");
      for (int i = 0; i < 5; i++) {
        if (i != firstIndex && i != index(threads, follower)) {
          assertEquals("theirs", callers.get(i).get(10, TimeUnit.SECONDS));
        }
      }
      long tookMillis = (System.nanoTime() - start) / 1_000_000;
      assertTrue(tookMillis < 5_000, "woken by the release, not the 7.5 s poll: " + tookMillis + " ms");
      assertEquals(0, counters.get(Event.LOCK_FALLBACK) + counters.get(Event.STORE_ERROR));
      assertEquals(0, waitingKeys(lock), "the wait table is empty once the wait ended");
    }
  }

  /** The lock's wait table size, once the waits that just ended have left it (within 5 s). */
  private static int waitingKeys(DistributedLock<String, String> lock) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (lock.waitingKeys() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(1);
    }
    return lock.waitingKeys();
  }

  private static int index(List<AtomicReference<Thread>> threads, Thread t) {
    for (int i = 0; i < threads.size(); i++) {
      if (threads.get(i).get() == t) {
        return i;
      }
    }
    throw new AssertionError("not a caller: " + t);
  }
}
