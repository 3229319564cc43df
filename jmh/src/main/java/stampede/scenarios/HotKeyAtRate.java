package stampede.scenarios;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.LongAccumulator;
import stampede.core.Event;
import stampede.fixtures.BenchCache;
import stampede.fixtures.Contender;
import stampede.fixtures.Database;
import stampede.fixtures.Env;
import stampede.fixtures.RedisBackend;
import stampede.fixtures.StoreType;
import stampede.fixtures.StrategyType;
import stampede.report.ChartSpec;
import stampede.report.Table;
import stampede.settings.Profile;
import stampede.settings.RedisTopology;

/**
 * Scenario 2, one hot key at its real rate: requests for one key arrive at 100,000 a second (in process), the load
 * takes 50 ms and the TTL is 1 s, 20 times the load. An open loop keeps sending while a load runs, so naive
 * cache-aside costs about rate x load time = 5,000 loads per expiry, and a coalescing strategy keeps thousands of
 * callers waiting on one load.
 *
 * <p><b>Redis:</b> every request is a round trip to one redis-server on loopback, so the rate is the highest this
 * machine sustains, found first by a ladder of short runs of cache-aside hits (1,000 to 80,000 a second, 1.5 s each):
 * the highest rate whose achieved rate stays within 5% of the target and whose hit latency p99 stays under 10 ms.
 * The table states it.
 *
 * <p><b>Sizes</b>: {@code quick}: 1 s warm-up, 11 s measured (at least 10 expiries), every strategy and peer but
 * the two jitter twins (jitter does nothing for one key) in process, seven on Redis (cache-aside, single flight, the
 * lock, two-level, XFetch over single flight, stale-while-revalidate, the layered stack); {@code full}: 2 s + 30 s,
 * every strategy on both stores; {@code smoke}: 5,000/s for 1 s, two strategies in process and one on Redis.
 */
final class HotKeyAtRate implements Scenario {
  static final String KEY = "hot";
  static final long LOAD_MS = 50;
  static final long TTL_MS = 1_000;
  static final double[] LADDER = {1_000, 2_500, 5_000, 10_000, 20_000, 40_000, 80_000};
  /** Issue 21's measure: the lock alone on one node, on Redis at this rate whatever the ladder found. */
  static final double LOCK_ALONE_RATE = 10_000;

  @Override
  public String id() {
    return "hot-key-100k";
  }

  /** 100,000 requests/s on a 50 ms load: 5,000 callers wait per expiry, more when the machine falls behind. */
  @Override
  public int callerThreads(Profile profile) {
    return profile.pick(1_000, 10_000, 10_000);
  }

  /** One strategy's run on one store: what {@code scenarios.json} publishes of it. */
  record Row(String strategy, String store, double targetPerSecond, double achievedPerSecond, boolean behind,
      double maxGeneratorLagMs, long requests, long expiries, long loads, double loadsPerExpiry, double loadsPerSecond,
      int peakConcurrentLoads, double p50ms, double p99ms, double p999ms, double maxMs, long staleServed,
      double oldestValueServedMs, long errors, Map<String, Long> errorKinds, int peakCallers,
      boolean callerPoolExhausted) {

    /**
     * The row of run {@code s}; {@code oldestNanos}: the age of the oldest value it answered with, -1 if none known.
     */
    static Row of(String strategy, StoreType store, double target, Steady s, long oldestNanos) {
      Meter m = s.meter();
      return new Row(strategy, store.name(), target, s.result().achievedPerSecond(), s.result().behind(),
          s.result().maxLagNanos() / 1e6, s.measured(), m.episodes(), m.loads(), m.loadsPerExpiry(),
          m.loads() / measureSeconds(s), m.peakLoads(), s.p(50), s.p(99), s.p(99.9), s.max(),
          m.events(Event.STALE_SERVED), oldestNanos / 1e6, s.errors(), s.errorKinds(), s.peakCallers(),
          s.exhausted());
    }
  }

