package stampede.nearcache;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import stampede.core.Counters;
import stampede.core.Fill;
import stampede.core.StoreFill;
import stampede.core.Ttl;
import stampede.redis.RedisStore;
import stampede.strategies.CacheAside;
import stampede.strategies.DistributedLock;
import stampede.strategies.LayeredStack;
import stampede.strategies.TwoLevelCoalescing;
import stampede.testkit.Callers;
import stampede.testkit.CountingLoader;
import stampede.testkit.ManualTicker;
import stampede.testkit.SharedRedis;
import stampede.testkit.StoreFixture;
import stampede.testkit.StoreKind;

/**
 * With a near cache on each of several nodes sharing one Redis, the strategies that coordinate across nodes still
 * load each key once per expiry window: L1 serves fresh copies only, so the lock's double-check after a wait reads
 * the holder's new value from Redis, not the expired copy. L1's clock never moves: only invalidations empty it.
 */
class NearCacheCoalescingProperties {
  private static final Duration TTL = Duration.ofSeconds(10);

  enum Stack { TWO_LEVEL_COALESCING, LAYERED_STACK }

  @Property(tries = 12)
  void oneLoadPerKeyPerExpiryWindowAcrossNodesWithNearCaches(@ForAll Stack stack,
      @ForAll @IntRange(min = 2, max = 3) int nodeCount, @ForAll @IntRange(min = 2, max = 16) int callers,
      @ForAll @IntRange(min = 1, max = 3) int keyCount, @ForAll @IntRange(min = 1, max = 20) int loadMillis,
      @ForAll @IntRange(min = 1, max = 3) int windows, @ForAll long seed) throws Exception {
    ManualTicker ticker = new ManualTicker(System.currentTimeMillis() * 1_000_000L); // Redis expiries are real
    Counters counters = new Counters();
    ScheduledThreadPoolExecutor watchdog = new ScheduledThreadPoolExecutor(1);
    List<StoreFixture<String>> nodes = new ArrayList<>();
    List<NearCache<String, String>> nears = new ArrayList<>();
    try {
      nodes.add(StoreKind.REDIS.open(ticker));
      for (int i = 1; i < nodeCount; i++) {
        nodes.add(nodes.get(0).node());
      }
      Random random = new Random(seed);
      List<CacheAside<String, String>> paths = new ArrayList<>();
      for (StoreFixture<String> node : nodes) {
        NearCache<String, String> near = NearCache.builder((RedisStore<String, String>) node.store,
            SharedRedis.client()).clock(new ManualTicker()).build();
        nears.add(near);
        if (stack == Stack.LAYERED_STACK) {
          Random jitter = new Random(random.nextLong());
          paths.add(LayeredStack.builder(near, node.locks, TTL, Runnable::run).metrics(counters)
              .random(jitter::nextDouble).lock(Duration.ofSeconds(2), Duration.ofSeconds(10)).build());
        } else {
          DistributedLock<String, String> lock = DistributedLock.builder(near, node.locks,
                  new StoreFill<>(near, counters, Ttl.fixed(TTL))).metrics(counters)
              .tokens(new Random(random.nextLong())).watchdog(watchdog).lease(Duration.ofSeconds(2))
              .maxWait(Duration.ofSeconds(10)).fallback(DistributedLock.Fallback.FAIL).build();
          Fill<String, String> fill = new TwoLevelCoalescing<>(near, lock, counters);
          paths.add(CacheAside.builder(near, fill).metrics(counters).build());
        }
      }
      CountingLoader loader = new CountingLoader(ticker, loadMillis);
      for (int w = 0; w < windows; w++) {
        if (w > 0) {
          ticker.advance(TTL.multipliedBy(12).dividedBy(10)); // past the jittered TTL (+/-10%)
        }
        long now = ticker.read();
        int[] before = new int[keyCount];
        for (int k = 0; k < keyCount; k++) {
          before[k] = loader.loadsOf("key" + k);
        }
        String context = stack + " with near caches on " + nodeCount + " nodes, window " + w + ", " + callers
            + " callers on " + keyCount + " key(s), " + loadMillis + " ms loads";
        List<Object> results = Callers.race(callers, i -> 0,
            i -> paths.get(i % nodeCount).get("key" + (i % keyCount), loader), Duration.ofSeconds(30), context);
        for (int k = 0; k < keyCount; k++) {
          String where = context + ", key" + k;
          int loads = loader.loadsOf("key" + k) - before[k];
          int expected = callers > k ? 1 : 0;
          check(loads == expected, where + ": " + loads + " loads, expected " + expected + " (" + counters
              + "; " + nears.get(0).stats() + ")");
          for (int i = k; i < callers; i += keyCount) {
            Object r = results.get(i);
            if (r instanceof Throwable t) {
              throw new AssertionError(where + ": caller " + i + " failed: " + t, t);
            }
            check(stack == Stack.LAYERED_STACK && w > 0 || CountingLoader.loadedAt((String) r) == now,
                where + ": '" + r + "' is not this window's");
          }
        }
      }
    } finally {
      watchdog.shutdownNow();
      watchdog.awaitTermination(5, TimeUnit.SECONDS);
      nears.forEach(NearCache::close);
      for (int i = nodes.size() - 1; i >= 0; i--) {
        nodes.get(i).close();
      }
    }
  }

  private static void check(boolean ok, String message) {
    if (!ok) {
      throw new AssertionError(message);
    }
  }
}
