package stampede.properties;

import static stampede.properties.Harness.check;
import static stampede.properties.Harness.closeAll;
import static stampede.properties.Harness.openNodes;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import stampede.core.Counters;
import stampede.core.Event;
import stampede.core.Locks;
import stampede.strategies.CacheAside;
import stampede.testkit.Callers;
import stampede.testkit.ManualTicker;
import stampede.testkit.StoreFixture;
import stampede.testkit.StoreKind;

/**
 * The lease behind the distributed lock, on LocalLocks and on Redis with one connection per node: mutual
 * exclusion with increasing fencing tokens, only the owner releases or renews, and a dead holder blocks
 * others no longer than its lease.
 */
class DistributedLockProperties {

  @Property(tries = 20)
  void mutualExclusionWithIncreasingTokens(@ForAll StoreKind kind, @ForAll @IntRange(min = 2, max = 4) int nodes,
      @ForAll @IntRange(min = 1, max = 4) int threadsPerNode, @ForAll @IntRange(min = 1, max = 4) int rounds,
      @ForAll @IntRange(min = 0, max = 3) int holdMillis, @ForAll long seed) throws Exception {
    ManualTicker ticker = new ManualTicker();
    List<StoreFixture<String>> fixtures = openNodes(kind, ticker, nodes);
    try {
      String name = "lock-" + seed;
      AtomicInteger inside = new AtomicInteger();
      AtomicInteger maxInside = new AtomicInteger();
      List<Long> tokens = Collections.synchronizedList(new ArrayList<>());
      int callers = nodes * threadsPerNode;
      String context = "locks on " + kind + " x" + nodes + " nodes, lock '" + name + "', " + callers + " threads x "
          + rounds + " rounds";
      List<Object> results = Callers.race(callers, i -> 0, i -> {
        Locks<String> locks = fixtures.get(i % nodes).locks;
        String owner = "owner-" + i;
        try {
          for (int r = 0; r < rounds; r++) {
            long token;
            while ((token = locks.tryAcquire(name, owner, 10_000)) == 0) {
              Thread.sleep(1);
            }
            maxInside.accumulateAndGet(inside.incrementAndGet(), Math::max);
            tokens.add(token);
            if (holdMillis > 0) {
              Thread.sleep(holdMillis);
            }
            inside.decrementAndGet();
            if (!locks.release(name, owner)) {
              return new AssertionError("owner " + owner + " could not release its own lease");
            }
          }
          return "ok";
        } catch (InterruptedException e) {
          return e;
        }
      }, Duration.ofSeconds(60), context);
      for (Object r : results) {
        check("ok".equals(r), context + ": a thread failed: " + r);
      }
      check(maxInside.get() == 1, context + ": " + maxInside.get() + " holders at once");
      check(tokens.size() == callers * rounds, context + ": " + tokens.size() + " acquisitions");
      for (int i = 1; i < tokens.size(); i++) {
        check(tokens.get(i) > tokens.get(i - 1), context + ": fencing tokens not increasing: "
            + tokens);
      }
    } finally {
      closeAll(fixtures);
    }
  }

  /** What one step of the owner model does. */
  enum Op { ACQUIRE, RELEASE, RENEW }

  /** Against a model: only the holder renews or releases; a held lease cannot be taken; tokens increase. */
  @Property(tries = 40)
  void onlyTheOwnerReleasesOrRenews(@ForAll StoreKind kind,
      @ForAll @Size(min = 1, max = 25) List<@IntRange(min = 0, max = 2) Integer> who,
      @ForAll @Size(min = 1, max = 25) List<Op> ops, @ForAll long seed) {
    ManualTicker ticker = new ManualTicker();
    List<StoreFixture<String>> fixtures = openNodes(kind, ticker, 3);
    try {
      String name = "owned-" + seed;
      Integer holder = null;
      long lastToken = 0;
      for (int i = 0; i < ops.size(); i++) {
        int o = who.get(i % who.size());
        Locks<String> locks = fixtures.get(o).locks;
        String owner = "owner-" + o;
        String context = "locks on " + kind + ", lock '" + name + "', step " + i + ": " + ops.get(i) + " by " + owner
            + " while held by " + (holder == null ? "nobody" : "owner-" + holder);
        switch (ops.get(i)) {
          case ACQUIRE -> {
            long token = locks.tryAcquire(name, owner, 60_000);
            check((token > 0) == (holder == null), context + ": token " + token);
            if (token > 0) {
              check(token > lastToken, context + ": token " + token + " after " + lastToken);
              lastToken = token;
              holder = o;
            }
          }
          case RELEASE -> {
            boolean released = locks.release(name, owner);
            check(released == Integer.valueOf(o).equals(holder), context + ": release returned "
                + released);
            if (released) {
              holder = null;
            }
          }
          case RENEW -> {
            boolean renewed = locks.renew(name, owner, 60_000);
            check(renewed == Integer.valueOf(o).equals(holder), context + ": renew returned "
                + renewed);
          }
        }
      }
    } finally {
      closeAll(fixtures);
    }
  }

