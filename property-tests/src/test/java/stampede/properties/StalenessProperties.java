package stampede.properties;

import static stampede.properties.Harness.check;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import stampede.core.Counters;
import stampede.core.Entry;
import stampede.core.Event;
import stampede.core.LoadException;
import stampede.core.Loader;
import stampede.core.LoadingStrategy;
import stampede.core.RejectedException;
import stampede.redis.ValueCodec;
import stampede.strategies.BackgroundRefresh;
import stampede.strategies.CacheAside;
import stampede.testkit.CountingLoader;
import stampede.testkit.ManualTicker;
import stampede.testkit.StoreFixture;
import stampede.testkit.StoreKind;

/**
 * No caller ever gets a value staler than its strategy's documented bound, and a slow load under an old lock
 * never overwrites a newer value (fencing).
 */
class StalenessProperties {

  /**
   * The documented staleness bound of each strategy: 0 (always fresh) except stale-while-revalidate, which
   * serves up to {@code staleWhileRevalidate} past expiry, and up to {@code staleIfError} while loads fail.
   */
  static long boundNanos(Coalescing strategy, boolean loaderFailing) {
    boolean swr = strategy == Coalescing.STALE_WHILE_REVALIDATE || strategy == Coalescing.STALE_WHILE_REVALIDATE_PLAIN
        || strategy == Coalescing.LAYERED_STACK;
    if (!swr) {
      return 0;
    }
    // the layered stack's jitter may let a value live up to JITTER x TTL longer than the TTL the check assumes
    long jitter = strategy == Coalescing.LAYERED_STACK ? (long) (Coalescing.TTL.toNanos() * Coalescing.JITTER) : 0;
    return jitter + (loaderFailing ? Math.max(Coalescing.SWR.toNanos(), Coalescing.SIE.toNanos())
        : Coalescing.SWR.toNanos());
  }

  @Property(tries = 40)
  void noValueStalerThanTheDocumentedBound(@ForAll Coalescing strategy, @ForAll StoreKind kind,
      @ForAll boolean baseline,
      @ForAll @Size(min = 1, max = 30) List<@IntRange(min = 0, max = 25_000) Integer> advanceMillis,
      @ForAll @Size(min = 1, max = 30) List<Boolean> loaderFails, @ForAll long seed) throws Exception {
    try (Coalescing.Setup s = strategy.new Setup(kind, 1, seed)) {
      LoadingStrategy<String, String> target = baseline ? s.cacheAside() : s.strategies.get(0);
      String name = baseline ? "CacheAside on " + kind : s.describe();
      CountingLoader loader = new CountingLoader(s.ticker, 0);
      String key = "k";
      for (int i = 0; i < advanceMillis.size(); i++) {
        s.ticker.advance(Duration.ofMillis(advanceMillis.get(i)));
        boolean failing = loaderFails.get(i % loaderFails.size());
        loader.failWith(failing ? () -> new Exception("db down") : null);
        long now = s.ticker.read();
        long bound = baseline ? 0 : boundNanos(strategy, failing);
        String context = name + ", key '" + key + "', step " + i + ", loader " + (failing ? "failing" : "up");
        try {
          String value = target.get(key, loader);
          long expireTime = CountingLoader.loadedAt(value) + Coalescing.TTL.toNanos();
          long staleNanos = now - expireTime;
          if (staleNanos > bound) {
            throw new AssertionError(context + ": got '" + value + "', stale by " + Duration.ofNanos(staleNanos)
                + ", documented bound " + Duration.ofNanos(bound) + " (" + s.counters + ")");
          }
        } catch (LoadException e) {
          if (!failing) {
            throw new AssertionError(context + ": LoadException while the loader works: " + e, e);
          }
        }
        if (!s.background.awaitIdle(Duration.ofSeconds(10))) {
          throw new AssertionError(context + ": background refresh did not finish");
        }
      }
    }
  }

