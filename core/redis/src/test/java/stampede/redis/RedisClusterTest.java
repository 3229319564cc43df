package stampede.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import stampede.core.Entry;
import stampede.core.Locks;
import stampede.testkit.EmbeddedRedisCluster;
import stampede.testkit.ManualTicker;
import stampede.testkit.SharedRedisServer;

/**
 * The store and the locks on a real Redis Cluster (3 masters, 1 replica each): keys spread over every master with all
 * of a key's names in its slot, scripts never cross slots, and a signal reaches only the nodes waiting for its key.
 */
class RedisClusterTest {
  private static final String PREFIX = "cluster-" + ProcessHandle.current().pid() + "-";

  @Test
  void keysSpreadOverEveryMasterAndEveryScriptStaysInItsSlot() {
    RedisKeys<String> keys = RedisKeys.strings(PREFIX + "spread:");
    EmbeddedRedisCluster cluster = SharedRedisServer.cluster();
    ManualTicker ticker = new ManualTicker();
    long now = ticker.read();
    try (RedisStore<String, String> store = RedisStore.builder(SharedClients.clusterClient(), keys, ValueCodec.utf8())
             .ticker(ticker).build();
         RedisLocks<String> locks = new RedisLocks<>(SharedClients.clusterClient(), keys)) {
      Set<Integer> masters = new HashSet<>();
      for (int i = 0; i < 60; i++) {
        String key = "key" + i;
        long token = locks.tryAcquire(key, "me", 60_000); // a script on the lease and the fencing counter
        assertTrue(token > 0, key);
        assertTrue(store.put(key, new Entry<>("v" + i, now, now + 60_000_000_000L, 0, token))); // a script
        assertFalse(store.put(key, new Entry<>("older", now, now + 60_000_000_000L, 0, token - 1)));
        assertTrue(locks.renew(key, "me", 60_000));
        assertTrue(locks.release(key, "me"));
        assertEquals("v" + i, store.get(key).value());
        int slot = SlotHash.getSlot(keys.entry(key));
        for (String name : List.of(keys.lock(key), keys.fence(key), keys.signal(key))) {
          assertEquals(slot, SlotHash.getSlot(name), name);
        }
        masters.add(cluster.masterPortOf(keys.entry(key)));
      }
      assertEquals(3, masters.size(), "keys on every master: " + masters);
    }
  }

  /**
   * Per-key channels on a cluster: a node hears only the keys it waits for. (The cluster bus still carries every
   * PUBLISH to every node, which Redis 7's sharded pub/sub would avoid; counted here and printed.)
   */
  @Test
  void aSignalReachesOnlyTheNodesWaitingForItsKey() throws Exception {
    RedisKeys<String> keys = RedisKeys.strings(PREFIX + "fanout:");
    int signals = 200;
    try (RedisLocks<String> waiting = new RedisLocks<>(SharedClients.clusterClient(), keys);
         RedisLocks<String> idle1 = new RedisLocks<>(SharedClients.clusterClient(), keys);
         RedisLocks<String> idle2 = new RedisLocks<>(SharedClients.clusterClient(), keys);
         RedisLocks<String> signalling = new RedisLocks<>(SharedClients.clusterClient(), keys);
         StatefulRedisClusterConnection<String, String> admin = SharedClients.clusterClient().connect();
         Locks.Watch w = waiting.watch("last")) {
      long busBefore = busPublishReceived(admin);
      for (int i = 0; i < signals - 1; i++) {
        signalling.signal("key" + i);
      }
      signalling.signal("last"); // heard after the others: they have all been delivered by then
      assertTrue(w.await(5, TimeUnit.SECONDS));
      long bus = busPublishReceived(admin) - busBefore;
      System.out.printf("cluster fan-out, %d signals to 4 client nodes (1 waiting on one key): received per node: "
              + "waiting %d, idle %d and %d, signalling %d; cluster bus publish messages received by the 6 servers: "
              + "%d (%.2f per signal)%n", signals, waiting.messagesReceived(), idle1.messagesReceived(),
          idle2.messagesReceived(), signalling.messagesReceived(), bus, (double) bus / signals);
      assertEquals(1, waiting.messagesReceived());
      assertEquals(0, idle1.messagesReceived() + idle2.messagesReceived() + signalling.messagesReceived());
    }
  }

  /** Sum over every node of CLUSTER INFO cluster_stats_messages_publish_received. */
  private static long busPublishReceived(StatefulRedisClusterConnection<String, String> admin) {
    long sum = 0;
    for (RedisClusterNode node : admin.getPartitions()) {
      String info = admin.getConnection(node.getNodeId()).sync().clusterInfo();
      for (String line : info.split("\\r?\\n")) {
        if (line.startsWith("cluster_stats_messages_publish_received:")) {
          sum += Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
        }
      }
    }
    return sum;
  }
}
