package stampede.testkit;

import io.lettuce.core.RedisClient;
import io.lettuce.core.cluster.RedisClusterClient;
import java.time.Duration;
import stampede.core.Nullable;
import stampede.redis.RedisStore;

/**
 * The servers of {@link SharedRedisServer} (one redis-server and one Redis Cluster per test JVM), with one
 * fast-failing client of each, made as the stores make theirs ({@link RedisStore#client}). Tests isolate themselves
 * with a unique key prefix, not a server each.
 */
public final class SharedRedis {
  private static @Nullable RedisClient client;
  private static @Nullable RedisClusterClient clusterClient;

  private SharedRedis() { }

  public static EmbeddedRedis server() {
    return SharedRedisServer.server();
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
  public static EmbeddedRedisCluster cluster() {
    return SharedRedisServer.cluster();
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
