package stampede.strategies;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import stampede.core.CacheStore;
import stampede.core.Counters;
import stampede.core.Entry;
import stampede.core.Loader;
import stampede.core.Locks;
import stampede.core.StoreException;
import stampede.core.StoreFill;
import stampede.core.Ticker;
import stampede.core.Ttl;
import stampede.strategies.DistributedLock.Fallback;
import stampede.testkit.ManualTicker;
import stampede.testkit.StoreFixture;
import stampede.testkit.StoreKind;

/**
 * Issue 18, item 3: a lease taken on the shared store is released, renewed and signalled there, and the value written
 * under it reaches the store, even after the guard opened meanwhile. Two nodes, each with its guard, over one shared
 * store and its leases (in process: entries and leases of one CaffeineStore and LocalLocks); Redis up the whole time
 * but for one command of node A that times out while A holds the lease.
 */
class StoreGuardLeaseTest {
  private static final Duration MAX_WAIT = Duration.ofSeconds(2);
  private final ManualTicker entries = new ManualTicker(); // entries stay fresh, shared leases never run out
  private final Counters counters = new Counters();
  private final AtomicInteger loads = new AtomicInteger();
  private final ScheduledThreadPoolExecutor watchdog = new ScheduledThreadPoolExecutor(1);
  private final ExecutorService pool = Executors.newCachedThreadPool();
  private final StoreFixture<String> shared = StoreKind.CAFFEINE.open(entries);

  @AfterEach
  void shutDown() {
    pool.shutdownNow();
    watchdog.shutdownNow();
    shared.close();
  }

  /** Node A's view of the shared store: its next read of {@code key} times out once, when armed. */
  static final class TimesOutOnce implements CacheStore<String, String> {
    final AtomicBoolean armed = new AtomicBoolean();
    private final CacheStore<String, String> store;
    private final String key;

    TimesOutOnce(CacheStore<String, String> store, String key) {
      this.store = store;
      this.key = key;
    }

    @Override
    public Entry<String> get(String k) {
      if (k.equals(key) && armed.getAndSet(false)) {
        throw new StoreException("Redis GET of '" + k + "' failed: Command timed out after 500 millisecond(s)", null);
      }
      return store.get(k);
    }

    @Override
    public boolean put(String k, Entry<String> entry) {
      return store.put(k, entry);
    }

    @Override
    public void invalidate(String k) {
      store.invalidate(k);
    }

    @Override
    public Ticker ticker() {
      return store.ticker();
    }
  }

  private CacheAside<String, String> node(StoreGuard<String, String> guard, Locks<String> locks) {
    return node(guard, locks, counters);
  }

  private CacheAside<String, String> node(StoreGuard<String, String> guard, Locks<String> locks,
      stampede.core.Metrics metrics) {
    DistributedLock<String, String> lock = DistributedLock.builder(guard, locks,
        new StoreFill<>(guard, counters, Ttl.fixed(Duration.ofMinutes(5)))).metrics(metrics)
        .tokens(new Random(loads.get() + System.identityHashCode(guard))).watchdog(watchdog)
        .lease(Duration.ofSeconds(30)).maxWait(MAX_WAIT).fallback(Fallback.LOAD_WITHOUT_CACHING).build();
    return CacheAside.builder(guard, lock).metrics(counters).build();
  }

