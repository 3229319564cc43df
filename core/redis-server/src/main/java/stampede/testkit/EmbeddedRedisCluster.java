package stampede.testkit;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.cluster.SlotHash;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * A real Redis Cluster for tests and benchmarks, no Docker: {@code masters} masters with {@code replicas} replicas
 * each, every node a redis-server process from the same binary as {@link EmbeddedRedis}, on loopback. The fixture
 * forms the cluster itself: {@code cluster-enabled yes}, {@code CLUSTER MEET} from the first node, the 16384 slots
 * split evenly by {@code CLUSTER ADDSLOTS}, {@code CLUSTER REPLICATE} for each replica; then it waits until every
 * node reports {@code cluster_state:ok} and every replica's link to its master is up.
 *
 * <p>Settings that matter for tests: {@code cluster-node-timeout} is short (default 1 s) so a killed master fails
 * over in a few seconds; {@code cluster-require-full-coverage no}, so the slots of the other masters keep serving
 * while one master's replica takes over; {@code cluster-replica-validity-factor 0}, so a replica may always fail
 * over. Node files live in a temporary directory deleted by {@link #close()}; every process is stopped by
 * {@link #close()} and by shutdown hooks, so none outlives the JVM.
 */
public final class EmbeddedRedisCluster implements AutoCloseable {
  private final Path dir;
  private final List<EmbeddedRedis> masters = new ArrayList<>();
  private final List<EmbeddedRedis> replicas = new ArrayList<>();
  private final RedisClient admin = RedisClient.create();

  private EmbeddedRedisCluster(Path dir) {
    this.dir = dir;
  }

  /** Three masters with one replica each: the smallest cluster that can fail over. */
  public static EmbeddedRedisCluster start() {
    return start(3, 1, Duration.ofSeconds(1));
  }

  /** {@code masters} masters with {@code replicas} replicas each, failing over after {@code nodeTimeout}. */
  public static EmbeddedRedisCluster start(int masters, int replicas, Duration nodeTimeout) {
    if (masters < 1 || replicas < 0) {
      throw new IllegalArgumentException("need masters >= 1 and replicas >= 0: " + masters + ", " + replicas);
    }
    Path dir;
    try {
      dir = Files.createTempDirectory("stampede-cluster-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    EmbeddedRedisCluster cluster = new EmbeddedRedisCluster(dir);
    try {
      for (int i = 0; i < masters * (1 + replicas); i++) {
        int port = clusterPort();
        EmbeddedRedis node = EmbeddedRedis.start(port, "cluster-enabled yes", "dir " + dir,
            "cluster-config-file nodes-" + port + ".conf", "cluster-node-timeout " + nodeTimeout.toMillis(),
            "cluster-require-full-coverage no", "cluster-replica-validity-factor 0");
        (i < masters ? cluster.masters : cluster.replicas).add(node);
      }
      cluster.form(replicas, nodeTimeout);
      return cluster;
    } catch (RuntimeException | Error e) {
      cluster.close();
      throw e;
    }
  }

  /** URIs of every node; any of them seeds a {@code RedisClusterClient}. */
  public List<RedisURI> uris() {
    return nodes().map(n -> RedisURI.create("127.0.0.1", n.port())).toList();
  }

  /** The port of the node serving {@code redisKey}'s slot as master now. */
  public int masterPortOf(String redisKey) {
    int slot = SlotHash.getSlot(redisKey);
    for (EmbeddedRedis node : nodes().filter(EmbeddedRedis::isRunning).toList()) {
      try (StatefulRedisConnection<String, String> c = connect(node)) {
        for (String line : c.sync().clusterNodes().split("\n")) {
          String[] f = line.split(" ");
          if (f.length > 8 && f[2].contains("master") && !f[2].contains("fail") && serves(f, slot)) {
            return Integer.parseInt(f[1].substring(f[1].indexOf(':') + 1, f[1].indexOf('@')));
          }
        }
        return -1;
      }
    }
    throw new IllegalStateException("no node is running");
  }

  /** Stops the node on {@code port} (a crash: no failover is requested, the replicas must notice). */
  public void kill(int port) {
    nodes().filter(n -> n.port() == port).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no node on port " + port)).stop();
  }

  /** The port of a running replica of the master serving {@code redisKey}'s slot now, or -1. */
  public int replicaPortOf(String redisKey) {
    int master = masterPortOf(redisKey);
    for (EmbeddedRedis node : nodes().filter(EmbeddedRedis::isRunning).toList()) {
      try (StatefulRedisConnection<String, String> c = connect(node)) {
        String info = c.sync().info("replication");
        if (info.contains("role:slave") && info.contains("master_port:" + master + "\r")) {
          return node.port();
        }
      } catch (RuntimeException unreachable) {
        // not this one
      }
    }
    return -1;
  }

  /**
   * Starts the node on {@code port} again after a {@link #kill}: it comes back empty, with its cluster identity, and
   * rejoins as a replica of the node that took over its slots; this waits until it has synced.
   */
  public void restart(int port) {
    EmbeddedRedis node = nodes().filter(n -> n.port() == port).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no node on port " + port));
    node.restart();
    awaitUntil(Duration.ofSeconds(30), "node " + port + " to rejoin as a synced replica", () -> {
      try (StatefulRedisConnection<String, String> c = connect(node)) {
        String info = c.sync().info("replication");
        return info.contains("role:slave") && info.contains("master_link_status:up");
      }
    });
  }

  /**
   * Waits until every running node reports {@code cluster_state:ok} with all 16384 slots served, sees every slot
   * served by a running master (after a {@link #kill}, until a replica has taken over), and every running replica's
   * link to its master is up.
   */
  public void awaitHealthy(Duration timeout) {
    awaitUntil(timeout, "every slot served by a running master, on every running node", () -> {
      Set<Integer> running = nodes().filter(EmbeddedRedis::isRunning).map(EmbeddedRedis::port)
          .collect(Collectors.toSet());
      return nodes().filter(EmbeddedRedis::isRunning).allMatch(n -> info(n, "cluster_state").equals("ok")
          && info(n, "cluster_slots_ok").equals("16384") && running.containsAll(slotOwners(n)) && linked(n));
    });
  }

  /** True for a master, or a replica whose link to its master is up. */
  private boolean linked(EmbeddedRedis node) {
    try (StatefulRedisConnection<String, String> c = connect(node)) {
      String info = c.sync().info("replication");
      return info.contains("role:master") || info.contains("master_link_status:up");
    }
  }

  @Override
  public void close() {
    nodes().forEach(EmbeddedRedis::close);
    admin.shutdown(Duration.ZERO, Duration.ofSeconds(1));
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // best effort: a temporary directory
    }
  }

  private void form(int replicasPerMaster, Duration nodeTimeout) {
    EmbeddedRedis first = masters.get(0);
    try (StatefulRedisConnection<String, String> c = connect(first)) {
      nodes().skip(1).forEach(n -> c.sync().clusterMeet("127.0.0.1", n.port()));
    }
    int total = (int) nodes().count();
    awaitUntil(Duration.ofSeconds(20), "every node to know the others", () -> nodes().allMatch(n -> {
      try (StatefulRedisConnection<String, String> c = connect(n)) {
        return c.sync().clusterNodes().lines().filter(l -> !l.contains("handshake")).count() == total;
      }
    }));
    int per = SlotHash.SLOT_COUNT / masters.size();
    for (int m = 0; m < masters.size(); m++) {
      int from = m * per;
      int to = m == masters.size() - 1 ? SlotHash.SLOT_COUNT : from + per;
      try (StatefulRedisConnection<String, String> c = connect(masters.get(m))) {
        c.sync().clusterAddSlots(IntStream.range(from, to).toArray());
      }
    }
    for (int r = 0; r < replicas.size(); r++) {
      EmbeddedRedis master = masters.get(r / replicasPerMaster);
      String masterId;
      try (StatefulRedisConnection<String, String> c = connect(master)) {
        masterId = c.sync().clusterMyId();
      }
      EmbeddedRedis replica = replicas.get(r);
      awaitUntil(Duration.ofSeconds(20), "replica " + replica.port() + " to see its master", () -> {
        try (StatefulRedisConnection<String, String> c = connect(replica)) {
          return c.sync().clusterNodes().contains(masterId);
        }
      });
      try (StatefulRedisConnection<String, String> c = connect(replica)) {
        c.sync().clusterReplicate(masterId);
      }
    }
    awaitHealthy(Duration.ofSeconds(30).plus(nodeTimeout));
  }

  /** The ports of the masters that serve slots, as {@code node} sees them. */
  private Set<Integer> slotOwners(EmbeddedRedis node) {
    try (StatefulRedisConnection<String, String> c = connect(node)) {
      return c.sync().clusterNodes().lines().map(l -> l.split(" "))
          .filter(f -> f.length > 8 && f[2].contains("master"))
          .map(f -> Integer.parseInt(f[1].substring(f[1].indexOf(':') + 1, f[1].indexOf('@'))))
          .collect(Collectors.toSet());
    }
  }

  private Stream<EmbeddedRedis> nodes() {
    return Stream.concat(masters.stream(), replicas.stream());
  }

  private StatefulRedisConnection<String, String> connect(EmbeddedRedis node) {
    RedisURI uri = RedisURI.create("127.0.0.1", node.port());
    uri.setTimeout(Duration.ofSeconds(2));
    return admin.connect(uri);
  }

  private String info(EmbeddedRedis node, String field) {
    try (StatefulRedisConnection<String, String> c = connect(node)) {
      RedisCommands<String, String> redis = c.sync();
      return redis.clusterInfo().lines().filter(l -> l.startsWith(field + ":"))
          .map(l -> l.substring(field.length() + 1).trim()).findFirst().orElse("");
    } catch (RuntimeException unreachable) {
      return "";
    }
  }

  /** {@code CLUSTER NODES} fields from the 9th on are slots or slot ranges. */
  private static boolean serves(String[] fields, int slot) {
    for (int i = 8; i < fields.length; i++) {
      String range = fields[i];
      if (range.startsWith("[")) {
        continue; // a slot being migrated
      }
      int dash = range.indexOf('-');
      int lo = Integer.parseInt(dash < 0 ? range : range.substring(0, dash));
      int hi = dash < 0 ? lo : Integer.parseInt(range.substring(dash + 1));
      if (slot >= lo && slot <= hi) {
        return true;
      }
    }
    return false;
  }

  private static void awaitUntil(Duration timeout, String what, java.util.function.BooleanSupplier done) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      try {
        if (done.getAsBoolean()) {
          return;
        }
      } catch (RuntimeException notYet) {
        // a node is still starting or failing over
      }
      if (System.nanoTime() - deadline >= 0) {
        throw new IllegalStateException("Redis Cluster: timed out after " + timeout + " waiting for " + what);
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted waiting for " + what, e);
      }
    }
  }

  /** A port p with p and p + 10000 (the cluster bus) both free, p + 10000 below 65536. */
  private static int clusterPort() {
    for (int attempt = 0; attempt < 200; attempt++) {
      int port = ThreadLocalRandom.current().nextInt(20_000, 30_000);
      try (ServerSocket a = new ServerSocket(port, 1, InetAddress.getLoopbackAddress());
           ServerSocket b = new ServerSocket(port + 10_000, 1, InetAddress.getLoopbackAddress())) {
        return port;
      } catch (IOException inUse) {
        // try another
      }
    }
    throw new IllegalStateException("no free port pair for a cluster node");
  }
}
