package stampede.properties;

import static stampede.properties.Harness.causedBy;
import static stampede.properties.Harness.check;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import stampede.core.CacheStore;
import stampede.core.Event;
import stampede.core.LoadException;
import stampede.core.Loader;
import stampede.core.LoadingStrategy;
import stampede.testkit.Callers;
import stampede.testkit.StoreFixture;
import stampede.testkit.StoreKind;

/**
 * A loader error reaches every coalesced waiter, is never cached, and the next call loads again (Go
 * singleflight, Caffeine issue #287).
 */
class LoadErrorProperties {

  /** How the loader fails. */
  enum Failure { CHECKED, UNCHECKED, NULL }

  /** Every strategy, plus the baseline: a failed load throws LoadException, caches nothing, the next call loads. */
  @Property(tries = 30)
  void failedLoadIsNotCachedAndNextCallLoadsAgain(@ForAll Coalescing strategy, @ForAll StoreKind kind,
      @ForAll Failure failure, @ForAll boolean baseline, @ForAll long seed) throws Exception {
    try (Coalescing.Setup s = strategy.new Setup(kind, 1, seed)) {
      LoadingStrategy<String, String> target = baseline ? s.cacheAside() : s.strategies.get(0);
      String name = (baseline ? "CacheAside" : s.describe());
      String key = "k";
      Exception boom = new Exception("db down " + seed);
      AtomicInteger loads = new AtomicInteger();
      Loader<String, String> failing = k -> {
        loads.incrementAndGet();
        return switch (failure) {
          case CHECKED -> throw boom;
          case UNCHECKED -> throw new IllegalStateException("db down", boom);
          case NULL -> null;
        };
      };
      Throwable thrown = null;
      try {
        target.get(key, failing);
      } catch (Throwable t) {
        thrown = t;
      }
      String context = name + ", key '" + key + "', failure " + failure;
      if (!(thrown instanceof LoadException) || (failure != Failure.NULL && !causedBy(thrown, boom))) {
        throw new AssertionError(context + ": expected a LoadException caused by the loader's error, got " + thrown,
            thrown);
      }
      check(loads.get() == 1, context + ": " + loads.get() + " loads for one failed call");
      s.background.awaitIdle(Duration.ofSeconds(5));
      for (StoreFixture<String> node : s.nodes) {
        check(node.store.get(key) == null, context + ": the failed load left an entry: " + node.store.get(key));
      }
      String value = target.get(key, k -> {
        loads.incrementAndGet();
        return "good";
      });
      check(loads.get() == 2 && "good".equals(value), context + ": after a failed load the next call should load "
          + "again; loads " + loads.get() + ", value " + value);
      check(s.nodes.get(0).store.get(key) != null, context + ": the successful load after a failure was not cached");
    }
  }

  /**
   * Callers coalesced on one load (single flight, and two-level coalescing on one node) all get that load's
   * error; it ran once (one LOAD_FAILED, and no WAIT_TIMED_OUT: no waiter gave up); nothing is cached; the next call
   * loads again.
   */
  @Property(tries = 30)
  void errorReachesEveryCoalescedWaiter(@ForAll("coalescers") Coalescing strategy, @ForAll StoreKind kind,
      @ForAll @IntRange(min = 2, max = 32) int callers, @ForAll @IntRange(min = 1, max = 20) int loadMillis,
      @ForAll long seed) throws Exception {
    try (Coalescing.Setup s = strategy.new Setup(kind, 1, seed)) {
      LoadingStrategy<String, String> target = s.strategies.get(0);
      String key = "err";
      Exception boom = new Exception("boom " + seed);
      AtomicInteger loads = new AtomicInteger();
      Loader<String, String> failing = k -> {
        loads.incrementAndGet();
        Thread.sleep(loadMillis);
        // hold the error until every other caller waits on this load, so all of them are coalesced waiters
        Harness.await(() -> s.counters.get(Event.LOAD_COALESCED) >= callers - 1, Duration.ofSeconds(5));
        throw boom;
      };
      String context = s.describe() + ", key '" + key + "', " + callers + " callers";
      List<Object> results = Callers.race(callers, i -> 0, i -> target.get(key, failing), Duration.ofSeconds(30),
          context);
      check(loads.get() == 1, context + ": " + loads.get() + " loads, expected 1 (" + s.counters + ")");
      check(s.counters.get(Event.LOAD_FAILED) == 1 && s.counters.get(Event.WAIT_TIMED_OUT) == 0, context
          + ": one failed load, no waiter giving up, expected (" + s.counters + ")");
      for (int i = 0; i < callers; i++) {
        Object r = results.get(i);
        if (!(r instanceof LoadException) || !causedBy((Throwable) r, boom)) {
          throw new AssertionError(context + ": caller " + i + " did not get the loader's error: " + r);
        }
      }
      check(s.nodes.get(0).store.get(key) == null, context + ": the failed load was cached");
      String value = target.get(key, k -> "ok" + loads.incrementAndGet());
      check(loads.get() == 2 && value.startsWith("ok"), context + ": the next call did not load again: loads "
          + loads.get() + ", value " + value);
    }
  }

  /**
   * Distributed lock across nodes: the holder gets the loader's error and every caller waiting for it learns of the
   * failure from its release (a LoadException, "the lock holder's load failed") instead of taking the lock and
   * loading again, one after another: one load for all of them. The error is never cached; the next call loads.
   */
  @Property(tries = 15)
  void lockWaitersShareTheHoldersFailure(@ForAll StoreKind kind,
      @ForAll @IntRange(min = 2, max = 16) int callers, @ForAll @IntRange(min = 2, max = 3) int nodes,
      @ForAll @IntRange(min = 5, max = 20) int loadMillis, @ForAll long seed) throws Exception {
    try (Coalescing.Setup s = Coalescing.DISTRIBUTED_LOCK.new Setup(kind, nodes, seed)) {
      String key = "err";
      Exception boom = new Exception("boom " + seed);
      AtomicInteger loads = new AtomicInteger();
      Loader<String, String> failing = k -> {
        loads.incrementAndGet();
        Thread.sleep(loadMillis);
        // hold the error until every other caller waits for the lock, so all of them are waiters
        Harness.await(() -> s.counters.get(Event.LOCK_WAITED) >= callers - 1, Duration.ofSeconds(5));
        throw boom;
      };
      String context = s.describe() + ", key '" + key + "', " + callers + " callers";
      List<Object> results = Callers.race(callers, i -> 0, i -> s.forCaller(i).get(key, failing),
          Duration.ofSeconds(30), context);
      int holders = 0;
      for (Object r : results) {
        check(r instanceof LoadException, context + ": a caller got " + r + ", expected a LoadException");
        if (causedBy((Throwable) r, boom)) {
          holders++;
        } else {
          check(((Throwable) r).getMessage().contains("the lock holder's load failed"), context
              + ": a waiter got " + r);
        }
      }
      check(holders == 1 && loads.get() == 1, context + ": " + holders + " callers got the loader's error and "
          + loads.get() + " loads ran; expected one load, its holder alone with the loader's error (" + s.counters
          + ")");
      CacheStore<String, String> store = s.nodes.get(0).store;
      check(store.get(key) == null, context + ": the failure was cached: " + store.get(key));
      String value = s.forCaller(1).get(key, k -> "v" + loads.incrementAndGet());
      check("v2".equals(value) && loads.get() == 2, context + ": the next call did not load again: " + value);
    }
  }

  @Provide
  Arbitrary<Coalescing> coalescers() {
    return Arbitraries.of(Coalescing.SINGLE_FLIGHT, Coalescing.TWO_LEVEL);
  }
}
