package stampede.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import java.time.Duration;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import stampede.core.Entry;
import stampede.core.StoreException;
import stampede.testkit.EmbeddedRedisCluster;
import stampede.testkit.ManualTicker;

/**
 * A master failover under the store and the locks, on a cluster of this class's own: the master holding a key is
 * killed and its replica takes over. Replication is asynchronous, so the lease may or may not have reached the
 * replica: if it did, the holder keeps it; if not, another node takes the lease with a higher token (floored at
 * Redis TIME even though the counter was lost too) and the old holder's late write is refused by the fence. Every
 * command during the failover fails fast, and the clients find the new master within the bound asserted here.
 */
class RedisClusterFailoverTest {
  /** From the kill to a client's first successful command on the key: node timeout, election, topology refresh. */
  private static final Duration RECOVERY = Duration.ofSeconds(20);

  private static EmbeddedRedisCluster cluster;
  private static long killedAt;
  private final ManualTicker ticker = new ManualTicker();

  @BeforeAll
  static void startCluster() {
    cluster = EmbeddedRedisCluster.start();
  }

  @AfterAll
  static void stopCluster() {
    cluster.close();
  }

  @Test
  void aLostLeaseCostsAnotherHolderButFencingKeepsTheNewerValue() throws Exception {
    try (Node a = new Node("lost:"); Node b = new Node("lost:")) {
      long t1 = a.locks.tryAcquire("k", "a", 60_000);
      int master = failOver(a.keys.entry("k"));
      // What asynchronous replication allows: the lease and the counter never reached the replica.
      try (StatefulRedisClusterConnection<String, String> admin = b.client.connect()) {
        retry(() -> admin.sync().del(a.keys.lock("k"), a.keys.fence("k")));
      }
      long t2 = retry(() -> b.locks.tryAcquire("k", "b", 60_000));
      assertTrue(t2 > t1, "a token after the failover, " + t2 + ", above the one before, " + t1);
      long now = ticker.read();
      assertTrue(b.store.put("k", new Entry<>("newer", now, now + 60_000_000_000L, 0, t2)));
      assertFalse(retry(() -> a.store.put("k", new Entry<>("older", now, now + 60_000_000_000L, 0, t1))),
          "the old holder's late write is refused by the fence");
      assertEquals("newer", retry(() -> a.store.get("k")).value());
      assertFalse(retry(() -> a.locks.release("k", "a")), "the old holder's release frees nothing");
      assertEquals("b", b.locks.holder("k"));
      cluster.restart(master);
    }
  }

  @Test
  void aReplicatedLeaseSurvivesTheFailover() throws Exception {
    try (Node a = new Node("kept:"); Node b = new Node("kept:")) {
      long t1 = a.locks.tryAcquire("k", "a", 60_000);
      int master = failOver(a.keys.entry("k"));
      assertEquals(0L, retry(() -> b.locks.tryAcquire("k", "b", 60_000)), "the lease reached the replica");
      assertTrue(retry(() -> a.locks.renew("k", "a", 60_000)), "its holder still holds it");
      long now = ticker.read();
      assertTrue(a.store.put("k", new Entry<>("loaded", now, now + 60_000_000_000L, 0, t1)));
      assertTrue(a.locks.release("k", "a"));
      assertTrue(b.locks.tryAcquire("k", "b", 60_000) > t1, "the counter reached the replica too");
      cluster.restart(master);
    }
  }

  /** Kills the master of {@code name}'s slot and waits for its replica to take over; returns the killed port. */
  private static int failOver(String name) {
    int master = cluster.masterPortOf(name);
    killedAt = System.nanoTime();
    cluster.kill(master);
    cluster.awaitHealthy(RECOVERY);
    System.out.printf("failover: the cluster was healthy again %d ms after the kill%n",
        (System.nanoTime() - killedAt) / 1_000_000);
    return master;
  }

  /**
   * Retries {@code call} while it fails with a StoreException, as a caller would: each attempt fails fast (rejected
   * while the client's connection to the dead master is down, or timed out), until the client has found the new
   * master. Fails after {@link #RECOVERY}.
   */
  private static <T> T retry(Supplier<T> call) throws InterruptedException {
    long deadline = System.nanoTime() + RECOVERY.toNanos();
    for (int attempt = 1; ; attempt++) {
      try {
        T result = call.get();
        if (attempt > 1) {
          System.out.printf("failover: answered %d ms after the kill, attempt %d%n",
              (System.nanoTime() - killedAt) / 1_000_000, attempt);
        }
        return result;
      } catch (StoreException | io.lettuce.core.RedisException e) {
        if (System.nanoTime() - deadline >= 0) {
          throw new AssertionError("no answer within " + RECOVERY + " of the failover", e);
        }
        Thread.sleep(50); // a caller's retry: there is no event to wait for that says "this key is served again"
      }
    }
  }

  /** One application node: its own cluster client, store and locks. */
  private final class Node implements AutoCloseable {
    final RedisClusterClient client = RedisStore.clusterClient(cluster.uris(), Duration.ofSeconds(1));
    final RedisKeys<String> keys;
    final RedisStore<String, String> store;
    final RedisLocks<String> locks;

    Node(String prefix) {
      keys = RedisKeys.strings(prefix);
      store = RedisStore.builder(client, keys, ValueCodec.utf8()).ticker(ticker).build();
      locks = new RedisLocks<>(client, keys);
    }

    @Override
    public void close() {
      locks.close();
      store.close();
      client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
    }
  }
}
