package stampede.redis;

import io.lettuce.core.RedisClient;
import io.lettuce.core.cluster.RedisClusterClient;
import java.time.Duration;
import stampede.testkit.SharedRedisServer;

/**
 * Fast-failing clients (1 s timeout) of this module's tests to the shared servers of {@link SharedRedisServer}, made
 * by {@link RedisStore#client}: shared, never close them. (stampede-testkit's {@code SharedRedis} is the same for the
 * other modules; it depends on this module, so these tests cannot use it.)
 */
final class SharedClients {
  private static RedisClient client;
  private static RedisClusterClient clusterClient;

  private SharedClients() { }

  static synchronized RedisClient client() {
    if (client == null) {
      RedisClient c = RedisStore.client(SharedRedisServer.server().uri(), Duration.ofSeconds(1));
      Runtime.getRuntime().addShutdownHook(new Thread(() -> c.shutdown(Duration.ZERO, Duration.ofSeconds(1))));
      client = c;
    }
    return client;
  }

  static synchronized RedisClusterClient clusterClient() {
    if (clusterClient == null) {
      RedisClusterClient c = RedisStore.clusterClient(SharedRedisServer.cluster().uris(), Duration.ofSeconds(1));
      Runtime.getRuntime().addShutdownHook(new Thread(() -> c.shutdown(Duration.ZERO, Duration.ofSeconds(1))));
      clusterClient = c;
    }
    return clusterClient;
  }
}
