package stampede.testkit;

import io.lettuce.core.RedisClient;
import io.lettuce.core.cluster.RedisClusterClient;
import java.time.Duration;
import stampede.core.Nullable;
import stampede.redis.RedisStore;

/**
 * One embedded redis-server, and one embedded Redis Cluster, per test JVM, each started on first use and stopped when
 * the JVM exits (the {@link EmbeddedRedis} shutdown hooks). Tests isolate themselves with a unique key prefix, not a
 * server each; a test that kills nodes starts a cluster of its own.
 */
public final class SharedRedis {
  private static @Nullable EmbeddedRedis redis;
  private static @Nullable RedisClient client;
  private static @Nullable EmbeddedRedisCluster cluster;
  private static @Nullable RedisClusterClient clusterClient;

  private SharedRedis() { }

  public static synchronized EmbeddedRedis server() {
    EmbeddedRedis r = redis;
    if (r == null) {
      r = EmbeddedRedis.start();
      redis = r;
    }
    return r;
  }

  /** A fast-failing client (1 s timeout) to the shared server; shared, never close it. */
  public static synchronized RedisClient client() {
    RedisClient c = client;
    if (c == null) {
      c = RedisStore.client(server().uri(), Duration.ofSeconds(1));
      RedisClient started = c;
      Runtime.getRuntime().addShutdownHook(new Thread(() -> started.shutdown(Duration.ZERO, Duration.ofSeconds(1))));
      client = c;
    }
    return c;
  }

  /** The shared 3 x (master + replica) cluster; never kill its nodes (start your own for that). */
  public static synchronized EmbeddedRedisCluster cluster() {
    EmbeddedRedisCluster c = cluster;
    if (c == null) {
      c = EmbeddedRedisCluster.start();
      Runtime.getRuntime().addShutdownHook(new Thread(c::close, "shared-redis-cluster-stop"));
      cluster = c;
    }
    return c;
  }

  /** A fast-failing cluster client (1 s timeout) to the shared cluster; shared, never close it. */
  public static synchronized RedisClusterClient clusterClient() {
    RedisClusterClient c = clusterClient;
    if (c == null) {
      c = RedisStore.clusterClient(cluster().uris(), Duration.ofSeconds(1));
      RedisClusterClient started = c;
      Runtime.getRuntime().addShutdownHook(new Thread(() -> started.shutdown(Duration.ZERO, Duration.ofSeconds(1))));
      clusterClient = c;
    }
    return c;
  }
}