  /** One step of the Redis ladder: the target rate, what was achieved, the p99 of the hits. */
  record Step(double target, double achieved, double p99ms) { }

  /**
   * The Redis ladder: the rate the Redis rows ran at, whether it was sustained (else it is the first step, which
   * this machine did not even sustain), and the steps climbed.
   */
  record Ladder(double rate, boolean sustained, List<Step> steps) { }

  /** Every row, in process then on Redis, at {@code rate} in process and the ladder's rate on Redis. */
  record Result(List<Row> rows, double rate, Ladder ladder, Duration warmup, Duration measure, Floor floor)
      implements Measured {

    @Override
    public Map<String, Object> data() {
      Map<String, Object> d = new LinkedHashMap<>();
      d.put("redisRate", ladder.rate());
      d.put("floor", floor.data());
      return d;
    }

    @Override
    public Map<String, Object> view() {
      Map<String, Object> v = new LinkedHashMap<>();
      v.put("floor", floor.view());
      v.put("rate", Table.rate(rate));
      v.put("redisRate", Table.rate(ladder.rate()));
      v.put("sustained", ladder.sustained());
      v.put("warmup", seconds(warmup));
      v.put("measure", seconds(measure));
      v.put("tenExpiries", measure.toMillis() > 10 * TTL_MS);
      List<Map<String, Object>> steps = new ArrayList<>();
      for (Step step : ladder.steps()) {
        steps.add(Map.of("first", steps.isEmpty(), "target", Table.rate(step.target()), "achieved",
            Table.rate(step.achieved()), "p99", Table.ms(step.p99ms())));
      }
      v.put("ladder", steps.isEmpty() ? List.of() : List.of(Map.of("steps", steps)));
      v.put("lockAlone", rows.stream().anyMatch(r -> r.store().equals(StoreType.REDIS.name())
          && r.targetPerSecond() == LOCK_ALONE_RATE && ladder.rate() != LOCK_ALONE_RATE));
      v.put("lockAloneRate", Table.rate(LOCK_ALONE_RATE));
      v.put("table", table());
      v.put("errorKinds", ErrorKinds.view(rows.stream().map(r -> Map.entry(r.strategy() + " (" + r.store() + ")",
          r.errorKinds())).toList()));
      return v;
    }

    private static String seconds(Duration d) {
      return String.format(Locale.ROOT, "%.1f", d.toMillis() / 1000.0);
    }

    Table table() {
      Table t = new Table("strategy", "store", ">target/s", ">achieved/s", ">generator max lag ms", ">expiries",
          ">loads", ">loads per expiry", ">loads/s", ">peak concurrent loads", ">p50 ms", ">p99 ms", ">p99.9 ms",
          ">max ms", ">stale served", ">oldest value served ms", ">errors", ">peak callers in flight");
      for (Row r : rows) {
        t.row(r.strategy(), r.store(), Table.rate(r.targetPerSecond()),
            Steady.achieved(r.achievedPerSecond(), r.behind()), Table.ms(r.maxGeneratorLagMs()),
            Table.count(r.expiries()), Table.count(r.loads()), Table.ratio(r.loadsPerExpiry()),
            Table.ratio(r.loadsPerSecond()), Table.count(r.peakConcurrentLoads()), Table.ms(r.p50ms()),
            floor.p99(r.p99ms()), Table.ms(r.p999ms()), Table.ms(r.maxMs()), Table.percent(r.staleServed(),
            r.requests()), r.oldestValueServedMs() < 0 ? "-" : Table.ms(r.oldestValueServedMs()),
            Table.percent(r.errors(), r.requests()), Steady.callers(r.peakCallers(), r.callerPoolExhausted()));
      }
      return t;
    }

    /** Loads per expiry by strategy, a bar per store, on a log axis. */
    @Override
    public ChartSpec chart() {
      List<String> names = rows.stream().map(Row::strategy).distinct().toList();
      ChartSpec c = ChartSpec.bars("One hot key: loads per expiry (log scale; 50 ms load, TTL 1 s)", "strategy",
          "loads per expiry", true, names);
      for (StoreType store : StoreType.values()) {
        List<Double> ys = new ArrayList<>();
        for (String n : names) {
          double y = rows.stream().filter(x -> x.strategy().equals(n) && x.store().equals(store.name()))
              .mapToDouble(Row::loadsPerExpiry).findFirst().orElse(Double.NaN);
          ys.add(y > 0 ? y : null); // no bar: nothing to draw on a log axis (or the row did not run)
        }
        if (ys.stream().anyMatch(y -> y != null)) {
          c.bars(store == StoreType.CAFFEINE ? "in process (Caffeine)" : "Redis", ys);
        }
      }
      return c;
    }
  }

