package stampede.scenarios;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.knowm.xchart.XYChart;
import stampede.core.Counters;
import stampede.fixtures.BenchCache;
import stampede.fixtures.Database;
import stampede.fixtures.Env;
import stampede.fixtures.StoreType;
import stampede.fixtures.StrategyType;
import stampede.redis.RedisKeys;
import stampede.fixtures.Contender;
import stampede.fixtures.Peer;
import stampede.fixtures.RedisBackend;
import stampede.report.Table;
import stampede.report.Charts;
import stampede.settings.Profile;
import stampede.settings.RedisTopology;

/**
 * Scenario 3, N application nodes sharing one Redis: the same hot key is read on 1, 2, 4 and 8 nodes, each node with
 * its own Redis connections and its own in-process state (its single-flight map, its refresh set, its Redisson
 * client), all loading from one database. Single flight coalesces within a node only, so it should cost N loads per
 * expiry; the distributed lock, two-level coalescing and the layered stack coordinate through Redis and should cost
 * 1. The peer is what a Java user reaches for here: Redisson's {@code RLock} around cache-aside with a double-check.
 *
 * <p>A node is an {@link Env} from the {@link RedisBackend}; requests go to the nodes in turn (a load balancer's
 * round robin), at one total rate, so each node sees {@code rate / N} and still has several callers on the key
 * during every 50 ms load.
 *
 * <p><b>On a Redis Cluster</b> too: after the one-Redis runs, the same contenders run on an embedded cluster of 3
 * masters with one replica each ({@link RedisBackend}), each node a {@code RedisClusterClient}, one row per strategy.
 * Each (strategy, N) reads its own hot key, so the rows' keys land on different slots and masters (the table says
 * which master served each). {@code -Dscenario.redis=standalone} or {@code =cluster} runs only one of the two.
 *
 * <p><b>Sizes</b>: {@code quick}: 2,000 requests/s in total, TTL 1 s, 1 s warm-up and 3 s measured (3 expiries) per
 * (strategy, N); {@code full}: 10 s measured, plus stale-while-revalidate and XFetch over single flight;
 * {@code smoke}: two-level coalescing on 1 and 2 nodes, 1,000/s, 1 s.
 */
final class NodesSharingRedis implements Scenario {
  static final String KEY = "shared";
  static final long LOAD_MS = 50;
  static final long TTL_MS = 1_000;

  @Override
  public String id() {
    return "n-nodes";
  }

  record Row(String strategy, int nodes, Steady run, int masterPort) { }

  @Override
  public Report run(Context ctx) throws Exception {
    Profile p = ctx.profile();
    int[] nodeCounts = p.pick(new int[] {1, 2}, new int[] {1, 2, 4, 8}, new int[] {1, 2, 4, 8});
    // below what one redis-server sustains on 2 cores next to this JVM; 8 nodes still see 12 callers per load each
    double rate = p.pick(1_000.0, 2_000.0, 2_000.0);
    Duration warmup = p.pick(Duration.ofMillis(300), Duration.ofSeconds(1), Duration.ofSeconds(2));
    Duration measure = p.pick(Duration.ofMillis(1_100), Duration.ofSeconds(3), Duration.ofSeconds(10));
    List<Contender> contenders = ctx.contenders(id(), StoreType.REDIS);

    Report r = null;
    if (ctx.redis() != RedisTopology.CLUSTER) {
      List<Row> rows = new ArrayList<>();
      String where;
      try (RedisBackend redis = RedisBackend.start(RedisTopology.STANDALONE)) {
        where = redis.describe();
        for (Contender c : contenders) {
          for (int n : nodeCounts) {
            rows.add(new Row(c.name(), n, measure(ctx, redis, c, n, rate, warmup, measure, KEY), -1));
            redis.flushAll();
          }
        }
      }
      r = report(null, rows, nodeCounts, rate, warmup, measure, where);
    }
    if (ctx.redis() != RedisTopology.STANDALONE) {
      // on the cluster: one row per strategy at the smallest and the largest N (all four in the full profile)
      int[] clusterCounts = p.pick(new int[] {2}, new int[] {1, 8}, new int[] {1, 2, 4, 8});
      List<Row> rows = new ArrayList<>();
      String where;
      try (RedisBackend redis = RedisBackend.start(RedisTopology.CLUSTER)) {
        where = redis.describe();
        for (Contender c : contenders) {
          for (int n : clusterCounts) {
            String key = KEY + ":" + c.name() + ":" + n; // a key of its own: the rows spread over the slots
            Steady s = measure(ctx, redis, c, n, rate, warmup, measure, key);
            String prefix = "nn:" + c.name() + ":" + n + ":";
            rows.add(new Row(c.name(), n, s, redis.masterPortOf(RedisKeys.strings(prefix).entry(key))));
            redis.flushAll();
          }
        }
      }
      r = report(r, rows, clusterCounts, rate, warmup, measure, where);
    }
    return r;
  }

