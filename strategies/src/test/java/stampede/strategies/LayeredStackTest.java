package stampede.strategies;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import stampede.core.Counters;
import stampede.core.Entry;
import stampede.core.Event;
import stampede.core.Loader;
import stampede.core.ManualTicker;
import stampede.core.testing.ManualExecutor;
import stampede.core.testing.StoreFixture;
import stampede.core.testing.StoreKind;

/** Swr(SingleFlight(Lock(Jitter(Loader)))) on 3 nodes: each layer does its part, and they add up. */
class LayeredStackTest {
  private static final Duration TTL = Duration.ofSeconds(10);
  private static final Duration SWR = Duration.ofSeconds(5);
  private static final Duration SIE = Duration.ofSeconds(30);
  private final ManualTicker ticker = new ManualTicker();
  private final ManualExecutor refresher = new ManualExecutor();
  private final ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor();
  private final Counters counters = new Counters();
  private final AtomicInteger loads = new AtomicInteger();
  private final Loader<String, String> slowDb = key -> {
    int n = loads.incrementAndGet();
    Thread.sleep(50);
    return key + "@v" + n;
  };

  @AfterEach
  void stop() {
    watchdog.shutdownNow();
  }

  private LayeredStack<String, String> node(StoreFixture<String> f, int seed, double jitterDraw) {
    return new LayeredStack<>(f.store, f.locks, ticker, () -> jitterDraw, new Random(seed), refresher, watchdog,
        counters, TTL, 0.2, SWR, SIE, Duration.ofSeconds(5), Duration.ofSeconds(5));
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void threeNodesOneLoadThenStaleServedWithOneRefresh(StoreKind kind) throws Exception {
    List<StoreFixture<String>> fixtures = new ArrayList<>();
    try (StoreFixture<String> f = kind.open(ticker, stampede.core.ValueCodec.utf8(), SIE.plusSeconds(10))) {
      List<LayeredStack<String, String>> nodes = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        StoreFixture<String> n = i == 0 ? f : f.node();
        fixtures.add(n);
        nodes.add(node(n, 100 + i, 0.0));
      }
      AtomicInteger next = new AtomicInteger();
      // Cold key: 3 nodes x 10 callers load in line, through single flight and the lock: one load.
      Callers.run(30, () -> nodes.get(next.getAndIncrement() % 3).get("k", slowDb))
          .forEach(r -> assertEquals("k@v1", r));
      assertEquals(1, loads.get());

      // Jitter draw 0.0 -> TTL = 10 s - 20 % = 8 s.
      Entry<String> written = f.store.get("k");
      assertEquals(Duration.ofSeconds(8).toNanos(), written.expireTime() - written.writeTime());

      // Just stale: every node serves the old value at once, each node queues at most one refresh.
      ticker.advance(Duration.ofSeconds(9));
      Callers.run(30, () -> nodes.get(next.getAndIncrement() % 3).get("k", slowDb))
          .forEach(r -> assertEquals("k@v1", r));
      assertEquals(1, loads.get(), "nobody waited for a load");
      assertTrue(refresher.pending() <= 3, "one refresh per key per node: " + refresher.pending());
      refresher.runAll();
      assertEquals(2, loads.get(), "the nodes' refreshes met at the lock: one load");
      assertEquals("k@v2", nodes.get(2).get("k", slowDb));
      assertTrue(counters.get(Event.STALE_SERVED) >= 30);
    } finally {
      fixtures.stream().skip(1).forEach(StoreFixture::close);
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aFailingDatabaseDegradesToStaleWithinStaleIfErrorThenFails(StoreKind kind) throws Exception {
    try (StoreFixture<String> f = kind.open(ticker, stampede.core.ValueCodec.utf8(), SIE.plusSeconds(10))) {
      LayeredStack<String, String> stack = node(f, 1, 0.5); // draw 0.5 -> exactly TTL
      assertEquals("k@v1", stack.get("k", slowDb));
      Loader<String, String> down = key -> {
        throw new IllegalStateException("db down");
      };
      ticker.advance(TTL.plus(SWR).plusSeconds(1)); // past stale-while-revalidate: load in line, it fails
      assertEquals("k@v1", stack.get("k", down), "stale-if-error serves the old value");
      ticker.advance(SIE);
      assertThrows(stampede.core.LoadException.class, () -> stack.get("k", down), "beyond stale-if-error");
      assertEquals("k@v1", f.store.get("k").value(), "the error was not cached");
    }
  }
}
