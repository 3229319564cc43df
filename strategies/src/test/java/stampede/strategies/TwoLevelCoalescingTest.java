package stampede.strategies;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import stampede.core.Counters;
import stampede.core.Entry;
import stampede.core.Event;
import stampede.core.Loader;
import stampede.core.Metrics;
import stampede.core.StoreFill;
import stampede.core.Ttl;
import stampede.strategies.DistributedLock.Fallback;
import stampede.testkit.Callers;
import stampede.testkit.ManualTicker;
import stampede.testkit.StoreFixture;
import stampede.testkit.StoreKind;

/**
 * Two-level coalescing under the read path, N nodes x C callers, on Caffeine and a real Redis: one load, C-1
 * callers coalesced in each process, at most one lock caller per node.
 */
class TwoLevelCoalescingTest {
  private static final int NODES = 3;
  private static final int CALLERS_PER_NODE = 20;
  private static final Duration TTL = Duration.ofSeconds(10);
  private final ManualTicker ticker = new ManualTicker();
  private final AtomicInteger loads = new AtomicInteger();
  private final ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1);

  private final Loader<String, String> slowDb = key -> {
    int n = loads.incrementAndGet();
    Thread.sleep(200);
    return key + "@v" + n;
  };

  @AfterEach
  void shutDown() throws InterruptedException {
    scheduler.shutdownNow();
    assertTrue(scheduler.awaitTermination(5, TimeUnit.SECONDS));
  }

  private TwoLevelCoalescing<String, String> twoLevel(StoreFixture<String> node, Metrics metrics, int seed,
      Duration lease, Duration maxWait) {
    DistributedLock<String, String> lock = DistributedLock.builder(node.store, node.locks,
        new StoreFill<>(node.store, metrics, Ttl.fixed(TTL))).metrics(metrics).tokens(new Random(seed))
        .watchdog(scheduler).lease(lease).maxWait(maxWait).fallback(Fallback.FAIL).build();
    return new TwoLevelCoalescing<>(node.store, lock, metrics);
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void threeNodesOfTwentyCallersLoadOnceAndHitTheLockAtMostOncePerNode(StoreKind kind) throws Exception {
    try (StoreFixture<String> f = kind.open(ticker)) {
      long now = ticker.read();
      f.store.put("hot", new Entry<>("old", now, now + TTL.toNanos(), 0, 0));
      ticker.advance(TTL.plusSeconds(1));
      List<StoreFixture<String>> nodes = new ArrayList<>();
      List<Counters> perNode = new ArrayList<>();
      List<TwoLevelCoalescing<String, String>> fills = new ArrayList<>();
      List<CacheAside<String, String>> strategies = new ArrayList<>();
      Counters total = new Counters();
      for (int i = 0; i < NODES; i++) {
        StoreFixture<String> node = f.node();
        Counters counters = new Counters();
        nodes.add(node);
        perNode.add(counters);
        TwoLevelCoalescing<String, String> fill =
            twoLevel(node, counters.and(total), i, Duration.ofSeconds(5), Duration.ofSeconds(5));
        fills.add(fill);
        strategies.add(CacheAside.builder(node.store, fill).metrics(counters.and(total)).build());
      }
      try {
        AtomicInteger next = new AtomicInteger();
        List<Object> results = Callers.run(NODES * CALLERS_PER_NODE,
            () -> strategies.get(next.getAndIncrement() % NODES).get("hot", slowDb));
        results.forEach(r -> assertEquals("hot@v1", r));
        assertEquals(1, loads.get(), "one load for " + NODES + " nodes x " + CALLERS_PER_NODE + " callers");
        assertEquals(1, total.get(Event.LOCK_ACQUIRED), total.toString());
        assertTrue(total.get(Event.LOCK_WAITED) >= 1, "the other nodes waited on the lock: " + total);
        for (Counters c : perNode) {
          assertTrue(c.get(Event.LOCK_ACQUIRED) + c.get(Event.LOCK_WAITED) <= 1, "one lock caller per node: " + c);
        }
        assertTrue(total.get(Event.LOAD_COALESCED) >= NODES * (CALLERS_PER_NODE - 1) - total.get(Event.HIT) - NODES,
            "the others coalesced in process: " + total);
        assertEquals(0, total.get(Event.LOCK_FALLBACK));
        fills.forEach(s -> assertEquals(0, s.inFlight()));
        assertEquals("hot@v1", f.store.get("hot").value());
      } finally {
        nodes.forEach(StoreFixture::close);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void nullsAreRejected(StoreKind kind) throws Exception {
    try (StoreFixture<String> f = kind.open(ticker)) {
      TwoLevelCoalescing<String, String> fill =
          twoLevel(f, Metrics.none(), 1, Duration.ofSeconds(1), Duration.ofSeconds(1));
      CacheAside<String, String> s = CacheAside.builder(f.store, fill).build();
      assertThrows(NullPointerException.class, () -> s.get(null, slowDb));
      assertThrows(NullPointerException.class, () -> s.get("k", null));
      assertThrows(NullPointerException.class, () -> fill.fill(null, null, 0, slowDb));
      assertThrows(NullPointerException.class, () -> fill.fill("k", null, 0, null));
      assertEquals("k@v1", s.get("k", slowDb));
      assertEquals("k@v1", s.get("k", slowDb), "then a hit");
      assertEquals(1, loads.get());
    }
  }
}
