package stampede.testkit;

import io.lettuce.core.RedisClient;
import io.lettuce.core.cluster.RedisClusterClient;
import java.time.Duration;
import stampede.redis.RedisStore;

/**
 * One embedded redis-server, and one embedded Redis Cluster, per test JVM, each started on first use and stopped when
 * the JVM exits (the {@link EmbeddedRedis} shutdown hooks). Tests isolate themselves with a unique key prefix, not a
 * server each; a test that kills nodes starts a cluster of its own.
 */
public final class SharedRedis {
  private static EmbeddedRedis redis;
  private static RedisClient client;
  private static EmbeddedRedisCluster cluster;
  private static RedisClusterClient clusterClient;

  private SharedRedis() { }

  public static synchronized EmbeddedRedis server() {
    if (redis == null) {
      redis = EmbeddedRedis.start();
    }
    return redis;
  }

  /** A fast-failing client (1 s timeout) to the shared server; shared, never close it. */
  public static synchronized RedisClient client() {
    if (client == null) {
      client = RedisStore.client(server().uri(), Duration.ofSeconds(1));
      Runtime.getRuntime().addShutdownHook(new Thread(
          () -> client.shutdown(Duration.ZERO, Duration.ofSeconds(1))));
    }
    return client;
  }

  /** The shared 3 x (master + replica) cluster; never kill its nodes (start your own for that). */
  public static synchronized EmbeddedRedisCluster cluster() {
    if (cluster == null) {
      EmbeddedRedisCluster started = EmbeddedRedisCluster.start();
      Runtime.getRuntime().addShutdownHook(new Thread(started::close, "shared-redis-cluster-stop"));
      cluster = started;
    }
    return cluster;
  }

  /** A fast-failing cluster client (1 s timeout) to the shared cluster; shared, never close it. */
  public static synchronized RedisClusterClient clusterClient() {
    if (clusterClient == null) {
      clusterClient = RedisStore.clusterClient(cluster().uris(), Duration.ofSeconds(1));
      RedisClusterClient c = clusterClient;
      Runtime.getRuntime().addShutdownHook(new Thread(() -> c.shutdown(Duration.ZERO, Duration.ofSeconds(1))));
    }
    return clusterClient;
  }
}
