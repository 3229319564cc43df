package stampede.jmh.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import stampede.core.Counters;
import stampede.core.Event;
import stampede.jmh.Database;
import stampede.jmh.Env;

/** The two Caffeine peers behave as the benchmarks' javadoc says they do. */
class CaffeinePeersTest {
  static final long MS = 1_000_000L;
  final ExecutorService executor = Executors.newCachedThreadPool(Env.daemons("peer-test"));
  final Counters counters = new Counters();

  @AfterEach
  void shutDown() {
    executor.shutdownNow();
  }

  @Test
  void asyncGetLoadsAMissingKeyOnceForAllConcurrentCallers() throws Exception {
    Database db = new Database(100 * MS, 100 * MS, 1000 * MS);
    CaffeineAsyncGet peer = new CaffeineAsyncGet(db, counters, Duration.ofSeconds(30), executor);
    List<Future<String>> calls = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      calls.add(executor.submit(() -> peer.get("k")));
    }
    String first = calls.get(0).get(5, TimeUnit.SECONDS);
    for (Future<String> f : calls) {
      assertEquals(first, f.get(5, TimeUnit.SECONDS));
    }
    assertEquals(1, db.loads());
    assertEquals(1, counters.get(Event.LOAD_STARTED));
    peer.invalidate("k");
    assertNotEquals(first, peer.get("k"));
  }

  @Test
  void refreshAfterWriteServesTheOldValueWhileOneReloadRunsAndKeepsItIfTheReloadFails() throws Exception {
    Database db = new Database(20 * MS, 20 * MS, MS);
    CaffeineRefreshAfterWrite peer = new CaffeineRefreshAfterWrite(db, counters, Duration.ofMillis(100),
        Duration.ofSeconds(10), executor);
    String v1 = peer.get("k");
    Thread.sleep(150);
    assertEquals(v1, peer.get("k"), "past its TTL the old value is served at once");
    assertEquals(1, counters.get(Event.STALE_SERVED));
    await(() -> db.loads() == 2);
    await(() -> !peer.get("k").equals(v1)); // the reload lands
    long stale = counters.get(Event.STALE_SERVED);
    String v2 = peer.get("k");

    db.failures(Database.FailureMode.FAIL, TimeUnit.SECONDS.toNanos(60), TimeUnit.SECONDS.toNanos(60), 1);
    Thread.sleep(150);
    assertEquals(v2, peer.get("k"));
    await(() -> db.failures() >= 1);
    Thread.sleep(50);
    assertEquals(v2, peer.get("k"), "a failed reload keeps the old value");
    assertTrue(counters.get(Event.STALE_SERVED) >= stale + 2);
    assertTrue(counters.get(Event.LOAD_FAILED) >= 1, "the failed reload is counted");
  }

  static void await(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "timed out");
      Thread.sleep(5);
    }
  }
}
