package stampede.strategies;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import stampede.caffeine.CaffeineStore;
import stampede.core.CacheStore;
import stampede.core.Counters;
import stampede.core.Entry;
import stampede.core.Event;
import stampede.core.Loader;
import stampede.core.StoreFill;
import stampede.core.Ttl;
import stampede.testkit.ManualTicker;

/**
 * Issue 18, item 7: the read path's marks of the refreshes queued or running stay bounded under any executor. An
 * executor that drops a task silently (a {@link ThreadPoolExecutor} with {@code DiscardOldestPolicy}) never runs the
 * task that removes its mark: 300,000 stale keys read once left 299,795 marks after the pool drained, removed only if
 * the same key was read again. Now at most {@code maxRefreshing} marks are kept; at the bound a bounded sweep drops
 * marks older than {@code refreshHungAfter}, and a refresh that still finds no room is skipped
 * ({@link Event#REFRESH_REJECTED}) while its reader gets its value.
 */
class RefreshMarksTest {
  private static final Duration TTL = Duration.ofMinutes(1);
  private static final Duration HUNG = Duration.ofMinutes(1);
  private static final int KEYS = 300_000;
  private static final int BOUND = 1_000;
  private final ManualTicker ticker = new ManualTicker();
  private final Counters counters = new Counters();
  private final CacheStore<String, String> store = new CaffeineStore<>(ticker, Runnable::run, 2 * KEYS,
      Duration.ofMinutes(10));
  /** The database: 1 ms a load. */
  private final Loader<String, String> db = key -> {
    Thread.sleep(1);
    return key + "@db";
  };

  private CacheAside<String, String> cacheAside(Executor refresher) {
    return CacheAside.builder(store, new StoreFill<>(store, counters, Ttl.fixed(TTL))).metrics(counters)
        .policy(new StaleWhileRevalidate<>(Duration.ofMinutes(5)), refresher).ticker(ticker).refreshHungAfter(HUNG)
        .maxRefreshing(BOUND).build();
  }

  /** {@code n} entries that went stale a second ago, within stale-while-revalidate (5 minutes). */
  private void staleEntries(String prefix, int n) {
    long now = ticker.read();
    for (int i = 0; i < n; i++) {
      store.put(prefix + i, new Entry<>("old", now - TTL.toNanos(), now - 1_000_000_000L, 0, 0));
    }
  }

  @Test
  void marksOfRefreshesADiscardingPoolDroppedStayWithinTheBound() throws Exception {
    ThreadPoolExecutor pool = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(100),
        new ThreadPoolExecutor.DiscardOldestPolicy());
    try {
      CacheAside<String, String> path = cacheAside(pool);
      staleEntries("k", KEYS);
      for (int i = 0; i < KEYS; i++) {
        assertEquals("old", path.get("k" + i, db), "a stale read gets its value");
        assertTrue(path.refreshing() <= BOUND, "marks " + path.refreshing());
      }
      drain(pool);
      ticker.advance(HUNG);
      int left = path.refreshing();
      assertTrue(left <= BOUND, "marks after the pool drained and refreshHungAfter passed: " + left);
      assertTrue(counters.get(Event.REFRESH_REJECTED) > 0, "beyond the bound a refresh is skipped");
      long started = counters.get(Event.REFRESH_STARTED);
      staleEntries("again", 2 * BOUND);
      for (int i = 0; i < 2 * BOUND; i++) {
        assertEquals("old", path.get("again" + i, db));
        assertTrue(path.refreshing() <= BOUND, "marks " + path.refreshing());
      }
      drain(pool);
      assertTrue(counters.get(Event.REFRESH_STARTED) > started, "the lost marks were swept: refreshes start again");
    } finally {
      pool.shutdownNow();
      assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
    }
  }

  /** With an executor that drops every task, the marks presumed lost make room for new ones in bounded steps. */
  @Test
  void marksPresumedLostAreSweptAtTheBound() {
    CacheAside<String, String> path = cacheAside(task -> { });
    staleEntries("k", 2 * BOUND);
    for (int i = 0; i < BOUND; i++) {
      path.get("k" + i, db);
    }
    assertEquals(BOUND, path.refreshing());
    assertEquals(0, counters.get(Event.REFRESH_REJECTED));
    path.get("k" + BOUND, db);
    assertEquals(BOUND, path.refreshing(), "at the bound, none presumed lost yet");
    assertEquals(1, counters.get(Event.REFRESH_REJECTED));
    ticker.advance(HUNG);
    for (int i = BOUND + 1; i <= BOUND + BOUND / 2; i++) {
      assertEquals("old", path.get("k" + i, db));
      assertTrue(path.refreshing() <= BOUND, "marks " + path.refreshing());
    }
    assertEquals(1, counters.get(Event.REFRESH_REJECTED), "each of 500 new refreshes found room: lost marks swept");
    assertEquals(BOUND + 1 + BOUND / 2, counters.get(Event.STALE_SERVED), "every reader got its value");
  }

  /**
   * BackgroundRefresh runs its refreshes on a read path of its own: with an executor that drops them, the marks of
   * keys it no longer tracks stayed (10,000 for 10,000 keys read once, 100 tracked). They are bounded by
   * {@code maxTrackedKeys}.
   */
  @Test
  void backgroundRefreshKeepsAtMostMaxTrackedKeysMarks() {
    BackgroundRefresh<String, String> refresher = BackgroundRefresh.builder(store,
        new StoreFill<>(store, counters, Ttl.fixed(TTL)), task -> { }).metrics(counters).ticker(ticker)
        .refreshWindow(Duration.ofSeconds(30)).maxTrackedKeys(100).build();
    long now = ticker.read();
    for (int i = 0; i < 10_000; i++) { // due: 10 s left, within the window
      store.put("k" + i, new Entry<>("old", now - TTL.toNanos(), now + 10_000_000_000L, 0, 0));
      assertEquals("old", refresher.get("k" + i, db));
      assertTrue(refresher.refreshing() <= 100, "marks " + refresher.refreshing());
    }
    assertTrue(counters.get(Event.REFRESH_REJECTED) > 0, "beyond the bound a refresh is skipped");
  }

  /** Waits until the pool has no task queued or running. */
  private static void drain(ThreadPoolExecutor pool) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!pool.getQueue().isEmpty() || pool.getActiveCount() > 0) {
      assertTrue(System.nanoTime() < deadline, "the pool did not drain in 60 s");
      Thread.sleep(10);
    }
  }
}
