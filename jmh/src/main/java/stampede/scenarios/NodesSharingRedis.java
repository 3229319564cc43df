package stampede.scenarios;

import com.fasterxml.jackson.annotation.JsonIgnore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import stampede.core.Counters;
import stampede.fixtures.BenchCache;
import stampede.fixtures.Contender;
import stampede.fixtures.Database;
import stampede.fixtures.Env;
import stampede.fixtures.Peer;
import stampede.fixtures.RedisBackend;
import stampede.fixtures.StoreType;
import stampede.redis.RedisKeys;
import stampede.report.ChartSpec;
import stampede.report.Table;
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
 * <p><b>Sizes</b>: {@code quick}: 2,000 requests/s in total, TTL 1 s, twice 0.5 s warm-up and 1.5 s measured (3
 * expiries in all, as one 3 s run had) per (strategy, N), the repeats interleaved, each round after a floor;
 * {@code full}: three times 1 s + 5 s, plus stale-while-revalidate (plain and over single flight) and XFetch over
 * single flight;
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

  /** One strategy on N nodes: what {@code scenarios.json} publishes, and its request count and master port. */
  record Row(String redis, String strategy, int nodes, int repeat, double achievedPerSecond, boolean behind,
      double maxGeneratorLagMs, long expiries,
      long loads, double loadsPerExpiry, int peakConcurrentLoads, double p50ms, double p99ms, double maxMs,
      long errors, Map<String, Long> errorKinds, @JsonIgnore long requests, @JsonIgnore int masterPort) {

    static Row of(boolean cluster, String strategy, int nodes, int repeat, Steady s, int masterPort) {
      return new Row(cluster ? "cluster" : "standalone", strategy, nodes, repeat, s.result().achievedPerSecond(),
          s.result().behind(), s.result().maxLagNanos() / 1e6, s.meter().episodes(), s.meter().loads(),
          s.meter().loadsPerExpiry(), s.meter().peakLoads(), s.p(50), s.p(99), s.max(), s.errors(), s.errorKinds(),
          s.measured(), masterPort);
    }
  }

  /** The runs on one topology: where it was, the node counts, a row per strategy and N. */
  // ArrayRecordComponent: a measured series, written to JSON and charts; records of it are never compared or hashed
  @SuppressWarnings("ArrayRecordComponent")
  record Part(boolean cluster, String where, int[] nodeCounts, List<Row> rows) {

    Table table(Floor floor) {
      List<String> cols = new ArrayList<>(List.of("strategy"));
      for (int n : nodeCounts) {
        cols.add(">" + n + (n == 1 ? " node" : " nodes"));
      }
      for (int n : nodeCounts) {
        cols.add(">p99 ms, " + n);
      }
      if (cluster) {
        cols.add("master of the key (port)");
      }
      cols.add("notes");
      Table t = new Table(cols.toArray(new String[0]));
      byStrategy().forEach((strategy, rs) -> {
        List<Repeats<Row>> byN = Repeats.group(rs, r -> String.valueOf(r.nodes()));
        List<Object> cells = new ArrayList<>(List.of(strategy));
        byN.forEach(g -> cells.add(Table.ratio(g.sum(Row::expiries) == 0 ? Double.NaN
            : (double) g.sum(Row::loads) / g.sum(Row::expiries))));
        byN.forEach(g -> cells.add(floor.p99(g.spread(Row::p99ms), g.max(Row::maxGeneratorLagMs))));
        if (cluster) {
          cells.add(rs.stream().map(r -> String.valueOf(r.masterPort())).distinct().collect(Collectors.joining(", ")));
        }
        cells.add(String.join("; ", flags(rs)));
        t.row(cells.toArray());
      });
      return t;
    }

    /**
     * The latency ranking at each node count, against {@code floor}: the template's {@code rankings}; {@code first}:
     * this part's first ranking is the page's first (it explains the notation).
     */
    List<Map<String, Object>> rankings(Floor floor, boolean first) {
      List<Map<String, Object>> out = new ArrayList<>();
      for (int n : nodeCounts) {
        List<Ranking.Entry> entries = Repeats.group(rows.stream().filter(r -> r.nodes() == n).toList(),
            Row::strategy).stream().map(g -> new Ranking.Entry(g.first().strategy(), g.spread(Row::p99ms),
            floor.judge(g.spread(Row::p99ms).max(), g.max(Row::maxGeneratorLagMs)))).toList();
        out.add(Map.of("where", String.format(Locale.ROOT, "%s, %d node%s", cluster ? "Redis Cluster" : "one Redis",
            n, n == 1 ? "" : "s"), "ranking", new Ranking(entries).view(), "again", !(first && out.isEmpty())));
      }
      return out;
    }

    /** What the machine did to a strategy's rows: a generator behind its schedule, errors (by repeat). */
    static List<String> flags(List<Row> rs) {
      List<String> flags = new ArrayList<>();
      for (Row r : rs) {
        if (r.behind()) {
          flags.add(String.format(Locale.ROOT, "%d nodes #%d: generator behind (%s/s)", r.nodes(), r.repeat() + 1,
              Steady.achieved(r.achievedPerSecond(), true)));
        }
        if (r.errors() > 0) {
          flags.add(String.format(Locale.ROOT, "%d nodes #%d: %s errors", r.nodes(), r.repeat() + 1,
              Table.percent(r.errors(), r.requests())));
        }
      }
      return flags;
    }

    Map<String, List<Row>> byStrategy() {
      Map<String, List<Row>> by = new LinkedHashMap<>();
      rows.forEach(r -> by.computeIfAbsent(r.strategy(), k -> new ArrayList<>()).add(r));
      return by;
    }
  }

  /** The runs on one Redis, then on the cluster (either may be left out by {@code -Dscenario.redis}). */
  record Result(List<Part> parts, double rate, Duration warmup, Duration measure, Floor floor)
      implements Measured {

    @Override
    public Map<String, Object> data() {
      return Map.of("floor", floor.data());
    }

    @Override
    public List<Row> rows() {
      return parts.stream().flatMap(p -> p.rows().stream()).toList();
    }

    @Override
    public Map<String, Object> view() {
      Map<String, Object> v = new LinkedHashMap<>();
      Part first = parts.get(0);
      v.put("first", Map.of("cluster", first.cluster(), "where", first.where()));
      v.put("clusterAfter", parts.size() > 1 ? List.of(parts.get(1).where()) : List.of());
      v.put("floor", floor.view());
      v.put("rate", Table.rate(rate));
      v.put("warmup", String.format(Locale.ROOT, "%.1f", warmup.toMillis() / 1000.0));
      v.put("measure", String.format(Locale.ROOT, "%.1f", measure.toMillis() / 1000.0));
      v.put("peer", Contender.of(Peer.REDISSON_LOCK).description());
      v.put("repeats", rows().stream().mapToInt(Row::repeat).max().orElse(0) + 1);
      v.put("tables", parts.stream().map(p -> Map.of("cluster", p.cluster(), "table", p.table(floor), "rankings",
          p.rankings(floor, parts.indexOf(p) == 0))).toList());
      v.put("errorKinds", ErrorKinds.view(Repeats.group(rows(), r -> r.redis() + r.strategy() + r.nodes()).stream()
          .map(g -> Map.entry(String.format(Locale.ROOT, "%s, %d node(s), %s", g.first().strategy(),
          g.first().nodes(), g.first().redis()), g.merged(Row::errorKinds))).toList()));
      return v;
    }

    /** Loads per expiry against N, a line per strategy, from the first topology that ran. */
    @Override
    public ChartSpec chart() {
      ChartSpec chart = ChartSpec.lines("Loads per expiry against application nodes (one hot key, 50 ms load)",
          "application nodes sharing one Redis", "loads per expiry", true, true).xRange(0.9, 9.0);
      Part p = parts.get(0);
      double[] x = Arrays.stream(p.nodeCounts()).asDoubleStream().toArray();
      p.byStrategy().forEach((strategy, rs) -> chart.line(strategy, x, Repeats.group(rs, r -> "" + r.nodes())
          .stream().mapToDouble(g -> g.sum(Row::expiries) == 0 ? Double.NaN
          : (double) g.sum(Row::loads) / g.sum(Row::expiries)).toArray(), true));
      return chart;
    }
  }

  @Override
  public Result run(Context ctx) throws Exception {
    Profile p = ctx.profile();
    // below what one redis-server sustains on 2 cores next to this JVM; 8 nodes still see 12 callers per load each
    double rate = p.pick(1_000.0, 2_000.0, 2_000.0);
    // per repeat (quick 2, full 3; see reference.conf): quick 0.5 s + 1.5 s, full 1 s + 5 s
    Duration warmup = p.pick(Duration.ofMillis(300), Duration.ofMillis(500), Duration.ofSeconds(1));
    Duration measure = p.pick(Duration.ofMillis(1_100), Duration.ofMillis(1_500), Duration.ofSeconds(5));
    Run run = new Run(ctx, ctx.contenders(id(), StoreType.REDIS), rate, warmup, measure);
    List<Part> parts = new ArrayList<>();
    if (ctx.redis() != RedisTopology.CLUSTER) {
      parts.add(run.on(RedisTopology.STANDALONE, p.pick(new int[] {1, 2}, new int[] {1, 2, 4, 8},
          new int[] {1, 2, 4, 8})));
    }
    if (ctx.redis() != RedisTopology.STANDALONE) {
      // on the cluster: one row per strategy at the smallest and the largest N (all four in the full profile)
      parts.add(run.on(RedisTopology.CLUSTER, p.pick(new int[] {2}, new int[] {1, 8}, new int[] {1, 2, 4, 8})));
    }
    return new Result(parts, rate, warmup, measure, Floor.across(run.floors));
  }

  /** The contenders and run settings both topologies share. */
  private final class Run {
    final Context ctx;
    final List<Contender> contenders;
    final double rate;
    final Duration warmup;
    final Duration measure;
    final List<Floor> floors = new ArrayList<>();

    Run(Context ctx, List<Contender> contenders, double rate, Duration warmup, Duration measure) {
      this.ctx = ctx;
      this.contenders = contenders;
      this.rate = rate;
      this.warmup = warmup;
      this.measure = measure;
    }

    /**
     * Every contender on {@code nodeCounts} nodes of {@code topology}; on the cluster each (strategy, N) reads a key
     * of its own, so the rows spread over the slots, and the row says which master served it.
     */
    Part on(RedisTopology topology, int[] nodeCounts) {
      boolean cluster = topology == RedisTopology.CLUSTER;
      List<Row> rows = new ArrayList<>();
      try (RedisBackend redis = RedisBackend.start(topology)) {
        for (int r = 0; r < ctx.settings().calibration().repeats(); r++) { // interleaved: all rows, then again
          floors.add(Floor.measure(ctx, rate));
          for (Contender c : contenders) {
            for (int n : nodeCounts) {
              String key = cluster ? KEY + ":" + c.name() + ":" + n : KEY;
              Steady s = measure(ctx, redis, c, n, rate, warmup, measure, key);
              int port = cluster ? redis.masterPortOf(RedisKeys.strings(prefix(c, n)).entry(key)) : -1;
              rows.add(Row.of(cluster, c.name(), n, r, s, port));
              redis.flushAll();
            }
          }
        }
        return new Part(cluster, redis.describe(), nodeCounts, rows);
      }
    }
  }

  static String prefix(Contender c, int n) {
    return "nn:" + c.name() + ":" + n + ":";
  }

  Steady measure(Context ctx, RedisBackend redis, Contender c, int n, double rate, Duration warmup,
      Duration measure, String key) {
    Database db = Context.database(LOAD_MS, TTL_MS);
    List<Env> nodes = new ArrayList<>();
    try {
      List<BenchCache> caches = new ArrayList<>();
      List<Counters> counters = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        Env env = redis.node(db, Duration.ofMillis(TTL_MS), prefix(c, n), ctx.meters(c.name()));
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

  /*
   * How to run it alone (both topologies; add -Dscenario.redis=standalone or =cluster for one):
   *
   *   mvn -B -ntp -P bench -pl jmh -am verify -DskipTests -Dbench.skipJmh=true -Dscenarios.only=n-nodes
   */
}
