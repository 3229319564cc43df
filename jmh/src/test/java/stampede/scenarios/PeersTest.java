package stampede.scenarios;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import stampede.core.Ticker;
import stampede.fixtures.BenchCache;
import stampede.fixtures.Contender;
import stampede.fixtures.Database;
import stampede.fixtures.Env;
import stampede.fixtures.HoldableTicker;
import stampede.fixtures.Peer;
import stampede.fixtures.RedisBackend;
import stampede.fixtures.StoreType;
import stampede.fixtures.StrategyType;
import stampede.fixtures.peers.OneLease;
import stampede.settings.RedisTopology;
import stampede.testkit.LocalLocks;

/**
 * The scenario-only peers and helpers: the global lock serializes loads of different keys, one lease maps every key
 * to one lock, the Redisson peer loads once for two nodes, and the holdable clock writes many entries at one instant.
 */
class PeersTest {
  static final long MS = 1_000_000L;

  @Test
  void theGlobalLockLoadsOneKeyAtATimeEvenForDifferentKeys() throws Exception {
    Database db = new Database(50 * MS, 50 * MS, 500 * MS);
    try (Env env = new Env(StoreType.CAFFEINE, db, Duration.ofSeconds(30))) {
      BenchCache cache = Contender.of(Peer.GLOBAL_LOCK).create(env);
      loadAtOnce(cache, "a", "b", "c", "d");
      assertEquals(4, db.loads());
      assertEquals(1, db.peakConcurrentLoads(), "four keys, one load at a time");
    }
  }

  @Test
  void oneLeaseForAllKeysAlsoSerializesButPerKeyLocksDoNot() throws Exception {
    Database db = new Database(50 * MS, 50 * MS, 500 * MS);
    try (Env env = new Env(StoreType.CAFFEINE, db, Duration.ofSeconds(30))) {
      loadAtOnce(Contender.of(Peer.ONE_LEASE).create(env), "a", "b", "c");
      assertEquals(1, db.peakConcurrentLoads());
      db.resetPeak();
      loadAtOnce(Contender.of(StrategyType.DISTRIBUTED_LOCK).create(env), "x", "y", "z");
      assertEquals(3, db.peakConcurrentLoads(), "one lock per key: in parallel");
    }
    LocalLocks<String> locks = new LocalLocks<>(Ticker.system());
    OneLease<String> one = new OneLease<>(locks, "*");
    assertTrue(one.tryAcquire("a", "me", 1_000) > 0);
    assertEquals(0, one.tryAcquire("b", "you", 1_000), "b shares a's lease");
    assertEquals("me", locks.holder("*"));
    assertTrue(one.release("b", "me"));
  }

  @Test
  void theRedissonPeerLoadsOnceForTwoNodesAndThenHits() throws Exception {
    Database db = new Database(100 * MS, 100 * MS, 500 * MS);
    try (RedisBackend redis = RedisBackend.start(RedisTopology.STANDALONE);
         Env a = redis.node(db, Duration.ofSeconds(30), "t:", null);
         Env b = redis.node(db, Duration.ofSeconds(30), "t:", null)) {
      BenchCache nodeA = Contender.of(Peer.REDISSON_LOCK).create(a);
      BenchCache nodeB = Contender.of(Peer.REDISSON_LOCK).create(b);
      String first = eightCallersOnTwoNodes(nodeA, nodeB, "REDISSON_LOCK");
      assertEquals(1, db.loads(), "one load for 8 callers on 2 nodes");
      assertEquals(first, nodeB.get("k"));
      nodeA.invalidate("k");
      assertTrue(!first.equals(nodeB.get("k")), "invalidated: loaded again");
    }
  }

  @Test
  void onTheClusterTheDistributedLockAndTheRedissonPeerLoadOnceForTwoNodes() throws Exception {
    try (RedisBackend cluster = RedisBackend.start(RedisTopology.CLUSTER)) {
      for (Contender c : List.of(Contender.of(StrategyType.DISTRIBUTED_LOCK),
          Contender.of(Peer.REDISSON_LOCK))) {
        Database db = new Database(100 * MS, 100 * MS, 500 * MS);
        try (Env a = cluster.node(db, Duration.ofSeconds(30), "c:" + c.name() + ":", null);
             Env b = cluster.node(db, Duration.ofSeconds(30), "c:" + c.name() + ":", null)) {
          assertTrue(a.clusterUris().size() == 6 && a.redisUri() == null, "a cluster client on the 6 nodes");
          eightCallersOnTwoNodes(c.create(a), c.create(b), c.name());
          assertEquals(1, db.loads(), c.name() + ": one load for 8 callers on 2 nodes of the cluster");
        }
      }
      cluster.flushAll();
      assertTrue(cluster.describe().contains("Cluster"), cluster.describe());
    }
  }

