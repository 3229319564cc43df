package stampede.strategies;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
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
import stampede.core.Event;
import stampede.core.Loader;
import stampede.core.Metrics;
import stampede.core.StoreException;
import stampede.core.StoreFill;
import stampede.core.Ticker;
import stampede.core.Ttl;
import stampede.strategies.DistributedLock.Fallback;
import stampede.testkit.ManualTicker;
import stampede.testkit.StoreFixture;
import stampede.testkit.StoreKind;

/**
 * Issue 18, item 12, deterministically: what a waiter woken by the holder's release does when the holder loaded but
 * its write did not reach the store. On the embedded Redis (DistributedLockRedisOutageTest) the errors callers saw
 * while Redis stopped and started were all "the lock holder's load failed", every load having succeeded: the locks'
 * connection was back (the holder took the lease and signalled) while the store's was not (its write failed, and so
 * did the waiter's read). In process here: the shared leases are in-process locks, the store fails on demand.
 */
class DistributedLockWakeTest {
  private static final Duration TTL = Duration.ofMinutes(1);
  private final ManualTicker ticker = new ManualTicker();
  private final Counters counters = new Counters();
  private final AtomicInteger loads = new AtomicInteger();
  private final ScheduledThreadPoolExecutor watchdog = new ScheduledThreadPoolExecutor(1);
  private final ExecutorService pool = Executors.newCachedThreadPool();
  private final StoreFixture<String> f = StoreKind.CAFFEINE.open(ticker);
  private final Failing store = new Failing(f.store);
  private int built;

  @AfterEach
  void shutDown() {
    pool.shutdownNow();
    watchdog.shutdownNow();
    f.close();
  }

  /** The store of every node, its reads and writes failing on demand (as Redis's connection down). */
  static final class Failing implements CacheStore<String, String> {
    final AtomicBoolean readsFail = new AtomicBoolean();
    final AtomicBoolean writesFail = new AtomicBoolean();
    private final CacheStore<String, String> store;

    Failing(CacheStore<String, String> store) {
      this.store = store;
    }

    @Override
    public Entry<String> get(String key) {
      if (readsFail.get()) {
        throw new StoreException("Redis GET failed: Currently not connected", null);
      }
      return store.get(key);
    }

    @Override
    public boolean put(String key, Entry<String> entry) {
      if (writesFail.get()) {
        throw new StoreException("Redis write failed: Currently not connected", null);
      }
      return store.put(key, entry);
    }

    @Override
    public void invalidate(String key) {
      store.invalidate(key);
    }

    @Override
    public Ticker ticker() {
      return store.ticker();
    }
  }

  /** One node's read path: its own lock over the shared store and leases; callers counted down as they wait. */
  private CacheAside<String, String> node(CountDownLatch waiting) {
    Metrics metrics = counters.and((event, key) -> {
      if (event == Event.LOCK_WAITED) { // a caller waits (on the node's one poller, or on the holder here)
        waiting.countDown();
      }
    });
    DistributedLock<String, String> lock = DistributedLock.builder(store, f.locks,
        new StoreFill<>(store, counters, Ttl.fixed(TTL))).metrics(metrics).tokens(new Random(++built))
        .watchdog(watchdog).lease(Duration.ofSeconds(30)).maxWait(Duration.ofSeconds(20)).fallback(Fallback.LOAD_WITHOUT_CACHING).build();
    return CacheAside.builder(store, lock).metrics(counters).build();
  }

  /** A 1 ms load that, once every waiter waits, breaks the store as {@code outage} says, then returns. */
  private Loader<String, String> loader(CountDownLatch waiting, Runnable outage) {
    return key -> {
      int n = loads.incrementAndGet();
      if (n == 1) {
        assertTrue(waiting.await(10, TimeUnit.SECONDS), "the waiters wait for the lease");
        outage.run();
      }
      Thread.sleep(1);
      return key + "@v" + n;
    };
  }

  /**
   * The case measured on Redis: the holder loaded, its write and the waiters' reads fail (the store's connection
   * is down, the leases' is up). The waiters cannot tell whether the holder loaded: they take the fallback (a
   * load, not an error). Before: 4 of 4 waiters failed with "the lock holder's load failed".
   */
  @Test
  void aWaiterWhoseReadFailsAfterTheReleaseFallsBackInsteadOfFailing() throws Exception {
    CountDownLatch waiting = new CountDownLatch(4);
    CacheAside<String, String> holderNode = node(new CountDownLatch(0));
    CacheAside<String, String> otherNode = node(waiting);
    Loader<String, String> db = loader(waiting, () -> {
      store.readsFail.set(true);
      store.writesFail.set(true);
    });
    CompletableFuture<String> holder = CompletableFuture.supplyAsync(() -> holderNode.get("k", db), pool);
    List<CompletableFuture<Object>> waiters = waiters(otherNode, db, 4, holder);
    assertEquals("k@v1", holder.get(10, TimeUnit.SECONDS));
    assertEquals("0 of 4 failed", failed(waiters), "a value, not an error");
    assertEquals(4, counters.get(Event.LOCK_FALLBACK), "each waiter loaded itself, uncached: " + counters);
    assertEquals(5, loads.get());
  }

  /**
   * A waiter in the holder's process hears the holder's value from the holder, even though the write failed and
   * its own read succeeds (finding nothing). Before: 4 of 4 failed "the lock holder's load failed".
   */
  @Test
  void aWaiterInTheHoldersProcessGetsItsValueWhenItsWriteFailed() throws Exception {
    CountDownLatch waiting = new CountDownLatch(4);
    CacheAside<String, String> node = node(waiting);
    Loader<String, String> db = loader(waiting, () -> store.writesFail.set(true));
    CompletableFuture<String> holder = CompletableFuture.supplyAsync(() -> node.get("k", db), pool);
    List<CompletableFuture<Object>> waiters = waiters(node, db, 4, holder);
    assertEquals("k@v1", holder.get(10, TimeUnit.SECONDS));
    assertEquals("0 of 4 failed", failed(waiters));
    for (CompletableFuture<Object> waiter : waiters) {
      assertEquals("k@v1", waiter.get(), "the holder's value");
    }
    assertEquals(1, loads.get());
    assertNull(f.store.get("k"), "its write failed");
    assertEquals(0, counters.get(Event.LOCK_FALLBACK));
  }

  /** How many waiters ended with an exception, and the first one's. */
  private static String failed(List<CompletableFuture<Object>> waiters) throws Exception {
    int failed = 0;
    Object first = null;
    for (CompletableFuture<Object> waiter : waiters) {
      Object r = waiter.get(10, TimeUnit.SECONDS);
      if (r instanceof Throwable) {
        failed++;
        first = first != null ? first : r;
      }
    }
    return failed + " of " + waiters.size() + " failed" + (first != null ? " (" + first + ")" : "");
  }

  /** {@code n} callers of {@code node}, started once {@code holder}'s caller holds the lease. */
  private List<CompletableFuture<Object>> waiters(CacheAside<String, String> node, Loader<String, String> db, int n,
      CompletableFuture<String> holder) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (counters.get(Event.LOCK_ACQUIRED) == 0) {
      assertTrue(System.nanoTime() < deadline && !holder.isDone(), "the holder took the lease");
      Thread.sleep(1);
    }
    List<CompletableFuture<Object>> waiters = new java.util.ArrayList<>();
    for (int i = 0; i < n; i++) {
      waiters.add(CompletableFuture.supplyAsync(() -> {
        try {
          return node.get("k", db);
        } catch (RuntimeException e) {
          return e;
        }
      }, pool));
    }
    return waiters;
  }
}