  @Override
  public Result run(Context ctx) throws Exception {
    Profile p = ctx.profile();
    double rate = p.pick(5_000.0, 100_000.0, 100_000.0);
    Duration warmup = p.pick(Duration.ofMillis(300), Duration.ofSeconds(1), Duration.ofSeconds(2));
    Duration measure = p.pick(Duration.ofMillis(1_100), Duration.ofSeconds(11), Duration.ofSeconds(30));
    Floor floor = Floor.measure(ctx, rate);
    List<Row> rows = new ArrayList<>();
    for (Contender c : ctx.contenders(id(), StoreType.CAFFEINE)) {
      Database db = Context.database(LOAD_MS, TTL_MS);
      Env env = Env.builder(StoreType.CAFFEINE, db, Duration.ofMillis(TTL_MS)).metrics(ctx.meters(c.name())).build();
      try {
        rows.add(measure(ctx, c, env, rate, warmup, measure));
      } finally {
        env.close();
      }
    }
    List<Contender> onRedis = ctx.contenders(id(), StoreType.REDIS);
    Ladder ladder = onRedis.isEmpty() ? new Ladder(0, false, List.of())
        : onRedis(ctx, onRedis, rows, warmup, measure);
    return new Result(rows, rate, ladder, warmup, measure, floor);
  }

  /** Finds the rate Redis sustains, then measures {@code contenders} at it into {@code rows}. */
  Ladder onRedis(Context ctx, List<Contender> contenders, List<Row> rows, Duration warmup, Duration measure) {
    Profile p = ctx.profile();
    double[] ladder = p.pick(new double[] {1_000}, LADDER, LADDER);
    try (RedisBackend redis = RedisBackend.start(RedisTopology.STANDALONE)) {
      Ladder climbed = calibrate(ctx, redis, ladder, p.pick(Duration.ofMillis(500), Duration.ofMillis(1_500),
          Duration.ofSeconds(3)));
      for (Contender c : contenders) {
        Database db = Context.database(LOAD_MS, TTL_MS);
        Env env = redis.node(db, Duration.ofMillis(TTL_MS), "hk:" + c.name() + ":", ctx.meters(c.name()));
        try {
          rows.add(measure(ctx, c, env, climbed.rate(), warmup, measure));
        } finally {
          env.close();
        }
        redis.flushAll();
      }
      lockAlone(ctx, redis, contenders, climbed, rows, warmup, measure);
      return climbed;
    }
  }

  /**
   * One more Redis row: {@code DISTRIBUTED_LOCK} alone at {@link #LOCK_ALONE_RATE} on one node, when the ladder ran
   * the Redis rows at another rate (issue 21: before its waiters shared one wait per key, each waiting thread polled
   * on its own, and every caller thread was busy); not at the smoke size.
   */
  void lockAlone(Context ctx, RedisBackend redis, List<Contender> contenders, Ladder climbed, List<Row> rows,
      Duration warmup, Duration measure) {
    Contender lock = contenders.stream().filter(c -> c.name().equals(StrategyType.DISTRIBUTED_LOCK.name()))
        .findFirst().orElse(null);
    if (lock == null || climbed.rate() == LOCK_ALONE_RATE || ctx.profile() == Profile.SMOKE) {
      return;
    }
    Env env = redis.node(Context.database(LOAD_MS, TTL_MS), Duration.ofMillis(TTL_MS), "hk-lock-alone:",
        ctx.meters(lock.name()));
    try {
      rows.add(measure(ctx, lock, env, LOCK_ALONE_RATE, warmup, measure));
    } finally {
      env.close();
      redis.flushAll();
    }
  }

