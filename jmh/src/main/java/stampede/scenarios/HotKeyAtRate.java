package stampede.scenarios;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
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
 * machine sustains, found first by a ladder of short runs of cache-aside hits (1,000 to 80,000 a second, 1 s each),
 * each step repeated and judged against a floor measured at the same rate ({@link Ladder} states the criterion).
 * The page states it, every step's figures and the floor at the rate the Redis rows ran at.
 *
 * <p><b>Repeats</b>: every row runs {@code scenarios.calibration.repeats} times (quick 2, full 3), interleaved (every
 * row once, then every row again), each round after a floor at the page's rate; the page sums the counts, gives
 * rates and latencies as lowest-highest and ranks only rows not machine-bound ({@link MachineBound}, {@link Ranking}).
 *
 * <p><b>Sizes</b>: {@code quick}: twice 0.5 s warm-up + 5 s measured (about 10 expiries in all), every strategy and
 * peer but the two jitter twins (jitter does nothing for one key) in process, eight on Redis (cache-aside, single
 * flight, the lock, two-level, XFetch over single flight, stale-while-revalidate plain and over single flight, the
 * layered stack); {@code full}: three times 2 s + 10 s, every strategy on both stores; {@code smoke}: 5,000/s,
 * twice 1.1 s, two strategies in process and one on Redis.
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

  /** One strategy's run on one store, one repeat: what {@code scenarios.json} publishes of it. */
  record Row(String strategy, String store, int repeat, double targetPerSecond, double achievedPerSecond,
      boolean behind, double maxGeneratorLagMs, long requests, long expiries, long loads, double loadsPerExpiry,
      double loadsPerSecond, int peakConcurrentLoads, double p50ms, double p99ms, double p999ms, double maxMs,
      long staleServed, double oldestValueServedMs, long errors, Map<String, Long> errorKinds, int peakCallers,
      boolean callerPoolExhausted) {

    /**
     * The row of run {@code s}; {@code oldestNanos}: the age of the oldest value it answered with, -1 if none known.
     */
    static Row of(String strategy, StoreType store, int repeat, double target, Steady s, long oldestNanos) {
      Meter m = s.meter();
      return new Row(strategy, store.name(), repeat, target, s.result().achievedPerSecond(), s.result().behind(),
          s.result().maxLagNanos() / 1e6, s.measured(), m.episodes(), m.loads(), m.loadsPerExpiry(),
          m.loads() / measureSeconds(s), m.peakLoads(), s.p(50), s.p(99), s.p(99.9), s.max(),
          m.events(Event.STALE_SERVED), oldestNanos / 1e6, s.errors(), s.errorKinds(), s.peakCallers(),
          s.exhausted());
    }
  }

  /** The page's rows: one per strategy and store, the repeats ({@link Repeats}) of its runs gathered. */
  static List<Repeats<Row>> byStrategy(List<Row> rows) {
    return Repeats.group(rows, r -> r.strategy() + "@" + r.store() + "@" + r.targetPerSecond());
  }

  /** Every row, in process then on Redis, at {@code rate} in process and the ladder's rate on Redis. */
  record Result(List<Row> rows, double rate, Ladder ladder, Duration warmup, Duration measure, Floor floor)
      implements Measured {

    @Override
    public Map<String, Object> data() {
      Map<String, Object> d = new LinkedHashMap<>();
      d.put("redisRate", ladder.rate());
      d.put("floor", floor.data());
      d.put("redisLadder", ladder.data());
      return d;
    }

    @Override
    public Map<String, Object> view() {
      Map<String, Object> v = new LinkedHashMap<>();
      List<Map<String, Object>> floors = new ArrayList<>();
      Map<String, Object> inProcess = floor.view();
      if (inProcess != null) {
        floors.add(where(inProcess, "in process", false));
      }
      Floor redisFloor = ladder.floor();
      Map<String, Object> atRedisRate = redisFloor == null ? null : redisFloor.view();
      if (atRedisRate != null) {
        floors.add(where(atRedisRate, "at the Redis rows' rate", true));
      }
      v.put("floor", floors);
      v.put("rate", Table.rate(rate));
      v.put("repeats", Math.max(1, rows.stream().mapToInt(Row::repeat).max().orElse(0) + 1));
      v.put("redisRate", Table.rate(ladder.rate()));
      v.put("sustained", ladder.sustained());
      v.put("warmup", seconds(warmup));
      v.put("measure", seconds(measure));
      v.put("tenExpiries", measure.toMillis() * (int) v.get("repeats") >= 10 * TTL_MS);
      v.put("ladder", ladder.view());
      v.put("lockAlone", rows.stream().anyMatch(r -> r.store().equals(StoreType.REDIS.name())
          && r.targetPerSecond() == LOCK_ALONE_RATE && ladder.rate() != LOCK_ALONE_RATE));
      v.put("lockAloneRate", Table.rate(LOCK_ALONE_RATE));
      v.put("table", table());
      v.put("rankings", rankings());
      v.put("errorKinds", ErrorKinds.view(byStrategy(rows).stream().map(g -> Map.entry(g.first().strategy() + " ("
          + g.first().store() + ")", g.merged(Row::errorKinds))).toList()));
      return v;
    }

    /** A floor's view labelled {@code where}; {@code again}: the rule was stated under an earlier floor. */
    private static Map<String, Object> where(Map<String, Object> view, String where, boolean again) {
      if (view == null) {
        return Map.of();
      }
      Map<String, Object> v = new LinkedHashMap<>(view);
      v.put("where", where);
      v.put("again", again);
      return v;
    }

    /** The ranking in process and on Redis (each against its own floor): the template's {@code rankings}. */
    List<Map<String, Object>> rankings() {
      List<Map<String, Object>> out = new ArrayList<>();
      for (StoreType store : StoreType.values()) {
        Floor f = store == StoreType.CAFFEINE ? floor : ladder.floor();
        if (f == null) { // no Redis row ran, so no ladder and nothing to rank
          continue;
        }
        double at = store == StoreType.CAFFEINE ? rate : ladder.rate(); // not the fixed-rate lock row
        List<Ranking.Entry> entries = byStrategy(rows).stream().filter(g -> g.first().store().equals(store.name())
                && g.first().targetPerSecond() == at)
            .map(g -> new Ranking.Entry(g.first().strategy(), g.spread(Row::p99ms),
            f.judge(g.spread(Row::p99ms).max(), g.max(Row::maxGeneratorLagMs)))).toList();
        if (!entries.isEmpty()) {
          out.add(Map.of("where", store == StoreType.CAFFEINE ? "in process" : "on Redis", "ranking",
              new Ranking(entries).view(), "again", !out.isEmpty()));
        }
      }
      return out;
    }

    private static String seconds(Duration d) {
      return String.format(Locale.ROOT, "%.1f", d.toMillis() / 1000.0);
    }

    Table table() {
      Table t = new Table("strategy", "store", ">target/s", ">achieved/s", ">generator max lag ms", ">expiries",
          ">loads", ">loads per expiry", ">loads/s", ">peak concurrent loads", ">p50 ms", ">p99 ms", ">p99.9 ms",
          ">max ms", ">stale served", ">oldest value served ms", ">errors", ">peak callers in flight");
      for (Repeats<Row> g : byStrategy(rows)) {
        Row r = g.first();
        Floor f = r.store().equals(StoreType.CAFFEINE.name()) ? floor
            : Objects.requireNonNull(ladder.floor(), "Redis rows without a ladder");
        long expiries = g.sum(Row::expiries);
        long requests = g.sum(Row::requests);
        double oldest = g.max(Row::oldestValueServedMs);
        t.row(r.strategy(), r.store(), Table.rate(r.targetPerSecond()), g.spread(Row::achievedPerSecond).rate()
            + (g.any(Row::behind) ? " (behind)" : ""), Table.ms(g.max(Row::maxGeneratorLagMs)),
            Table.count(expiries), Table.count(g.sum(Row::loads)), Table.ratio(expiries == 0 ? Double.NaN
            : (double) g.sum(Row::loads) / expiries), g.spread(Row::loadsPerSecond).ratio(),
            Table.count((long) g.max(Row::peakConcurrentLoads)), g.spread(Row::p50ms).ms(),
            f.p99(g.spread(Row::p99ms), g.max(Row::maxGeneratorLagMs)), g.spread(Row::p999ms).ms(),
            Table.ms(g.max(Row::maxMs)), Table.percent(g.sum(Row::staleServed), requests),
            oldest < 0 ? "-" : Table.ms(oldest), Table.percent(g.sum(Row::errors), requests),
            Steady.callers((int) g.max(Row::peakCallers), g.any(Row::callerPoolExhausted)));
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
          double at = store == StoreType.CAFFEINE ? rate : ladder.rate();
          List<Row> runs = rows.stream().filter(x -> x.strategy().equals(n) && x.store().equals(store.name())
              && x.targetPerSecond() == at).toList();
          long expiries = runs.stream().mapToLong(Row::expiries).sum();
          double y = expiries == 0 ? Double.NaN : runs.stream().mapToLong(Row::loads).sum() / (double) expiries;
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
    int repeats = ctx.settings().calibration().repeats();
    double rate = p.pick(5_000.0, 100_000.0, 100_000.0);
    // per repeat: quick 2 x (0.5 s + 5 s), full 3 x (2 s + 10 s): at least 10 expiries in all
    Duration warmup = p.pick(Duration.ofMillis(300), Duration.ofMillis(500), Duration.ofSeconds(2));
    Duration measure = p.pick(Duration.ofMillis(1_100), Duration.ofSeconds(5), Duration.ofSeconds(10));
    List<Contender> inProcess = ctx.contenders(id(), StoreType.CAFFEINE);
    List<Floor> floors = new ArrayList<>();
    List<Row> rows = new ArrayList<>();
    for (int r = 0; r < repeats; r++) { // interleaved: every row once, then every row again
      floors.add(Floor.measure(ctx, rate));
      for (Contender c : inProcess) {
        Database db = Context.database(LOAD_MS, TTL_MS);
        Env env = Env.builder(StoreType.CAFFEINE, db, Duration.ofMillis(TTL_MS)).metrics(ctx.meters(c.name()))
            .build();
        try {
          rows.add(measure(ctx, c, env, r, rate, warmup, measure));
        } finally {
          env.close();
        }
      }
    }
    List<Contender> onRedis = ctx.contenders(id(), StoreType.REDIS);
    Ladder ladder = onRedis.isEmpty() ? Ladder.none() : onRedis(ctx, onRedis, rows, repeats, warmup, measure);
    return new Result(rows, rate, ladder, warmup, measure, Floor.across(floors));
  }

  /** Finds the rate Redis sustains ({@link Ladder}), then measures {@code contenders} at it into {@code rows}. */
  Ladder onRedis(Context ctx, List<Contender> contenders, List<Row> rows, int repeats, Duration warmup,
      Duration measure) {
    Profile p = ctx.profile();
    try (RedisBackend redis = RedisBackend.start(RedisTopology.STANDALONE)) {
      Ladder climbed = Ladder.climb(ctx, redis, p.pick(new double[] {1_000, 2_500}, LADDER, LADDER),
          p.pick(Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(3)));
      for (int r = 0; r < repeats; r++) {
        for (Contender c : contenders) {
          Database db = Context.database(LOAD_MS, TTL_MS);
          Env env = redis.node(db, Duration.ofMillis(TTL_MS), "hk:" + c.name() + ":", ctx.meters(c.name()));
          try {
            rows.add(measure(ctx, c, env, r, climbed.rate(), warmup, measure));
          } finally {
            env.close();
          }
          redis.flushAll();
        }
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
      rows.add(measure(ctx, lock, env, 0, LOCK_ALONE_RATE, warmup, measure));
    } finally {
      env.close();
      redis.flushAll();
    }
  }

  Row measure(Context ctx, Contender c, Env env, int repeat, double rate, Duration warmup, Duration measure) {
    BenchCache cache = c.create(env);
    LongAccumulator oldest = new LongAccumulator(Math::max, -1);
    Steady s = Steady.run(ctx, env.db, List.of(env.counters), rate, warmup, measure,
        i -> oldest.accumulate(age(cache.get(KEY))));
    ctx.log("hot-key-100k %-28s %-8s #%d %s/s: %,d loads / %,d expiries = %s, p99 %s ms, peak callers %s", c.name(),
        env.storeType, repeat + 1, s.achieved(), s.meter().loads(), s.meter().episodes(),
        Table.ratio(s.meter().loadsPerExpiry()), Table.ms(s.p(99)), s.callers());
    return Row.of(c.name(), env.storeType, repeat, rate, s, oldest.get());
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
