package stampede.strategies;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import stampede.core.Counters;
import stampede.core.Event;
import stampede.core.InterruptedLoadException;
import stampede.core.Loader;
import stampede.core.Locks;
import stampede.core.Metrics;
import stampede.core.StoreException;
import stampede.core.StoreFill;
import stampede.core.Ttl;
import stampede.strategies.DistributedLock.Fallback;
import stampede.testkit.LocalLocks;
import stampede.testkit.ManualTicker;
import stampede.testkit.StoreFixture;
import stampede.testkit.StoreKind;

/**
 * Issue 18, the lock's side of interrupts: a cancelled request is its caller's own. A caller interrupted while it
 * waits for the lease gets an {@link InterruptedLoadException} and loads nothing (no fallback load beside the
 * holder); a holder whose loader is interrupted still releases its lease and wakes its waiters, even on a lock
 * service that, as Lettuce, refuses every command of an interrupted thread; and its waiters in the process try for
 * the lease again, one of them loading, instead of failing with its cancellation.
 */
class DistributedLockInterruptTest {
  private final ManualTicker ticker = new ManualTicker();
  private final Counters counters = new Counters();
  private final AtomicInteger loads = new AtomicInteger();
  private final ScheduledThreadPoolExecutor watchdog = new ScheduledThreadPoolExecutor(1);
  private final ExecutorService pool = Executors.newCachedThreadPool();
  private final StoreFixture<String> f = StoreKind.CAFFEINE.open(ticker);
  private final LocalLocks<String> leases = (LocalLocks<String>) f.locks;
  private final Loader<String, String> db = key -> {
    int n = loads.incrementAndGet();
    Thread.sleep(1);
    return key + "@v" + n;
  };

  @AfterEach
  void shutDown() {
    pool.shutdownNow();
    watchdog.shutdownNow();
    f.close();
  }

  /** Leases that refuse every command of an interrupted thread, as RedisLocks over Lettuce's sync API does. */
  static final class Refusing implements Locks<String> {
    private final Locks<String> locks;

    Refusing(Locks<String> locks) {
      this.locks = locks;
    }

    private void check(String command) {
      if (Thread.currentThread().isInterrupted()) {
        throw new StoreException("Redis " + command + " failed: Command interrupted", new InterruptedException());
      }
    }

    @Override
    public long tryAcquire(String key, String owner, long leaseMillis) {
      check("acquire");
      return locks.tryAcquire(key, owner, leaseMillis);
    }

    @Override
    public boolean renew(String key, String owner, long leaseMillis) {
      check("renew");
      return locks.renew(key, owner, leaseMillis);
    }

    @Override
    public boolean release(String key, String owner) {
      check("release");
      return locks.release(key, owner);
    }

    @Override
    public Watch watch(String key) {
      return locks.watch(key);
    }

    @Override
    public void signal(String key) {
      check("PUBLISH");
      locks.signal(key);
    }
  }

  private CacheAside<String, String> node(Locks<String> locks, Duration maxWait) {
    return node(locks, maxWait, counters);
  }

  private CacheAside<String, String> node(Locks<String> locks, Duration maxWait, Metrics metrics) {
    DistributedLock<String, String> lock = DistributedLock.builder(f.store, locks,
        new StoreFill<>(f.store, counters, Ttl.fixed(Duration.ofMinutes(1)))).metrics(metrics).tokens(new Random(7))
        .watchdog(watchdog).lease(Duration.ofSeconds(30)).maxWait(maxWait)
        .fallback(Fallback.LOAD_WITHOUT_CACHING).build();
    return CacheAside.builder(f.store, lock).metrics(counters).build();
  }

  /** Runs {@code call} on a pool thread: its value or exception, and whether the thread ended interrupted. */
  private CompletableFuture<Object[]> run(java.util.function.Supplier<String> call, AtomicReference<Thread> thread) {
    return CompletableFuture.supplyAsync(() -> {
      thread.set(Thread.currentThread());
      Object result;
      try {
        result = call.get();
      } catch (RuntimeException e) {
        result = e;
      }
      return new Object[] {result, Thread.interrupted()};
    }, pool);
  }

