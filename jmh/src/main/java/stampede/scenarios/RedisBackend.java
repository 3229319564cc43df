package stampede.scenarios;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import java.time.Duration;
import java.util.Locale;
import stampede.core.Metrics;
import stampede.jmh.Database;
import stampede.jmh.Env;
import stampede.jmh.StoreType;
import stampede.testkit.EmbeddedRedis;
import stampede.testkit.EmbeddedRedisCluster;

/**
 * The Redis the scenarios share, and how an application node connects to it: {@link #node} builds one node's
 * {@link Env} (its own Lettuce client and connections, its own in-process state, the scenario's database), so N
 * nodes on one Redis are N envs from one backend.
 *
 * <p>{@link Topology#STANDALONE} is one embedded redis-server; {@link Topology#CLUSTER} is an embedded Redis Cluster
 * of 3 masters with one replica each ({@code stampede.testkit.EmbeddedRedisCluster}), every node a
 * {@code RedisClusterClient} over it. Keys carry one hash tag per key ({@code RedisKeys}), so an entry, its lock and
 * its fence share a slot and every script is single-slot. Both are started here and stopped by {@link #close()}.
 * {@link #stop()} and {@link #restart()} (the Redis outage) are standalone only.
 */
final class RedisBackend implements AutoCloseable {

  /** {@code -Dscenario.redis}: where the N-nodes scenario runs; default both, one after the other. */
  enum Topology {
    STANDALONE, CLUSTER, BOTH;

    static Topology of(String name) {
      try {
        return valueOf(name == null || name.isBlank() ? "BOTH" : name.trim().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("scenario.redis must be standalone, cluster or both: " + name, e);
      }
    }
  }

  private final Topology topology;
  private final EmbeddedRedis server;
  private final EmbeddedRedisCluster cluster;

  private RedisBackend(Topology topology, EmbeddedRedis server, EmbeddedRedisCluster cluster) {
    this.topology = topology;
    this.server = server;
    this.cluster = cluster;
  }

  static RedisBackend start(Topology topology) {
    if (topology == Topology.BOTH) {
      throw new IllegalArgumentException("start one topology at a time");
    }
    if (topology == Topology.CLUSTER) {
      EmbeddedRedisCluster c = EmbeddedRedisCluster.start();
      try {
        c.awaitHealthy(Duration.ofSeconds(30));
      } catch (RuntimeException | Error e) {
        c.close();
        throw e;
      }
      return new RedisBackend(topology, null, c);
    }
    return new RedisBackend(topology, EmbeddedRedis.start(), null);
  }

  Topology topology() {
    return topology;
  }

  /** One application node: its own client, connections and in-process state, keys under {@code prefix}. */
  Env node(Database db, Duration ttl, String prefix, Metrics metrics) {
    Env.Builder b = Env.builder(StoreType.REDIS, db, ttl).keyPrefix(prefix);
    if (cluster != null) {
      b.redisCluster(cluster.uris());
    } else {
      b.redis(server.uri());
    }
    if (metrics != null) {
      b.metrics(metrics);
    }
    return b.build();
  }

  /** The port of the master that serves {@code redisKey}'s slot (cluster only). */
  int masterPortOf(String redisKey) {
    return cluster().masterPortOf(redisKey);
  }

  /** Stops the server: every client sees its connection drop (an outage). Standalone only. */
  void stop() {
    standalone().stop();
  }

  /** Starts it again on the same port, empty (no persistence). Standalone only. */
  void restart() {
    standalone().restart();
  }

  /** Drops every key (between runs), on every master of a cluster. */
  void flushAll() {
    if (cluster != null) {
      RedisClusterClient client = RedisClusterClient.create(cluster.uris());
      try (StatefulRedisClusterConnection<String, String> c = client.connect()) {
        c.sync().masters().commands().flushall();
      } finally {
        client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
      }
      return;
    }
    RedisClient client = RedisClient.create(server.uri());
    try (StatefulRedisConnection<String, String> c = client.connect()) {
      c.sync().flushall();
    } finally {
      client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
    }
  }

  String describe() {
    if (cluster != null) {
      return "an embedded Redis Cluster: 3 masters with one replica each, on loopback ("
          + cluster.uris().size() + " redis-server processes)";
    }
    return "one embedded redis-server " + server.uri().replace("redis://", "") + " (standalone)";
  }

  private EmbeddedRedis standalone() {
    if (server == null) {
      throw new UnsupportedOperationException("the Redis outage runs on one standalone Redis only");
    }
    return server;
  }

  private EmbeddedRedisCluster cluster() {
    if (cluster == null) {
      throw new UnsupportedOperationException("not a cluster");
    }
    return cluster;
  }

  @Override
  public void close() {
    if (server != null) {
      server.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }
}
