package stampede.scenarios;

import stampede.core.Nullable;
import io.lettuce.core.RedisClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Map;
import java.util.function.Supplier;
import stampede.fixtures.BenchCache;
import stampede.fixtures.Contender;
import stampede.fixtures.Database;
import stampede.fixtures.Env;
import stampede.fixtures.RedisBackend;
import stampede.fixtures.StoreType;
import stampede.fixtures.StrategyType;
import stampede.fixtures.peers.LocalReads;
import stampede.report.Table;
import stampede.settings.Profile;
import stampede.settings.RedisTopology;

/**
 * Issue 21's scenario: one hot key at 100,000 requests/s on the shared store. N application nodes in one JVM (each
 * an {@link Env} of its own: Lettuce client, near cache, strategy) read one key on one embedded Redis, requests sent
 * to the nodes in turn; loads take 50 ms, the TTL is 1 s. Rows: every strategy of the roster twice, over a
 * {@code NearCache} (Caffeine L1 invalidated by {@code CLIENT TRACKING}) and over the plain Redis store, then the
 * peers (Redisson's {@code RLocalCachedMap}, Lettuce's {@code CacheFrontend}). Besides loads per expiry and latency
 * against the {@link Floor}, each row reports the Redis commands per second the window cost
 * ({@code INFO commandstats} deltas: every command in the window is for the hot key, its lock or its writes), the
 * L1 hit ratio, and the invalidation latency: a writer on node 0 updates the key once per second and every node
 * records when it first serves that value or a newer one ({@link SharedKeyWindow}, {@link InvalidationLatency}).
 *
 * <p>A request that no caller thread started within {@link #DEADLINE} of its intended start is dropped (an error,
 * as a service's request deadline would drop it): a row the machine cannot keep up with (the plain Redis store, one
 * round trip per request) then ends with a bounded backlog instead of minutes of queue.
 *
 * <p><b>Sizes</b>: {@code quick}: 4 nodes x 25,000/s, 1 s warm-up and 5 s measured per row; {@code full}: 4 x
 * 25,000/s, 2 s + 15 s; {@code smoke}: 2 nodes x 500/s, 0.5 s + 2 s.
 */
final class SharedHotKey implements Scenario {
  static final String KEY = "hot";
  static final long LOAD_MS = 50;
  static final long TTL_MS = 1_000;
  static final Duration DEADLINE = Duration.ofSeconds(1);
  static final Duration WRITE_EVERY = Duration.ofSeconds(1);

  @Override
  public String id() {
    return "shared-hot-key";
  }

  /** A coalescing row parks rate x load callers per expiry (5,000); a machine-bound one queues up to the deadline. */
  @Override
  public int callerThreads(Profile profile) {
    return profile.pick(1_000, 8_000, 10_000);
  }

  /** One row: a contender on N nodes, over the near cache or not (a peer brings its own). */
  record Setup(Contender contender, boolean nearCache) {
    String name() {
      return nearCache ? contender.name() + " + NEAR_CACHE" : contender.name();
    }

    String store() {
      return nearCache ? "NearCache over Redis" : isStrategy(contender) ? "Redis" : "the peer's own";
    }

    /** The strategies first over the near cache, then over plain Redis; then the peers. */
    static List<Setup> of(List<Contender> contenders) {
      List<Setup> setups = new ArrayList<>();
      contenders.stream().filter(SharedHotKey::isStrategy).forEach(c -> setups.add(new Setup(c, true)));
      contenders.stream().filter(SharedHotKey::isStrategy).forEach(c -> setups.add(new Setup(c, false)));
      contenders.stream().filter(c -> !isStrategy(c)).forEach(c -> setups.add(new Setup(c, false)));
      return setups;
    }
  }

  /** The peers among the rows, for the page: name and description each. */
  static List<Map<String, String>> peers(List<Setup> setups) {
    return setups.stream().filter(s -> !isStrategy(s.contender())).map(s -> Map.of("name", s.contender().name(),
        "description", s.contender().description())).toList();
  }

  static boolean isStrategy(Contender c) {
    return Arrays.stream(StrategyType.values()).anyMatch(t -> t.name().equals(c.name()));
  }

  /** What {@code scenarios.json} publishes of a row. */
  record Row(String contender, String store, int nodes, double targetPerSecond, double achievedPerSecond,
      boolean behind, long requests, double answeredPerSecond, long expiries, long loads, double loadsPerExpiry,
      double p50ms, double p99ms, double maxMs, long errors, Map<String, Long> errorKinds, int peakCallers,
      boolean callerPoolExhausted, double windowSeconds, double redisCommandsPerSecond, Map<String, Long> redisCommands,
      double l1HitRatio, long l1Misses, long l1Fills, InvalidationLatency.Summary invalidation, int writesSkipped) {

    static Row of(Setup setup, int nodes, Steady s, SharedKeyWindow.Reading w, InvalidationLatency.Summary inv) {
      Meter m = s.meter();
      double hitRatio = w.l1Reads() == 0 ? Double.NaN : (double) w.l1Hits() / w.l1Reads();
      double answered = (s.measured() - s.errors()) / HotKeyAtRate.measureSeconds(s);
      return new Row(setup.name(), setup.store(), nodes, s.result().targetPerSecond(), s.result().achievedPerSecond(),
          s.result().behind(), s.measured(), answered, m.episodes(), m.loads(), m.loadsPerExpiry(), s.p(50), s.p(99),
          s.max(), s.errors(), s.errorKinds(), s.peakCallers(), s.exhausted(), w.seconds(), w.commandsPerSecond(),
          w.commands().calls(), hitRatio, w.l1Reads() - w.l1Hits(), w.l1Fills(), inv, w.writesSkipped());
    }
  }

