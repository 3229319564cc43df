package stampede.jmh;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class DatabaseTest {
  static final long MS = 1_000_000L;

  @Test
  void loadsCloseTogetherAreOneEpisodePerKey() throws Exception {
    Database db = new Database(0, 0, 200 * MS);
    db.load("a");
    db.load("a");
    db.load("b"); // another key: its own episode
    assertEquals(3, db.loads());
    assertEquals(2, db.episodes());
    Thread.sleep(250); // beyond the gap: the next load of "a" is a new expiry episode
    db.load("a");
    assertEquals(4, db.loads());
    assertEquals(3, db.episodes());
    db.resetEpisodes();
    db.load("a");
    assertEquals(4, db.episodes(), "after a reset the next load opens an episode");
  }

  @Test
  void valuesCarryTheLoadTime() throws Exception {
    Database db = new Database(0, 0, MS);
    long before = System.nanoTime();
    String v = db.load("k");
    assertTrue(v.startsWith("k@1@"), v);
    long at = Database.loadedAt(v);
    assertTrue(at >= before && at <= System.nanoTime());
  }

  @Test
  void tracksPeakConcurrentLoads() throws Exception {
    Database db = new Database(100 * MS, 100 * MS, MS);
    int n = 4;
    CountDownLatch go = new CountDownLatch(1);
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Thread t = new Thread(() -> {
        try {
          go.await();
          db.load("k");
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      });
      t.start();
      threads.add(t);
    }
    go.countDown();
    for (Thread t : threads) {
      t.join(5_000);
    }
    assertEquals(n, db.peakConcurrentLoads());
    assertEquals(0, db.inFlight());
    db.resetPeak();
    assertEquals(0, db.peakConcurrentLoads());
    db.load("k");
    assertEquals(1, db.peakConcurrentLoads());
  }

  @Test
  void parksForTheConfiguredLatency() throws Exception {
    Database db = new Database(20 * MS, 30 * MS, MS);
    long start = System.nanoTime();
    db.load("k");
    long took = System.nanoTime() - start;
    assertTrue(took >= 20 * MS, "took " + took);
    db.setFast(true);
    start = System.nanoTime();
    db.load("k");
    assertTrue(System.nanoTime() - start < 20 * MS, "fast mode skips the latency");
  }

  @Test
  void failsDuringTheFailureWindowOnly() throws Exception {
    Database db = new Database(0, 0, MS);
    db.failures(Database.FailureMode.FAIL, 400 * MS, 200 * MS, 1);
    long now = System.nanoTime();
    assertTrue(db.isFailing(now));
    assertThrows(Database.DatabaseDownException.class, () -> db.load("k"));
    assertEquals(1, db.failures());
    assertFalse(db.isFailing(now + 250 * MS), "healthy in the second part of the period");
    assertTrue(db.isFailing(now + 410 * MS), "failing again in the next period");
    Thread.sleep(250);
    if (!db.isFailing(System.nanoTime())) {
      assertTrue(db.load("k").startsWith("k@2@"));
    }
  }

  @Test
  void slowModeMultipliesTheLatency() throws Exception {
    Database db = new Database(10 * MS, 10 * MS, MS);
    db.failures(Database.FailureMode.SLOW, TimeUnit.SECONDS.toNanos(10), TimeUnit.SECONDS.toNanos(5), 5);
    long start = System.nanoTime();
    db.load("k");
    assertTrue(System.nanoTime() - start >= 50 * MS);
    assertEquals(0, db.failures());
  }

  @Test
  void aPoolBoundsTheLoadsRunningAtOnceAndTheRestWaitInLine() throws Exception {
    Database db = new Database(50 * MS, 50 * MS, MS);
    db.pool(2);
    assertEquals(2, db.poolSize());
    List<Thread> threads = new ArrayList<>();
    CountDownLatch go = new CountDownLatch(1);
    AtomicInteger done = new AtomicInteger();
    long start = System.nanoTime();
    for (int i = 0; i < 6; i++) {
      Thread t = new Thread(() -> {
        try {
          go.await();
          db.load("k");
          done.incrementAndGet();
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      });
      t.start();
      threads.add(t);
    }
    go.countDown();
    for (Thread t : threads) {
      t.join(10_000);
    }
    assertEquals(6, done.get());
    assertTrue(System.nanoTime() - start >= 150 * MS, "6 loads on 2 connections: 3 rounds of 50 ms");
    assertEquals(6, db.peakConcurrentLoads(), "loads waiting for a connection count as in flight");
    db.pool(0);
    assertEquals(0, db.poolSize());
  }

  @Test
  void anOutageFailsLoadsInItsWindowOnly() throws Exception {
    Database db = new Database(0, 0, MS);
    long now = System.nanoTime();
    db.outage(Database.FailureMode.FAIL, now + 100 * MS, now + 200 * MS);
    assertFalse(db.isFailing(now));
    assertTrue(db.isFailing(now + 150 * MS));
    assertFalse(db.isFailing(now + 250 * MS));
    assertFalse(db.isFailing(now + 100_000 * MS), "one outage, not a period");
    assertTrue(db.load("k").startsWith("k@"));
  }

  @Test
  void theListenerSeesEveryLoadAndEpisodesStayExactUnderContention() throws Exception {
    Database db = new Database(0, 0, 10_000 * MS);
    AtomicInteger heard = new AtomicInteger();
    db.listener((key, at) -> heard.incrementAndGet());
    List<Thread> threads = new ArrayList<>();
    CountDownLatch go = new CountDownLatch(1);
    for (int i = 0; i < 8; i++) {
      Thread t = new Thread(() -> {
        try {
          go.await();
          for (int j = 0; j < 1_000; j++) {
            db.load(j % 2 == 0 ? "even" : "odd");
          }
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      });
      t.start();
      threads.add(t);
    }
    go.countDown();
    for (Thread t : threads) {
      t.join(10_000);
    }
    assertEquals(8_000, db.loads());
    assertEquals(8_000, heard.get());
    assertEquals(2, db.episodes(), "two keys, all loads within the gap: one episode each");
  }

  @Test
  void parsesLatencyRanges() {
    assertArrayEquals(new long[] {5 * MS, 50 * MS}, Database.parseMillisRange("5-50"));
    assertArrayEquals(new long[] {20 * MS, 20 * MS}, Database.parseMillisRange("20"));
    assertThrows(IllegalArgumentException.class, () -> new Database(10, 5, 1));
  }
}