  Row measure(Context ctx, Contender c, Env env, double rate, Duration warmup, Duration measure) {
    BenchCache cache = c.create(env);
    LongAccumulator oldest = new LongAccumulator(Math::max, -1);
    Steady s = Steady.run(ctx, env.db, List.of(env.counters), rate, warmup, measure,
        i -> oldest.accumulate(age(cache.get(KEY))));
    ctx.log("hot-key-100k %-28s %-8s %s/s: %,d loads / %,d expiries = %s, p99 %s ms, peak callers %s", c.name(),
        env.storeType, s.achieved(), s.meter().loads(), s.meter().episodes(), Table.ratio(s.meter().loadsPerExpiry()),
        Table.ms(s.p(99)), s.callers());
    return Row.of(c.name(), env.storeType, rate, s, oldest.get());
  }

  /**
   * How long ago {@code value} came from the database: its last {@code @}-field is the {@code System.nanoTime()} at
   * which {@link Database#load} returned it (same JVM); -1 for a value of another form.
   */
  static long age(String value) {
    int at = value == null ? -1 : value.lastIndexOf('@');
    if (at < 0) {
      return -1;
    }
    try {
      return System.nanoTime() - Long.parseLong(value, at + 1, value.length(), 10);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /**
   * The highest rate of the ladder that cache-aside hits on Redis sustain: achieved within 5% of the target, p99
   * under 10 ms, no caller queued for a thread; it stops at the first rate that fails, and records every step.
   */
  Ladder calibrate(Context ctx, RedisBackend redis, double[] ladder, Duration step) {
    Database db = Context.database(LOAD_MS, 3_600_000);
    Env env = redis.node(db, Duration.ofHours(1), "hk-ladder:", null);
    try {
      BenchCache cache = Contender.of(StrategyType.CACHE_ASIDE).create(env);
      cache.get(KEY);
      // not measured: the JIT compiles the Redis read path before the first step
      Steady.run(ctx, db, List.of(env.counters), ladder[0], step, Duration.ofMillis(100), i -> cache.get(KEY));
      double best = 0;
      List<Step> steps = new ArrayList<>();
      for (double rate : ladder) {
        Steady s = Steady.run(ctx, db, List.of(env.counters), rate, Duration.ofMillis(300), step,
            i -> cache.get(KEY));
        steps.add(new Step(rate, s.result().achievedPerSecond(), s.p(99)));
        boolean kept = !s.result().behind() && s.p(99) < 10 && !s.exhausted();
        ctx.log("hot-key-100k Redis ladder %,.0f/s: achieved %s, p99 %s ms: %s", rate, s.achieved(),
            Table.ms(s.p(99)), kept ? "sustained" : "not sustained");
        if (!kept) {
          break;
        }
        best = rate;
      }
      // not even the first step: run at it, and the rows show how it went
      return new Ladder(best > 0 ? best : ladder[0], best > 0, steps);
    } finally {
      env.close();
      redis.flushAll();
    }
  }

  /** The measured window of a run, in seconds: its measured requests at its target rate. */
  static double measureSeconds(Steady s) {
    return s.measured() / s.result().targetPerSecond();
  }

  /*
   * How to run it alone:
   *
   *   mvn -B -ntp -P bench -pl jmh -am verify -DskipTests -Dbench.skipJmh=true -Dscenarios.only=hot-key
   */
}