  /**
   * Before: B's 3 callers each waited maxWait (2 s) and loaded uncached (4 loads), A's second caller took an
   * in-process lease and loaded beside the holder, and A's lease stayed held on the store. After: one load; B's
   * callers and A's second caller get A's value as soon as it is loaded.
   */
  @Test
  void aLeaseTakenOnTheStoreIsReleasedAndSignalledThereAfterTheGuardOpens() throws Exception {
    TimesOutOnce aView = new TimesOutOnce(shared.store, "other");
    StoreGuard<String, String> guardA = StoreGuard.builder(aView, shared.locks).metrics(counters)
        .firstProbe(Duration.ofSeconds(30)).openFor(Duration.ofSeconds(30)).build(); // no probe closes it meanwhile
    StoreGuard<String, String> guardB = StoreGuard.builder(shared.store, shared.locks).metrics(counters).build();
    CountDownLatch bWaiting = new CountDownLatch(3);
    CountDownLatch bPolling = new CountDownLatch(1); // B's callers share one wait: one of them polls
    CacheAside<String, String> a = node(guardA, guardA);
    CacheAside<String, String> b = node(guardB, new ProbedLocks<>(guardB).onAwait(bPolling::countDown),
        counters.and((event, key) -> {
          if (event == stampede.core.Event.LOCK_WAITED) {
            bWaiting.countDown();
          }
        }));
    CountDownLatch aSecondCaller = new CountDownLatch(1);
    long[] loadedAt = new long[1];
    Loader<String, String> db = key -> {
      int n = loads.incrementAndGet();
      if (n == 1) {
        assertTrue(bWaiting.await(10, TimeUnit.SECONDS) && bPolling.await(10, TimeUnit.SECONDS),
            "B's callers wait for A's lease");
        aView.armed.set(true);
        CompletableFuture.runAsync(() -> guardA.get("other"), pool).get(10, TimeUnit.SECONDS);
        assertTrue(guardA.isOpen(), "one timed-out command on A: A's guard opened");
        assertTrue(aSecondCaller.await(10, TimeUnit.SECONDS));
        Thread.sleep(50); // A's second caller waits (before: it loads)
        loadedAt[0] = System.nanoTime();
      }
      Thread.sleep(5);
      return key + "@v" + n;
    };
    CompletableFuture<String> holder = CompletableFuture.supplyAsync(() -> a.get("hot", db), pool);
    while (counters.get(stampede.core.Event.LOCK_ACQUIRED) == 0) {
      Thread.sleep(1);
    }
    List<CompletableFuture<long[]>> bCallers = new ArrayList<>();
    List<CompletableFuture<String>> bValues = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      CompletableFuture<String> value = CompletableFuture.supplyAsync(() -> b.get("hot", db), pool);
      bValues.add(value);
      bCallers.add(value.thenApply(v -> new long[] {System.nanoTime()}));
    }
    while (!guardA.isOpen()) {
      Thread.sleep(1);
    }
    CompletableFuture<String> aSecond = CompletableFuture.supplyAsync(() -> {
      aSecondCaller.countDown();
      return a.get("hot", db);
    }, pool);
    assertEquals("hot@v1", holder.get(10, TimeUnit.SECONDS));
    String second = aSecond.get(10, TimeUnit.SECONDS);
    List<String> got = new ArrayList<>();
    long longestWaitMillis = 0;
    for (int i = 0; i < 3; i++) {
      got.add(bValues.get(i).get(10, TimeUnit.SECONDS));
      longestWaitMillis = Math.max(longestWaitMillis, (bCallers.get(i).get()[0] - loadedAt[0]) / 1_000_000);
    }
    Entry<String> stored = shared.store.get("hot");
    String outcome = "A's second caller " + second + "; B's callers " + got + " after "
        + (longestWaitMillis < MAX_WAIT.toMillis() / 2 ? "less than 1 s" : longestWaitMillis + " ms") + "; "
        + loads.get() + " load(s); the store holds " + (stored == null ? null : stored.value()) + "; A's lease "
        + (shared.locks.tryAcquire("hot", "probe", 1000) > 0 ? "released" : "still held");
    assertEquals("A's second caller hot@v1; B's callers [hot@v1, hot@v1, hot@v1] after less than 1 s; 1 load(s); "
        + "the store holds hot@v1; A's lease released", outcome);
    assertTrue(guardA.isOpen() && !guardB.isOpen());
  }

  /**
   * The lease's commands go to the store after the guard opened, but a call still pays one failure at most: once the
   * holder's own write has failed, its release and signal stay in process (the lease runs out by itself), while the
   * watchdog's renewal, on its own thread, still goes to the store.
   */
  @Test
  void onceTheHoldersOwnCommandFailedItsLeaseCommandsStayInProcess() throws Exception {
    StoreGuardTest.Flaky flaky = new StoreGuardTest.Flaky(shared);
    StoreGuard<String, String> guard = StoreGuard.builder(flaky, flaky).metrics(counters).build();
    long token = guard.tryAcquire("k", "holder", 30_000);
    assertTrue(token > 0);
    flaky.down.set(true);
    long now = entries.read();
    assertTrue(guard.put("k", new Entry<>("v", now, now + Duration.ofMinutes(1).toNanos(), 0, token)), "kept");
    assertTrue(guard.isOpen());
    assertEquals(2, flaky.calls.get(), "the acquire and the failed write");
    flaky.down.set(false);
    assertTrue(CompletableFuture.supplyAsync(() -> guard.renew("k", "holder", 30_000), pool).get(10,
        TimeUnit.SECONDS), "the watchdog's renewal reached the store");
    assertEquals(3, flaky.calls.get());
    assertFalse(guard.release("k", "holder"), "not sent: this call has had its failure");
    guard.signal("k");
    assertEquals(3, flaky.calls.get());
    assertEquals("v", guard.get("k").value(), "the copy serves this process");
  }
}
