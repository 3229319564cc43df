package stampede.testkit;

import io.lettuce.core.RedisClient;
import java.time.Duration;
import stampede.redis.RedisStore;

/**
 * One embedded redis-server per test JVM, started on first use and stopped when the JVM exits (the
 * {@link EmbeddedRedis} shutdown hook). Tests isolate themselves with a unique key prefix, not a server each.
 */
public final class SharedRedis {
  private static EmbeddedRedis redis;
  private static RedisClient client;

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
}
