package stampede.strategies;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import stampede.core.CacheStore;
import stampede.core.Counters;
import stampede.core.Entry;
import stampede.core.Event;
import stampede.core.Fill;
import stampede.core.Loader;
import stampede.core.LoadingStrategy;
import stampede.core.Metrics;
import stampede.core.StoreFill;
import stampede.core.Ttl;
import stampede.testkit.Callers;
import stampede.testkit.CountingLoader;
import stampede.testkit.ManualExecutor;
import stampede.testkit.ManualTicker;
import stampede.testkit.StoreFixture;
import stampede.testkit.StoreKind;

/**
 * The stampede itself, as FusionCache tests it: 10, 100 and 1000 callers hit one expired key at once, and the loader
 * (a 100 ms database read, parked) runs exactly once, for every coalescing composition: single flight, two-level
 * coalescing and the layered stack on 3 nodes, and each policy given a single-flight fill. The cache-aside baseline
 * calls it once per caller. On Caffeine and on a real Redis. The loader starts only once every caller has missed,
 * so all of them are on the miss path together whatever the machine's load.
 */
class StampedeTest {
  private static final int[] CALLERS = {10, 100, 1000};
  private static final int NODES = 3;
  private static final Duration TTL = Duration.ofSeconds(10);
  private static final long LOAD_MILLIS = 100;
  private final ManualTicker ticker = new ManualTicker();
  private final ManualExecutor refresher = new ManualExecutor();

  /** A composition on one node's store and locks, every layer recording to {@code metrics}. */
  @FunctionalInterface
  private interface Composition {
    LoadingStrategy<String, String> on(StoreFixture<String> node, Metrics metrics);
  }

  private static Fill<String, String> singleFlight(CacheStore<String, String> store, Metrics metrics,
      Ttl<String> ttl) {
    return SingleFlight.builder(store, new StoreFill<>(store, metrics, ttl)).metrics(metrics).build();
  }

  /**
   * For each number of callers, on a fresh store: one key expired 30 s ago (beyond any stale window here, within
   * the store's retention), the callers spread over {@code nodes} nodes; returns the loads per run.
   */
  private List<Integer> stampede(StoreKind kind, int nodes, Composition composition, boolean coalesces)
      throws Exception {
    List<Integer> loadsPerRun = new ArrayList<>();
    for (int callers : CALLERS) {
      try (StoreFixture<String> f = kind.open(ticker)) {
        List<StoreFixture<String>> others = new ArrayList<>();
        try {
          Counters counters = new Counters();
          CountDownLatch allMissed = new CountDownLatch(callers);
          Metrics metrics = counters.and((event, key) -> {
            if (event == Event.MISS) {
              allMissed.countDown();
            }
          });
          List<LoadingStrategy<String, String>> strategies = new ArrayList<>();
          for (int i = 0; i < nodes; i++) {
            StoreFixture<String> node = i == 0 ? f : f.node();
            if (i > 0) {
              others.add(node);
            }
            strategies.add(composition.on(node, metrics));
          }
          long now = ticker.read();
          f.store.put("hot", new Entry<>("old", now - 40_000_000_000L, now - 30_000_000_000L, 0, 0));
          CountingLoader loader = new CountingLoader(ticker, LOAD_MILLIS);
          Loader<String, String> afterAllMissed = key -> {
            allMissed.await(20, TimeUnit.SECONDS); // bounded: a caller that never misses fails below
            return loader.load(key);
          };
          AtomicInteger next = new AtomicInteger();
          List<Object> results =
              Callers.run(callers, () -> strategies.get(next.getAndIncrement() % nodes).get("hot", afterAllMissed));
          String run = callers + " callers on " + nodes + " node(s), " + kind + ": " + counters;
          results.forEach(r -> assertInstanceOf(String.class, r, run));
          assertEquals(callers, counters.get(Event.MISS), "every caller missed: " + run);
          assertEquals(loader.loads(), counters.get(Event.LOAD_STARTED), run);
          assertEquals(0, refresher.pending(), "nothing was refreshed in the background: " + run);
          if (coalesces) {
            assertEquals(1, loader.loads(), "exactly one load: " + run);
            String loaded = f.store.get("hot").value();
            assertEquals("hot#1", loaded.substring(0, loaded.indexOf('@')), run);
            results.forEach(r -> assertEquals(loaded, r, "every caller got the one loaded value: " + run));
          }
          loadsPerRun.add(loader.loads());
        } finally {
          others.forEach(StoreFixture::close);
        }
      }
    }
    return loadsPerRun;
  }