  /**
   * No strategy serves a value older than its documented bound ({@link EveryStrategy#boundNanos}), whatever happens
   * between the reads: time passes (up to 25 s a step, the TTL is 10 s), the loader fails, another node holds the
   * key's lease past {@code maxWait}, the store fails, the one load slot is taken. A value's staleness is measured
   * from the expiry it was written with (or, a value never seen written, from its load time plus the strategy's
   * longest TTL). Calls may fail, with a LoadException or RejectedException only.
   */
  @Property(tries = 100)
  void noStrategyServesAValueOlderThanItsBound(@ForAll EveryStrategy strategy, @ForAll StoreKind kind,
      @ForAll @Size(min = 1, max = 25) List<@IntRange(min = 0, max = 25_000) Integer> advanceMillis,
      @ForAll @Size(min = 1, max = 25) List<@IntRange(min = 0, max = 15) Integer> faults, @ForAll long seed)
      throws Exception {
    ManualTicker ticker = new ManualTicker();
    Counters counters = new Counters();
    ScheduledThreadPoolExecutor watchdog = new ScheduledThreadPoolExecutor(1);
    watchdog.setRemoveOnCancelPolicy(true);
    ExecutorService busyCaller = Executors.newSingleThreadExecutor();
    try (StoreFixture<String> f = kind.open(ticker, ValueCodec.utf8(), Duration.ofMinutes(2));
        Harness.TrackingExecutor background = new Harness.TrackingExecutor()) {
      EveryStrategy.Watched watched = new EveryStrategy.Watched(f.store, f.locks);
      LoadingStrategy<String, String> target = strategy.build(watched, ticker, counters, new Random(seed), watchdog,
          background);
      CountingLoader loader = new CountingLoader(ticker, 0);
      String key = "k";
      for (int i = 0; i < advanceMillis.size(); i++) {
        ticker.advance(Duration.ofMillis(advanceMillis.get(i)));
        int fault = faults.get(i % faults.size());
        boolean failing = (fault & 1) != 0;
        boolean lockHeld = (fault & 2) != 0 && strategy.locks();
        boolean down = (fault & 4) != 0;
        boolean busy = (fault & 8) != 0
            && (strategy == EveryStrategy.LOAD_SHEDDER || strategy == EveryStrategy.PRIORITY_SHEDDER);
        String context = strategy + " on " + kind + ", key '" + key + "', step " + i + (failing ? ", loader failing"
            : "") + (lockHeld ? ", lease held elsewhere" : "") + (down ? ", store down" : "")
            + (busy ? ", load slot taken" : "");
        CountDownLatch release = new CountDownLatch(1);
        Future<?> occupying = busy ? occupySlot(target, "busy" + i, busyCaller, release) : null;
        if (lockHeld) {
          check(f.locks.tryAcquire(key, "elsewhere", 600_000) > 0, context + ": the lease is free before the step");
        }
        watched.down.set(down);
        loader.failWith(failing ? () -> new Exception("db down") : null);
        long now = ticker.read();
        try {
          if (target instanceof BackgroundRefresh<String, String> refresher) {
            refresher.refreshDue();
          }
          String value = target.get(key, loader);
          long expireTime = watched.expiries.getOrDefault(value,
              CountingLoader.loadedAt(value) + strategy.maxTtlNanos());
          long stale = now - expireTime;
          if (stale > strategy.boundNanos()) {
            throw new AssertionError(context + ": got '" + value + "', stale by " + Duration.ofNanos(stale)
                + ", documented bound " + Duration.ofNanos(strategy.boundNanos()) + " (" + counters + ")");
          }
        } catch (LoadException | RejectedException e) {
          // a documented error: no value served
        } finally {
          watched.down.set(false);
          if (lockHeld) {
            f.locks.release(key, "elsewhere");
          }
          release.countDown();
          if (occupying != null) {
            occupying.get(10, TimeUnit.SECONDS);
          }
        }
        loader.failWith(null);
        check(background.awaitIdle(Duration.ofSeconds(10)), context + ": background refresh did not finish");
      }
    } finally {
      busyCaller.shutdownNow();
      watchdog.shutdownNow();
      watchdog.awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  /** Takes the strategy's one load slot with a load of another key (not cached), held until {@code release}. */
  private static Future<?> occupySlot(LoadingStrategy<String, String> target, String other, ExecutorService caller,
      CountDownLatch release) throws InterruptedException {
    CountDownLatch loading = new CountDownLatch(1);
    Future<?> occupying = caller.submit(() -> target.get(other, k -> {
      loading.countDown();
      release.await(10, TimeUnit.SECONDS);
      return "busy#0@0";
    }));
    check(loading.await(10, TimeUnit.SECONDS), "the slot was not taken");
    return occupying;
  }

  /**
   * The store's fence rule (CacheStore.put), on every store: a fenced put (fence &gt; 0) is refused exactly when the
   * stored entry carries a higher fence; an unfenced put (fence 0: cache-aside, write-through) is never refused.
   */
  @Property(tries = 60)
  void storeRefusesLowerFence(@ForAll StoreKind kind,
      @ForAll @Size(min = 1, max = 20) List<@IntRange(min = 0, max = 5) Integer> fences) {
    ManualTicker ticker = new ManualTicker();
    try (StoreFixture<String> f = kind.open(ticker)) {
      Entry<String> current = null;
      for (int i = 0; i < fences.size(); i++) {
        long now = ticker.read();
        Entry<String> e = new Entry<>("v" + i, now, now + Coalescing.TTL.toNanos(), 1, fences.get(i));
        boolean expected = current == null || e.fence() == 0 || current.fence() <= e.fence();
        boolean written = f.store.put("k", e);
        if (written != expected) {
          throw new AssertionError(kind + ", key 'k': put with fence " + e.fence() + " over fence "
              + (current == null ? "none" : current.fence()) + " returned " + written + ", expected " + expected);
        }
        if (expected) {
          current = e;
        }
        Entry<String> stored = f.store.get("k");
        if (!current.equals(stored)) {
          throw new AssertionError(kind + ", key 'k': stored " + stored + ", expected " + current);
        }
        ticker.advance(1000);
      }
    }
  }

  /**
   * A holder whose lease ran out (its watchdog stalled, as in a GC pause) finishes its slow load after a new
   * holder wrote: its write carries the older fencing token and is refused, whichever write lands first.
   */
  @Property(tries = 12)
  void slowOldLoadNeverOverwritesNewerValue(@ForAll StoreKind kind,
      @ForAll @IntRange(min = 30, max = 150) int leaseMillis, @ForAll boolean oldWriteLandsFirst,
      @ForAll @IntRange(min = 0, max = 10) int newLoadMillis, @ForAll long seed) throws Exception {
    ManualTicker ticker = new ManualTicker();
    Counters counters = new Counters();
    ScheduledThreadPoolExecutor stalled = new ScheduledThreadPoolExecutor(1);
    ScheduledThreadPoolExecutor healthy = new ScheduledThreadPoolExecutor(1);
    CountDownLatch unstall = new CountDownLatch(1);
    stalled.execute(() -> {
      try {
        unstall.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    List<StoreFixture<String>> nodes = new ArrayList<>();
    Thread oldHolder = null;
    CountDownLatch finishOld = new CountDownLatch(1);
    try {
      nodes.addAll(Harness.openNodes(kind, ticker, 2));
      StoreFixture<String> a = nodes.get(0);
      StoreFixture<String> b = nodes.get(1);
      Duration lease = Duration.ofMillis(leaseMillis);
      Duration maxWait = Duration.ofSeconds(5);
      CacheAside<String, String> lockA = Harness.lockedReadPath(a, new Random(seed), stalled, counters, lease, maxWait);
      CacheAside<String, String> lockB = Harness.lockedReadPath(b, new Random(~seed), healthy, counters, lease,
          maxWait);
      String key = "fenced";
      CountDownLatch oldStarted = new CountDownLatch(1);
      AtomicReference<Object> oldResult = new AtomicReference<>();
      Loader<String, String> slowOld = k -> {
        oldStarted.countDown();
        if (!finishOld.await(10, TimeUnit.SECONDS)) {
          throw new IllegalStateException("never released");
        }
        return "old";
      };
      oldHolder = new Thread(() -> {
        try {
          oldResult.set(lockA.get(key, slowOld));
        } catch (Throwable t) {
          oldResult.set(t);
        }
      }, "old-holder");
      oldHolder.start();
      String context = "DistributedLock on " + kind + ", key '" + key + "', lease " + lease + ", old write "
          + (oldWriteLandsFirst ? "first" : "last");
      check(oldStarted.await(5, TimeUnit.SECONDS), context + ": old holder never loaded");
      // the old holder's lease runs out: its watchdog is stalled
      if (kind == StoreKind.CAFFEINE) {
        ticker.advance(lease.plusMillis(1)); // LocalLocks leases run on the ticker
      } else {
        Thread.sleep(leaseMillis + 30);
      }
      String fresh = lockB.get(key, k -> {
        if (oldWriteLandsFirst) {
          finishOld.countDown();
          oldHolderJoin(oldResult);
        }
        Thread.sleep(newLoadMillis);
        return "new";
      });
      finishOld.countDown();
      oldHolder.join(10_000);
      check(!oldHolder.isAlive(), context + ": the old holder hung");
      check("new".equals(fresh), context + ": the new holder got " + fresh);
      Entry<String> stored = a.store.get(key);
      check(stored != null && "new".equals(stored.value()), context + ": the store holds "
          + stored + " after the new holder wrote 'new' (old holder returned " + oldResult.get() + ", "
          + counters + ")");
      if (!oldWriteLandsFirst) {
        check(counters.get(Event.FENCED_WRITE) >= 1, context + ": the old write was not fenced ("
            + counters + ")");
      }
      check("new".equals(b.store.get(key).value()) && "new".equals(lockA.get(key, slowOld)),
          context + ": a later read does not see the newer value");
    } finally {
      finishOld.countDown();
      unstall.countDown();
      if (oldHolder != null) {
        oldHolder.join(10_000);
      }
      stalled.shutdownNow();
      healthy.shutdownNow();
      stalled.awaitTermination(5, TimeUnit.SECONDS);
      healthy.awaitTermination(5, TimeUnit.SECONDS);
      Harness.closeAll(nodes);
    }
  }

  /** Waits for the old holder's get to return (it wrote, or was refused) before the new one writes. */
  private static void oldHolderJoin(AtomicReference<Object> oldResult) throws InterruptedException {
    if (!Harness.await(() -> oldResult.get() != null, Duration.ofSeconds(10))) {
      throw new IllegalStateException("old holder did not finish");
    }
  }

}