  @Override
  public SharedHotKeyResult run(Context ctx) throws Exception {
    Profile p = ctx.profile();
    int nodes = p.pick(2, 4, 4);
    double perNode = p.pick(500.0, 25_000.0, 25_000.0);
    Duration warmup = p.pick(Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(2));
    Duration measure = p.pick(Duration.ofSeconds(2), Duration.ofSeconds(5), Duration.ofSeconds(15));
    List<Setup> setups = Setup.of(ctx.contenders(id(), StoreType.REDIS));
    Floor floor = Floor.measure(ctx, setups.isEmpty() ? 0 : nodes * perNode);
    List<Row> rows = new ArrayList<>();
    try (RedisBackend redis = RedisBackend.start(RedisTopology.STANDALONE)) {
      for (Setup setup : setups) {
        rows.add(measure(ctx, redis, setup, nodes, nodes * perNode, warmup, measure));
        redis.flushAll();
      }
      return new SharedHotKeyResult(rows, nodes, perNode, warmup, measure, floor, redis.describe(),
          peers(setups));
    }
  }

  Row measure(Context ctx, RedisBackend redis, Setup setup, int n, double rate, Duration warmup, Duration measure) {
    Database db = Context.database(LOAD_MS, TTL_MS);
    List<Env> envs = new ArrayList<>();
    RedisClient statsClient = null;
    try {
      BenchCache[] caches = new BenchCache[n];
      for (int i = 0; i < n; i++) {
        envs.add(redis.node(db, Duration.ofMillis(TTL_MS), "shk:", ctx.meters(setup.name()), setup.nearCache()));
        caches[i] = setup.contender().create(envs.get(i));
      }
      caches[0].get(KEY); // the first load, before the clock starts
      int writes = (int) Math.max(1, measure.toMillis() / WRITE_EVERY.toMillis());
      InvalidationLatency inv = new InvalidationLatency(n, writes);
      statsClient = RedisClient.create(envs.get(0).redisUri());
      long origin = ctx.now() + Steady.START_DELAY.toNanos(); // as Steady.run's, within microseconds
      long deadline = DEADLINE.toNanos();
      double interval = 1e9 / rate;
      try (SharedKeyWindow window = new SharedKeyWindow(ctx, statsClient, l1(envs, caches), caches[0], KEY, inv,
          WRITE_EVERY, writes, origin + warmup.toNanos())) {
        Steady s = Steady.run(ctx, db, envs.stream().map(e -> e.counters).toList(), rate, warmup, measure, i -> {
          if (ctx.now() - (origin + (long) (i * interval)) > deadline) {
            throw Dropped.INSTANCE;
          }
          int node = (int) (i % n);
          inv.served(node, caches[node].get(KEY), System.nanoTime());
        });
        Row row = Row.of(setup, n, s, window.reading(), inv.summary());
        ctx.log("shared-hot-key %-28s %s/s, answered %s/s: %s loads per expiry, p99 %s ms, Redis %s commands/s, "
            + "L1 %s (misses %,d, fills %,d), invalidation p99 %s ms", row.contender(), s.achieved(),
            Table.rate(row.answeredPerSecond()), Table.ratio(row.loadsPerExpiry()), Table.ms(row.p99ms()),
            Table.rate(row.redisCommandsPerSecond()), Table.ratio(row.l1HitRatio()), row.l1Misses(), row.l1Fills(),
            Table.ms(row.invalidation().p99ms()));
        return row;
      }
    } finally {
      if (statsClient != null) {
        statsClient.shutdown(Duration.ZERO, Duration.ofSeconds(1));
      }
      envs.forEach(Env::close);
    }
  }

  /**
   * The nodes' L1 {hits, reads, fills}: the near caches' counters, or a peer's local-cache reads ({@link LocalReads};
   * fills not counted: -1); null without an L1.
   */
  static @Nullable Supplier<long[]> l1(List<Env> envs, BenchCache[] caches) {
    if (envs.get(0).nearCache != null) {
      return () -> envs.stream().map(e -> Objects.requireNonNull(e.nearCache, "near cache").stats()).map(st -> new long[] {st.hits(),
          st.hits() + st.misses(), st.fills()}).reduce(new long[3], SharedHotKey::sum);
    }
    if (caches[0] instanceof LocalReads) {
      return () -> Arrays.stream(caches).map(c -> ((LocalReads) c).localHits())
          .map(h -> new long[] {h[0], h[1], -1}).reduce(new long[] {0, 0, -1}, SharedHotKey::sum);
    }
    return null;
  }

  private static long[] sum(long[] a, long[] b) {
    return new long[] {a[0] + b[0], a[1] + b[1], a[2] < 0 || b[2] < 0 ? -1 : a[2] + b[2]};
  }

  /** A request dropped at its deadline (see above): no stack, one instance. */
  static final class Dropped extends RuntimeException {
    private static final long serialVersionUID = 1L;
    // StaticAssignmentOfThrowable: on purpose, one stackless instance (writableStackTrace false) for every request
    // dropped at its deadline, so that a row that falls behind does not allocate an exception per dropped request
    @SuppressWarnings("StaticAssignmentOfThrowable")
    static final Dropped INSTANCE = new Dropped();

    private Dropped() {
      super("dropped: no caller thread started it within " + DEADLINE.toMillis() + " ms", null, false, false);
    }
  }

  /*
   * How to run it alone:
   *
   *   mvn -B -ntp -P bench -pl jmh -am verify -DskipTests -Dbench.skipJmh=true -Dscenarios.only=shared-hot-key
   */
}