  private void loadsOnce(StoreKind kind, int nodes, Composition composition) throws Exception {
    stampede(kind, nodes, composition, true);
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void cacheAsideAloneStampedes(StoreKind kind) throws Exception {
    List<Integer> loads = stampede(kind, 1, (node, metrics) -> CacheAside.builder(node.store,
        new StoreFill<>(node.store, metrics, Ttl.fixed(TTL))).metrics(metrics).build(), false);
    for (int i = 0; i < CALLERS.length; i++) {
      assertEquals(CALLERS[i], loads.get(i), "the baseline stampedes: one load per caller");
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void singleFlightLoadsOnce(StoreKind kind) throws Exception {
    List<SingleFlight<String, String>> flights = new ArrayList<>();
    loadsOnce(kind, 1, (node, metrics) -> {
      SingleFlight<String, String> flight = SingleFlight.builder(node.store,
          new StoreFill<>(node.store, metrics, Ttl.fixed(TTL))).metrics(metrics).build();
      flights.add(flight);
      return CacheAside.builder(node.store, flight).metrics(metrics).build();
    });
    flights.forEach(flight -> assertEquals(0, flight.inFlight(), "the in-flight entry is removed"));
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void twoLevelCoalescingOnThreeNodesLoadsOnce(StoreKind kind) throws Exception {
    loadsOnce(kind, NODES, (node, metrics) -> {
      DistributedLock<String, String> lock = DistributedLock.builder(node.store, node.locks,
          new StoreFill<>(node.store, metrics, Ttl.fixed(TTL))).metrics(metrics).build();
      return CacheAside.builder(node.store, new TwoLevelCoalescing<>(node.store, lock, metrics)).metrics(metrics)
          .build();
    });
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void theLayeredStackOnThreeNodesLoadsOnce(StoreKind kind) throws Exception {
    loadsOnce(kind, NODES, (node, metrics) -> LayeredStack.builder(node.store, node.locks, TTL, refresher)
        .metrics(metrics).stale(Duration.ofSeconds(5), Duration.ofSeconds(5)).build());
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void staleWhileRevalidateOverSingleFlightLoadsOnce(StoreKind kind) throws Exception {
    loadsOnce(kind, 1, (node, metrics) -> CacheAside.builder(node.store,
        singleFlight(node.store, metrics, Ttl.fixed(TTL))).metrics(metrics)
        .policy(new StaleWhileRevalidate<>(Duration.ofSeconds(5)), refresher).build());
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void probabilisticEarlyExpirationOverSingleFlightLoadsOnce(StoreKind kind) throws Exception {
    loadsOnce(kind, 1, (node, metrics) -> CacheAside.builder(node.store,
        singleFlight(node.store, metrics, Ttl.fixed(TTL))).metrics(metrics)
        .policy(new ProbabilisticEarlyExpiration<>(() -> 0.5, 1.0), refresher).build());
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void hotKeyProtectionOverSingleFlightLoadsOnce(StoreKind kind) throws Exception {
    loadsOnce(kind, 1, (node, metrics) -> {
      HotKeyProtection<String, String> hot = HotKeyProtection.<String, String>builder(TTL).metrics(metrics)
          .ticker(ticker).hotAt(5, Duration.ofSeconds(1)).build();
      return CacheAside.builder(node.store, singleFlight(node.store, metrics, hot)).metrics(metrics)
          .policy(hot, refresher).build();
    });
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void backgroundRefreshOverSingleFlightLoadsOnce(StoreKind kind) throws Exception {
    loadsOnce(kind, 1, (node, metrics) -> BackgroundRefresh.builder(node.store,
        singleFlight(node.store, metrics, Ttl.fixed(TTL)), refresher).metrics(metrics).ticker(ticker)
        .refreshWindow(Duration.ofSeconds(2)).build());
  }
}