  /** Before: a LoadException that was not an InterruptedLoadException. */
  @Test
  void aCallerInterruptedWhileWaitingForTheLeaseGetsAnInterruptAndLoadsNothing() throws Exception {
    assertTrue(leases.tryAcquire("k", "other", 60_000) > 0);
    CountDownLatch parked = new CountDownLatch(1);
    CacheAside<String, String> node = node(new ProbedLocks<>(leases).onAwait(parked::countDown),
        Duration.ofSeconds(30));
    AtomicReference<Thread> thread = new AtomicReference<>();
    CompletableFuture<Object[]> caller = run(() -> node.get("k", db), thread);
    assertTrue(parked.await(10, TimeUnit.SECONDS));
    thread.get().interrupt();
    Object[] r = caller.get(10, TimeUnit.SECONDS);
    InterruptedLoadException e = assertInstanceOf(InterruptedLoadException.class, r[0]);
    assertTrue(e.getMessage().contains("interrupted while waiting for the distributed lock"), e.getMessage());
    assertEquals(true, r[1], "the caller keeps its interrupt status");
    assertEquals(0, loads.get(), "no fallback load beside the holder");
    assertEquals(0, counters.get(Event.LOCK_FALLBACK));
    assertEquals("other", leases.holder("k"));
  }

  /** Before: the lock service's "interrupted" failure was read as its outage: the fallback loaded (1 load). */
  @Test
  void anInterruptReportedAsALockServiceFailureIsNotAFallback() {
    CacheAside<String, String> node = node(new Refusing(leases), Duration.ofSeconds(30));
    Thread.currentThread().interrupt();
    Object r;
    try {
      r = node.get("k", db);
    } catch (RuntimeException e) {
      r = e;
    }
    assertTrue(Thread.interrupted(), "the caller keeps its interrupt status");
    assertInstanceOf(InterruptedLoadException.class, r, String.valueOf(r));
    assertEquals(0, loads.get(), "no fallback load");
    assertEquals(0, counters.get(Event.LOCK_FALLBACK));
  }

  /**
   * The holder's request is cancelled inside its loader. Before: its release and signal were refused (its thread
   * interrupted), the lease stayed held, and its 4 waiters waited maxWait (2 s) and each loaded uncached: 5 loads.
   * After: the lease is released, the waiters are woken at once and try for it again: one loads, all get its value.
   */
  @Test
  void aHolderInterruptedInItsLoaderReleasesAndSignalsAndItsWaitersRetry() throws Exception {
    CountDownLatch waiting = new CountDownLatch(4);
    CacheAside<String, String> node = node(new Refusing(leases), Duration.ofSeconds(2), counters.and((event, key) -> {
      if (event == Event.LOCK_WAITED) { // they wait on the holder here, sending nothing
        waiting.countDown();
      }
    }));
    Loader<String, String> cancelled = key -> {
      loads.incrementAndGet();
      assertTrue(waiting.await(10, TimeUnit.SECONDS), "4 waiters");
      Thread.currentThread().interrupt(); // the request is cancelled: the driver's next wait throws
      Thread.sleep(10_000);
      return "never";
    };
    AtomicReference<Thread> thread = new AtomicReference<>();
    CompletableFuture<Object[]> holder = run(() -> node.get("k", cancelled), thread);
    while (counters.get(Event.LOCK_ACQUIRED) == 0) {
      Thread.sleep(1);
    }
    long start = System.nanoTime();
    List<CompletableFuture<Object[]>> waiters = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      waiters.add(run(() -> node.get("k", db), new AtomicReference<>()));
    }
    Object[] h = holder.get(10, TimeUnit.SECONDS);
    assertInstanceOf(InterruptedLoadException.class, h[0], String.valueOf(h[0]));
    assertEquals(true, h[1], "the holder keeps its interrupt status");
    List<Object> got = new ArrayList<>();
    for (CompletableFuture<Object[]> w : waiters) {
      got.add(w.get(10, TimeUnit.SECONDS)[0]);
    }
    long tookMillis = (System.nanoTime() - start) / 1_000_000;
    assertEquals(List.of("k@v2", "k@v2", "k@v2", "k@v2"), got, "one waiter loaded, all got its value");
    assertEquals(2, loads.get(), "the cancelled load and one more (" + counters + ")");
    assertTrue(tookMillis < 1_500, "woken by the release, not after maxWait (2 s): " + tookMillis + " ms");
    assertEquals(0, counters.get(Event.LOCK_FALLBACK));
    assertNull(leases.holder("k"), "no lease left behind");
    assertEquals(0, leases.watchedNames(), "no watch left behind");
  }
}
