package stampede.scenarios;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.Locale;
import stampede.core.Metrics;
import stampede.jmh.Database;
import stampede.jmh.Env;
import stampede.jmh.StoreType;
import stampede.testkit.EmbeddedRedis;

/**
 * The Redis the scenarios share, and how an application node connects to it: {@link #node} builds one node's
 * {@link Env} (its own Lettuce client and connections, its own in-process state, the scenario's database), so N
 * nodes on one Redis are N envs from one backend.
 *
 * <p>{@code -Dscenario.redis=standalone} (the default) is one embedded redis-server, started here and stopped by
 * {@link #close()}. {@code -Dscenario.redis=cluster} is the hook for a Redis Cluster run of the N-nodes scenario: it
 * fails with what to add, because {@code RedisStore} and {@code RedisLocks} take a standalone client on this branch.
 * Once they take a cluster client, the cluster backend is: start {@code stampede.testkit.EmbeddedRedisCluster} (3
 * masters + 3 replicas) in {@link #start}; in {@link #node}, build the env on a {@code RedisClusterClient} over
 * {@code cluster.uris()} (an {@code Env.Builder} option next to {@link Env.Builder#redis(String)}); give the Redisson
 * peer {@code useClusterServers().addNodeAddress(...)} instead of {@code useSingleServer()}. Keys already carry one
 * hash tag per key ({@code RedisKeys}), so an entry, its lock and its fence share a slot, and nothing else changes.
 */
final class RedisBackend implements AutoCloseable {

  /** {@code -Dscenario.redis}. */
  enum Topology {
    STANDALONE, CLUSTER;

    static Topology of(String name) {
      try {
        return valueOf(name == null || name.isBlank() ? "STANDALONE" : name.trim().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("scenario.redis must be standalone or cluster: " + name, e);
      }
    }
  }

  private final Topology topology;
  private final EmbeddedRedis server;

  private RedisBackend(Topology topology, EmbeddedRedis server) {
    this.topology = topology;
    this.server = server;
  }

  static RedisBackend start(Topology topology) {
    if (topology == Topology.CLUSTER) {
      throw new UnsupportedOperationException("-Dscenario.redis=cluster needs RedisStore and RedisLocks on a "
          + "cluster client (not on this branch); see RedisBackend's javadoc for the three places to fill in");
    }
    return new RedisBackend(topology, EmbeddedRedis.start());
  }

  Topology topology() {
    return topology;
  }

  /** One application node: its own client, connections and in-process state, keys under {@code prefix}. */
  Env node(Database db, Duration ttl, String prefix, Metrics metrics) {
    Env.Builder b = Env.builder(StoreType.REDIS, db, ttl).redis(server.uri()).keyPrefix(prefix);
    if (metrics != null) {
      b.metrics(metrics);
    }
    return b.build();
  }

  /** Stops the server: every client sees its connection drop (an outage). */
  void stop() {
    server.stop();
  }

  /** Starts it again on the same port, empty (no persistence). */
  void restart() {
    server.restart();
  }

  /** Drops every key (between runs). */
  void flushAll() {
    RedisClient client = RedisClient.create(server.uri());
    try (StatefulRedisConnection<String, String> c = client.connect()) {
      c.sync().flushall();
    } finally {
      client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
    }
  }

  String describe() {
    return "one embedded redis-server " + server.uri().replace("redis://", "") + " (standalone)";
  }

  @Override
  public void close() {
    server.close();
  }
}
