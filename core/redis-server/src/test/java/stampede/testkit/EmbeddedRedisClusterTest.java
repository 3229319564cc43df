package stampede.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The cluster fixture forms a real 3 x (master + replica) cluster, serves every slot, fails over a killed master, and
 * takes the killed node back as a replica.
 */
class EmbeddedRedisClusterTest {

  @Test
  void formsAClusterThatServesEverySlotAndFailsOverAKilledMaster() {
    try (EmbeddedRedisCluster cluster = EmbeddedRedisCluster.start()) {
      RedisClusterClient client = RedisClusterClient.create(cluster.uris());
      try (StatefulRedisClusterConnection<String, String> c = client.connect()) {
        long masters = c.getPartitions().stream().filter(n -> n.is(RedisClusterNode.NodeFlag.UPSTREAM)).count();
        long replicas = c.getPartitions().stream().filter(n -> n.is(RedisClusterNode.NodeFlag.REPLICA)).count();
        assertEquals(3, masters);
        assertEquals(3, replicas);
        Set<Integer> ports = new HashSet<>();
        for (int i = 0; i < 30; i++) {
          c.sync().set("k" + i, "v" + i);
          ports.add(cluster.masterPortOf("k" + i));
        }
        assertEquals(3, ports.size(), "keys spread over every master");

        int before = cluster.masterPortOf("k0");
        cluster.kill(before);
        cluster.awaitHealthy(Duration.ofSeconds(20));
        int after = cluster.masterPortOf("k0");
        assertNotEquals(before, after, "a replica took over k0's slot");
        assertTrue(after > 0);
        cluster.restart(before);
        cluster.awaitHealthy(Duration.ofSeconds(20));
        assertEquals(before, cluster.replicaPortOf("k0"), "the killed master came back as the replica of k0's slot");
      } finally {
        client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
      }
    }
  }
}
