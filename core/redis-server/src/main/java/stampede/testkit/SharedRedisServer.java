package stampede.testkit;

import stampede.core.Nullable;

/**
 * One embedded redis-server, and one embedded Redis Cluster, per test JVM, each started on first use and stopped when
 * the JVM exits (the {@link EmbeddedRedis} shutdown hooks). Tests isolate themselves with a unique key prefix, not a
 * server each; a test that kills nodes starts a cluster of its own. Clients with the stores' settings are
 * {@code SharedRedis}'s (stampede-testkit), or a module's own test helper.
 */
public final class SharedRedisServer {
  private static @Nullable EmbeddedRedis redis;
  private static @Nullable EmbeddedRedisCluster cluster;

  private SharedRedisServer() { }

  public static synchronized EmbeddedRedis server() {
    EmbeddedRedis r = redis;
    if (r == null) {
      r = EmbeddedRedis.start();
      redis = r;
    }
    return r;
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
}