  /**
   * A holder dies mid-load (its watchdog stops and, on Redis, its node's connection closes): waiters on another
   * node are blocked while its lease lives, and one of them loads within the lease (plus a poll interval) after
   * the death; none falls back.
   */
  @Property(tries = 10)
  void deadHolderBlocksNoLongerThanItsLease(@ForAll StoreKind kind,
      @ForAll @IntRange(min = 100, max = 400) int leaseMillis, @ForAll @IntRange(min = 1, max = 4) int waiters,
      @ForAll long seed) throws Exception {
    ManualTicker ticker = new ManualTicker();
    Counters counters = new Counters();
    StoreFixture<String> nodeB = kind.open(ticker);
    StoreFixture<String> nodeA = nodeB.node();
    ScheduledThreadPoolExecutor watchdogA = new ScheduledThreadPoolExecutor(1);
    ScheduledThreadPoolExecutor watchdogB = new ScheduledThreadPoolExecutor(1);
    CountDownLatch finishA = new CountDownLatch(1);
    Thread holder = null;
    boolean nodeAClosed = false;
    try {
      Duration lease = Duration.ofMillis(leaseMillis);
      Random random = new Random(seed);
      Duration maxWait = Duration.ofSeconds(10);
      CacheAside<String, String> lockA = Harness.lockedReadPath(nodeA, new Random(random.nextLong()), watchdogA,
          counters, lease, maxWait);
      CacheAside<String, String> lockB = Harness.lockedReadPath(nodeB, new Random(random.nextLong()), watchdogB,
          counters, lease, maxWait);
      String key = "dead-" + seed;
      CountDownLatch aLoading = new CountDownLatch(1);
      holder = new Thread(() -> {
        try {
          lockA.get(key, k -> {
            aLoading.countDown();
            finishA.await(30, TimeUnit.SECONDS);
            return "fromA";
          });
        } catch (RuntimeException e) {
          // the dead node's late write or release may fail: it is dead
        }
      }, "dying-holder");
      holder.start();
      String context = "DistributedLock on " + kind + ", key '" + key + "', lease " + lease + ", " + waiters
          + " waiter(s)";
      check(aLoading.await(5, TimeUnit.SECONDS), context + ": the holder never loaded");
      Thread.sleep(leaseMillis / 2); // let the watchdog renew at least once while alive
      // the holder dies: no more renewals, and on Redis its connection goes away
      watchdogA.shutdownNow();
      check(watchdogA.awaitTermination(5, TimeUnit.SECONDS), context + ": watchdog did not stop");
      long died = System.nanoTime();
      if (kind == StoreKind.REDIS) {
        nodeA.close();
        nodeAClosed = true;
      }
      AtomicLong firstLoadAt = new AtomicLong();
      AtomicInteger loadsB = new AtomicInteger();
      List<Object> results = new ArrayList<>();
      Thread[] waiting = new Thread[waiters];
      Object[] got = new Object[waiters];
      for (int i = 0; i < waiters; i++) {
        int id = i;
        waiting[i] = new Thread(() -> {
          try {
            got[id] = lockB.get(key, k -> {
              firstLoadAt.compareAndSet(0, System.nanoTime());
              loadsB.incrementAndGet();
              return "fromB";
            });
          } catch (Throwable t) {
            got[id] = t;
          }
        }, "waiter-" + i);
        waiting[i].start();
      }
      Thread.sleep(leaseMillis / 4);
      long checkedAt = System.nanoTime();
      if (kind == StoreKind.CAFFEINE) {
        // LocalLocks leases run on the ticker: the lease is still alive, waiters must still be blocked
        check(loadsB.get() == 0, context + ": a waiter loaded while the dead holder's lease "
            + "was alive");
        ticker.advance(lease.plusMillis(1));
        died = System.nanoTime(); // the lease ends now, in ticker time
      } else if (checkedAt - died < TimeUnit.MILLISECONDS.toNanos(leaseMillis * 2L / 3)) {
        check(loadsB.get() == 0, context + ": a waiter loaded "
            + Duration.ofNanos(firstLoadAt.get() - died) + " after the holder died, before its lease ran out");
      }
      for (Thread t : waiting) {
        t.join(15_000);
        check(!t.isAlive(), context + ": " + t.getName() + " hung");
      }
      Collections.addAll(results, got);
      long blockedFor = firstLoadAt.get() - died;
      long bound = (kind == StoreKind.REDIS ? TimeUnit.MILLISECONDS.toNanos(leaseMillis) : 0)
          + TimeUnit.MILLISECONDS.toNanos(leaseMillis / 4 + 400);
      check(loadsB.get() == 1 && results.stream().allMatch("fromB"::equals), context
          + ": expected one load on the live node and every waiter to get it; loads " + loadsB.get() + ", results "
          + results + " (" + counters + ")");
      check(blockedFor <= bound, context + ": waiters were blocked "
          + Duration.ofNanos(blockedFor) + " after the holder died, bound " + Duration.ofNanos(bound));
      check(counters.get(Event.LOCK_FALLBACK) == 0, context + ": a waiter fell back ("
          + counters + ")");
    } finally {
      finishA.countDown();
      if (holder != null) {
        holder.join(10_000);
      }
      watchdogA.shutdownNow();
      watchdogB.shutdownNow();
      watchdogB.awaitTermination(5, TimeUnit.SECONDS);
      if (kind == StoreKind.REDIS && !nodeAClosed) {
        nodeA.close();
      }
      nodeB.close();
    }
  }
}