  /**
   * The near caches of the shared-hot-key scenario: a load on one node serves both, which answer from their local
   * copies, and an update on node A (same expiry) reaches node B's reads within 2 s: the layered stack over NearCache
   * envs, and the Redisson and Lettuce peers.
   */
  @Test
  void theNearCachesLoadOnceHitLocallyAndSeeAnUpdateFromAnotherNode() throws Exception {
    try (RedisBackend redis = RedisBackend.start(RedisTopology.STANDALONE)) {
      for (Contender c : List.of(Contender.of(StrategyType.LAYERED_STACK), Contender.of(Peer.REDISSON_LOCAL_CACHED),
          Contender.of(Peer.LETTUCE_CACHE_FRONTEND))) {
        Database db = new Database(50 * MS, 50 * MS, 500 * MS);
        boolean near = SharedHotKey.isStrategy(c); // a peer brings its own near cache
        try (Env a = redis.node(db, Duration.ofSeconds(30), "nc:" + c.name() + ":", null, near);
             Env b = redis.node(db, Duration.ofSeconds(30), "nc:" + c.name() + ":", null, near)) {
          BenchCache nodeA = c.create(a);
          BenchCache nodeB = c.create(b);
          String first = nodeA.get("k"); // one caller: the Lettuce peer coalesces nothing
          for (int i = 0; i < 100; i++) {
            assertEquals(first, nodeB.get("k"));
          }
          long[] local = SharedHotKey.l1(List.of(b), new BenchCache[] {nodeB}).get();
          assertTrue(local[0] >= 90, c.name() + ": B answered from its local copy: " + local[0] + " of " + local[1]);
          assertTrue(nodeA.update("k", "k@w@42"), c.name());
          long deadline = System.nanoTime() + 2_000 * MS;
          while (!"k@w@42".equals(nodeB.get("k")) && System.nanoTime() < deadline) {
            Thread.sleep(1);
          }
          assertEquals("k@w@42", nodeB.get("k"), c.name() + ": B sees A's update");
          assertEquals(1, db.loads(), c.name() + ": the update kept the expiry, nothing reloaded");
          assertTrue(!nodeA.update("absent", "x"), c.name() + ": no entry, no update");
        }
        redis.flushAll();
      }
    }
  }

  @Test
  void theHoldableTickerHoldsStillThenFollowsTheSystemClock() throws Exception {
    HoldableTicker t = new HoldableTicker();
    long held = t.hold();
    Thread.sleep(5);
    assertEquals(held, t.read());
    t.release();
    assertTrue(t.read() - held >= 5 * MS);
    t.holdAt(System.nanoTime() - 1_000 * MS);
    assertTrue(System.nanoTime() - t.read() >= 1_000 * MS);
    assertThrows(IllegalArgumentException.class, () -> t.holdAt(System.nanoTime() + 1_000 * MS));
  }

  /** 8 callers read "k" at once, alternating between the two nodes; each gets the one value, which is returned. */
  static String eightCallersOnTwoNodes(BenchCache nodeA, BenchCache nodeB, String name) throws Exception {
    ExecutorService threads = Executors.newFixedThreadPool(8);
    try {
      List<Future<String>> got = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        BenchCache node = i % 2 == 0 ? nodeA : nodeB;
        got.add(threads.submit(() -> node.get("k")));
      }
      String first = got.get(0).get(20, TimeUnit.SECONDS);
      for (Future<String> f : got) {
        assertEquals(first, f.get(20, TimeUnit.SECONDS), name + ": every caller on both nodes gets the one value");
      }
      return first;
    } finally {
      threads.shutdownNow();
    }
  }

  /** Reads {@code keys} at once, one thread each, and waits for every answer. */
  static void loadAtOnce(BenchCache cache, String... keys) throws Exception {
    ExecutorService threads = Executors.newFixedThreadPool(keys.length);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<String>> got = new ArrayList<>();
      for (String k : keys) {
        got.add(threads.submit(() -> {
          go.await();
          return cache.get(k);
        }));
      }
      go.countDown();
      for (Future<String> f : got) {
        f.get(10, TimeUnit.SECONDS);
      }
    } finally {
      threads.shutdownNow();
    }
  }
}