  Steady measure(Context ctx, RedisBackend redis, Contender c, int n, double rate, Duration warmup,
      Duration measure, String key) {
    Database db = Context.database(LOAD_MS, TTL_MS);
    List<Env> nodes = new ArrayList<>();
    try {
      List<BenchCache> caches = new ArrayList<>();
      List<Counters> counters = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        Env env = redis.node(db, Duration.ofMillis(TTL_MS), "nn:" + c.name() + ":" + n + ":",
            ctx.meters(c.name()));
        nodes.add(env);
        caches.add(c.create(env));
        counters.add(env.counters);
      }
      BenchCache[] byNode = caches.toArray(new BenchCache[0]);
      Steady s = Steady.run(ctx, db, counters, rate, warmup, measure, i -> byNode[(int) (i % n)].get(key));
      ctx.log("n-nodes %s %-22s %d node(s): %,d loads / %,d expiries = %s per expiry, p99 %s ms, achieved %s/s",
          redis.topology().name().toLowerCase(Locale.ROOT), c.name(),
          n, s.meter().loads(), s.meter().episodes(), Table.ratio(s.meter().loadsPerExpiry()), Table.ms(s.p(99)),
          s.achieved());
      return s;
    } finally {
      nodes.forEach(Env::close);
    }
  }

  /**
   * The one-Redis table and chart ({@code into} null), or the cluster's table added to {@code into} (one row per
   * strategy, with the master that served its key).
   */
  Report report(Report into, List<Row> rows, int[] nodeCounts, double rate, Duration warmup, Duration measure,
      String where) {
    boolean cluster = rows.stream().anyMatch(row -> row.masterPort() > 0);
    if (into != null) {
      return table(into.setup("Redis Cluster", where), rows, nodeCounts, cluster);
    }
    Report r = new Report(id(), "N application nodes sharing one Redis",
        "One hot key is read on N nodes that share one Redis and one database; each node has its own connections and "
            + "its own in-process state. How many loads does each expiry cost as N grows?");
    r.setup("Nodes", "1, 2, 4, 8 in one JVM, each an env of its own: Lettuce client and connections, single-flight "
        + "map, executors, Redisson client (for the Redisson peer)")
        .setup(cluster ? "Redis Cluster" : "Redis", where)
        .setup("Rate", String.format(Locale.ROOT, "%,.0f requests/s in total, sent to the nodes in turn", rate))
        .setup("Load", "50 ms (parks), one shared database; TTL 1 s")
        .setup("Run", String.format(Locale.ROOT, "%.0f s warm-up, %.0f s measured per strategy and N",
            warmup.toMillis() / 1000.0, measure.toMillis() / 1000.0))
        .setup("Peer", "REDISSON_LOCK: " + Contender.of(Peer.REDISSON_LOCK).description());
    r.note("Every node is in this one JVM, on the same 2 cores: N nodes are N sets of connections and in-process "
        + "state, not N machines. The database is shared, so its episodes count each expiry once, whichever node "
        + "loads.");
    return table(r, rows, nodeCounts, cluster);
  }

  private Report table(Report r, List<Row> rows, int[] nodeCounts, boolean cluster) {
    String[] cols = new String[(cluster ? 3 : 2) + nodeCounts.length * 2];
    cols[0] = "strategy";
    for (int i = 0; i < nodeCounts.length; i++) {
      cols[1 + i] = ">" + nodeCounts[i] + (nodeCounts[i] == 1 ? " node" : " nodes");
    }
    for (int i = 0; i < nodeCounts.length; i++) {
      cols[1 + nodeCounts.length + i] = ">p99 ms, " + nodeCounts[i];
    }
    if (cluster) {
      cols[cols.length - 2] = "master of the key (port)";
    }
    cols[cols.length - 1] = "notes";
    Table t = new Table(cols);
    XYChart chart = Charts.lines("Loads per expiry against application nodes (one hot key, 50 ms load)",
        "application nodes sharing one Redis", "loads per expiry", true, true);
    chart.getStyler().setXAxisMin(0.9).setXAxisMax(9.0);
    Map<String, List<Row>> byStrategy = new LinkedHashMap<>();
    rows.forEach(row -> byStrategy.computeIfAbsent(row.strategy(), k -> new ArrayList<>()).add(row));
    double[] x = new double[nodeCounts.length];
    for (int i = 0; i < x.length; i++) {
      x[i] = nodeCounts[i];
    }
    for (Map.Entry<String, List<Row>> e : byStrategy.entrySet()) {
      Object[] cells = new Object[cols.length];
      cells[0] = e.getKey();
      double[] y = new double[nodeCounts.length];
      List<String> flags = new ArrayList<>();
      for (int i = 0; i < e.getValue().size(); i++) {
        Row row = e.getValue().get(i);
        Steady s = row.run();
        y[i] = s.meter().loadsPerExpiry();
        cells[1 + i] = Table.ratio(y[i]);
        cells[1 + nodeCounts.length + i] = Table.ms(s.p(99));
        if (s.result().behind()) {
          flags.add(row.nodes() + " nodes: generator behind (" + s.achieved() + "/s)");
        }
        if (s.errors() > 0) {
          flags.add(row.nodes() + " nodes: " + Table.percent(s.errors(), s.measured()) + " errors");
        }
        Map<String, Object> d = r.row();
        d.put("redis", cluster ? "cluster" : "standalone");
        d.put("strategy", row.strategy());
        d.put("nodes", row.nodes());
        d.put("achievedPerSecond", s.result().achievedPerSecond());
        d.put("behind", s.result().behind());
        d.put("expiries", s.meter().episodes());
        d.put("loads", s.meter().loads());
        d.put("loadsPerExpiry", y[i]);
        d.put("peakConcurrentLoads", s.meter().peakLoads());
        d.put("p50ms", s.p(50));
        d.put("p99ms", s.p(99));
        d.put("maxMs", s.max());
        d.put("errors", s.errors());
      }
      if (cluster) {
        cells[cols.length - 2] = e.getValue().stream().map(row -> String.valueOf(row.masterPort())).distinct()
            .collect(java.util.stream.Collectors.joining(", "));
      }
      cells[cols.length - 1] = String.join("; ", flags);
      t.row(cells);
      Charts.line(chart, e.getKey(), x, y, true);
    }
    r.table((cluster ? "On the Redis Cluster (3 masters, 3 replicas; each row's key of its own, so rows spread over "
        + "slots and masters): loads" : "On one Redis: loads")
        + " per expiry (loads / expiry episodes seen by the shared database), then p99 latency (ms) from the "
        + "intended start, by number of nodes:", t);
    if (r.chart == null) {
      r.chart(chart);
    }
    return r;
  }

  /*
   * How to run it alone (both topologies; add -Dscenario.redis=standalone or =cluster for one):
   *
   *   mvn -B -ntp -P bench -pl jmh -am verify -DskipTests -Dbench.skipJmh=true -Dscenarios.only=n-nodes
   */
}
