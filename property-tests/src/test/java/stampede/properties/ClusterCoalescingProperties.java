package stampede.properties;

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
import stampede.strategies.CacheAside;
import stampede.strategies.DistributedLock;
import stampede.strategies.TwoLevelCoalescing;
import stampede.testkit.Callers;
import stampede.testkit.CountingLoader;
import stampede.testkit.ManualTicker;
import stampede.testkit.StoreFixture;
import stampede.testkit.StoreKind;

/**
 * On a Redis Cluster (3 masters, 1 replica each; {@link StoreKind#REDIS_CLUSTER}), with several nodes sharing it:
 * the distributed lock, alone or under a single flight, loads each key once per expiry window, whatever the keys'
 * slots, the callers, the nodes and the load times; and every caller of a key gets that window's one value.
 */
class ClusterCoalescingProperties {
  private static final Duration TTL = Duration.ofSeconds(10);

  /** The strategies that coordinate across nodes. */
  enum Locked { DISTRIBUTED_LOCK, TWO_LEVEL_COALESCING }

  @Property(tries = 12)
  void oneLoadPerKeyPerExpiryWindowAcrossNodes(@ForAll Locked strategy,
      @ForAll @IntRange(min = 2, max = 4) int nodeCount, @ForAll @IntRange(min = 2, max = 16) int callers,
      @ForAll @IntRange(min = 1, max = 4) int keyCount, @ForAll @IntRange(min = 1, max = 20) int loadMillis,
      @ForAll @IntRange(min = 1, max = 2) int windows, @ForAll long seed) throws Exception {
    ManualTicker ticker = new ManualTicker();
    Counters counters = new Counters();
    ScheduledThreadPoolExecutor watchdog = new ScheduledThreadPoolExecutor(1);
    List<StoreFixture<String>> nodes = new ArrayList<>();
    try {
      nodes.add(StoreKind.REDIS_CLUSTER.open(ticker));
      for (int i = 1; i < nodeCount; i++) {
        nodes.add(nodes.get(0).node());
      }
      Random random = new Random(seed);
      List<CacheAside<String, String>> paths = new ArrayList<>();
      for (StoreFixture<String> node : nodes) {
        DistributedLock<String, String> lock = DistributedLock.builder(node.store, node.locks,
                new StoreFill<>(node.store, counters, Ttl.fixed(TTL))).metrics(counters)
            .tokens(new Random(random.nextLong())).watchdog(watchdog).lease(Duration.ofSeconds(2))
            .maxWait(Duration.ofSeconds(10)).fallback(DistributedLock.Fallback.FAIL).build();
        Fill<String, String> fill = strategy == Locked.DISTRIBUTED_LOCK ? lock
            : new TwoLevelCoalescing<>(node.store, lock, counters);
        paths.add(CacheAside.builder(node.store, fill).metrics(counters).build());
      }
      CountingLoader loader = new CountingLoader(ticker, loadMillis);
      for (int w = 0; w < windows; w++) {
        if (w > 0) {
          ticker.advance(TTL.plusSeconds(1));
        }
        long now = ticker.read();
        int[] before = new int[keyCount];
        for (int k = 0; k < keyCount; k++) {
          before[k] = loader.loadsOf("key" + k);
        }
        String context = strategy + " on " + nodeCount + " cluster nodes, window " + w + ", " + callers
            + " callers on " + keyCount + " key(s), " + loadMillis + " ms loads";
        List<Object> results = Callers.race(callers, i -> 0,
            i -> paths.get(i % nodeCount).get("key" + (i % keyCount), loader), Duration.ofSeconds(30), context);
        for (int k = 0; k < keyCount; k++) {
          String where = context + ", key" + k;
          int loads = loader.loadsOf("key" + k) - before[k];
          int expected = callers > k ? 1 : 0;
          check(loads == expected, where + ": " + loads + " loads, expected " + expected + " (" + counters
              + ")");
          String first = null;
          for (int i = k; i < callers; i += keyCount) {
            Object r = results.get(i);
            if (r instanceof Throwable t) {
              throw new AssertionError(where + ": caller " + i + " failed: " + t, t);
            }
            String value = (String) r;
            check(CountingLoader.loadedAt(value) == now, where + ": '" + value + "' is not this window's");
            check(first == null || first.equals(value), where + ": '" + first + "' and '" + value + "'");
            first = value;
          }
        }
      }
    } finally {
      watchdog.shutdownNow();
      watchdog.awaitTermination(5, TimeUnit.SECONDS);
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
