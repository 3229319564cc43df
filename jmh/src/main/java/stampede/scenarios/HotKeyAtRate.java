package stampede.scenarios;

import java.awt.Color;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.LongAccumulator;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.CategoryStyler;
import org.knowm.xchart.style.Styler;
import stampede.core.Event;
import stampede.fixtures.BenchCache;
import stampede.fixtures.Database;
import stampede.fixtures.Env;
import stampede.fixtures.StoreType;
import stampede.fixtures.StrategyType;
import stampede.fixtures.Contender;
import stampede.fixtures.RedisBackend;
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

  @Override
  public String id() {
    return "hot-key-100k";
  }

  /** 100,000 requests/s on a 50 ms load: 5,000 callers wait per expiry, more when the machine falls behind. */
  @Override
  public int callerThreads(Profile profile) {
    return profile.pick(1_000, 10_000, 10_000);
  }

  /** One strategy's run; {@code oldestNanos}: the age of the oldest value it answered with, -1 if none known. */
  record Row(String strategy, StoreType store, double target, Steady run, long oldestNanos) { }

  /** Whether the Redis ladder sustained at least its first step (else the Redis rows ran at that step anyway). */
  private boolean sustained;

  @Override
  public Report run(Context ctx) throws Exception {
    Profile p = ctx.profile();
    double rate = p.pick(5_000.0, 100_000.0, 100_000.0);
    Duration warmup = p.pick(Duration.ofMillis(300), Duration.ofSeconds(1), Duration.ofSeconds(2));
    Duration measure = p.pick(Duration.ofMillis(1_100), Duration.ofSeconds(11), Duration.ofSeconds(30));
    List<Contender> inProcess = ctx.contenders(id(), StoreType.CAFFEINE);
    List<Contender> onRedis = ctx.contenders(id(), StoreType.REDIS);

    List<Row> rows = new ArrayList<>();
    for (Contender c : inProcess) {
      Database db = Context.database(LOAD_MS, TTL_MS);
      Env env = Env.builder(StoreType.CAFFEINE, db, Duration.ofMillis(TTL_MS)).metrics(ctx.meters(c.name())).build();
      try {
        rows.add(measure(ctx, c, env, rate, warmup, measure));
      } finally {
        env.close();
      }
    }

    double[] ladder = p.pick(new double[] {1_000}, LADDER, LADDER);
    List<double[]> climbed = new ArrayList<>();
    double redisRate = 0;
    if (!onRedis.isEmpty()) {
      try (RedisBackend redis = RedisBackend.start(RedisTopology.STANDALONE)) {
        redisRate = calibrate(ctx, redis, ladder, p.pick(Duration.ofMillis(500), Duration.ofMillis(1_500),
            Duration.ofSeconds(3)), climbed);
        for (Contender c : onRedis) {
          Database db = Context.database(LOAD_MS, TTL_MS);
          Env env = redis.node(db, Duration.ofMillis(TTL_MS), "hk:" + c.name() + ":",
              ctx.meters(c.name()));
          try {
            rows.add(measure(ctx, c, env, redisRate, warmup, measure));
          } finally {
            env.close();
          }
          redis.flushAll();
        }
      }
    }
    return report(rows, rate, redisRate, climbed, warmup, measure);
  }

  Row measure(Context ctx, Contender c, Env env, double rate, Duration warmup, Duration measure) {
    BenchCache cache = c.create(env);
    LongAccumulator oldest = new LongAccumulator(Math::max, -1);
    Steady s = Steady.run(ctx, env.db, List.of(env.counters), rate, warmup, measure,
        i -> oldest.accumulate(age(cache.get(KEY))));
    ctx.log("hot-key-100k %-28s %-8s %s/s: %,d loads / %,d expiries = %s, p99 %s ms, peak callers %s", c.name(),
        env.storeType, s.achieved(), s.meter().loads(), s.meter().episodes(), Table.ratio(s.meter().loadsPerExpiry()),
        Table.ms(s.p(99)), s.callers());
    return new Row(c.name(), env.storeType, rate, s, oldest.get());
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
   * under 10 ms, no caller queued for a thread; it stops at the first rate that fails. Each step is recorded in
   * {@code climbed} as {target, achieved, p99 ms}.
   */
  double calibrate(Context ctx, RedisBackend redis, double[] ladder, Duration step, List<double[]> climbed) {
    sustained = false;
    Database db = Context.database(LOAD_MS, 3_600_000);
    Env env = redis.node(db, Duration.ofHours(1), "hk-ladder:", null);
    try {
      BenchCache cache = Contender.of(StrategyType.CACHE_ASIDE).create(env);
      cache.get(KEY);
      // not measured: the JIT compiles the Redis read path before the first step
      Steady.run(ctx, db, List.of(env.counters), ladder[0], step, Duration.ofMillis(100), i -> cache.get(KEY));
      double best = 0;
      for (double rate : ladder) {
        Steady s = Steady.run(ctx, db, List.of(env.counters), rate, Duration.ofMillis(300), step,
            i -> cache.get(KEY));
        climbed.add(new double[] {rate, s.result().achievedPerSecond(), s.p(99)});
        boolean kept = !s.result().behind() && s.p(99) < 10 && !s.exhausted();
        ctx.log("hot-key-100k Redis ladder %,.0f/s: achieved %s, p99 %s ms: %s", rate, s.achieved(),
            Table.ms(s.p(99)), kept ? "sustained" : "not sustained");
        if (!kept) {
          break;
        }
        best = rate;
        sustained = true;
      }
      return best > 0 ? best : ladder[0]; // not even the first step: run at it, and the rows show how it went
    } finally {
      env.close();
      redis.flushAll();
    }
  }

  Report report(List<Row> rows, double rate, double redisRate, List<double[]> climbed, Duration warmup,
      Duration measure) {
    Report r = new Report(id(), "One hot key at 100,000 requests/s",
        "Requests for one key arrive at a fixed rate, whatever happens to the earlier ones; the load takes 50 ms and "
            + "the TTL is 1 s. How many loads does each expiry cost, how many loads run at once, and what latency do "
            + "callers see?");
    r.setup("Rate", String.format(Locale.ROOT, "%,.0f requests/s in process (Caffeine); %,.0f requests/s on Redis, %s",
        rate, redisRate, sustained ? "the highest rate of the ladder below that this machine sustained"
            : "the ladder's first step, which this machine did not even sustain (see below)"))
        .setup("Load", "50 ms (parks), unbounded connections; TTL 1 s (20 x the load)")
        .setup("Run", String.format(Locale.ROOT, "%.1f s warm-up, then %.1f s measured per strategy (%s), one "
            + "strategy at a time", warmup.toMillis() / 1000.0, measure.toMillis() / 1000.0,
            measure.toMillis() > 10 * TTL_MS ? "at least 10 expiries" : "smoke: too short for 10 expiries"))
        .setup("Latency", "from each request's intended start (no coordinated omission), HdrHistogram");
    if (!climbed.isEmpty()) {
      StringBuilder sb = new StringBuilder();
      for (double[] c : climbed) {
        sb.append(String.format(Locale.ROOT, "%s%,.0f/s: achieved %,.0f, p99 %s ms", sb.length() == 0 ? "" : "; ",
            c[0], c[1], Table.ms(c[2])));
      }
      r.setup("Redis ladder (cache-aside hits)", sb);
    }
    Table t = new Table("strategy", "store", ">target/s", ">achieved/s", ">generator max lag ms", ">expiries",
        ">loads", ">loads per expiry", ">loads/s", ">peak concurrent loads", ">p50 ms", ">p99 ms", ">p99.9 ms",
        ">max ms", ">stale served", ">oldest value served ms", ">errors", ">peak callers in flight");
    for (Row row : rows) {
      Steady s = row.run();
      Meter m = s.meter();
      double seconds = measureSeconds(s);
      t.row(row.strategy(), row.store(), Table.rate(row.target()), s.achieved(),
          Table.ms(s.result().maxLagNanos() / 1e6), Table.count(m.episodes()), Table.count(m.loads()),
          Table.ratio(m.loadsPerExpiry()), Table.ratio(m.loads() / seconds), Table.count(m.peakLoads()),
          Table.ms(s.p(50)),
          Table.ms(s.p(99)), Table.ms(s.p(99.9)), Table.ms(s.max()),
          Table.percent(m.events(Event.STALE_SERVED), s.measured()),
          row.oldestNanos() < 0 ? "-" : Table.ms(row.oldestNanos() / 1e6), Table.percent(s.errors(), s.measured()),
          s.callers());
      Map<String, Object> d = r.row();
      d.put("strategy", row.strategy());
      d.put("store", row.store().name());
      d.put("targetPerSecond", row.target());
      d.put("achievedPerSecond", s.result().achievedPerSecond());
      d.put("behind", s.result().behind());
      d.put("maxGeneratorLagMs", s.result().maxLagNanos() / 1e6);
      d.put("requests", s.measured());
      d.put("expiries", m.episodes());
      d.put("loads", m.loads());
      d.put("loadsPerExpiry", m.loadsPerExpiry());
      d.put("loadsPerSecond", m.loads() / seconds);
      d.put("peakConcurrentLoads", m.peakLoads());
      d.put("p50ms", s.p(50));
      d.put("p99ms", s.p(99));
      d.put("p999ms", s.p(99.9));
      d.put("maxMs", s.max());
      d.put("staleServed", m.events(Event.STALE_SERVED));
      d.put("oldestValueServedMs", row.oldestNanos() / 1e6);
      d.put("errors", s.errors());
      d.put("peakCallers", s.peakCallers());
      d.put("callerPoolExhausted", s.exhausted());
    }
    r.table(null, t);
    r.data.put("redisRate", redisRate);
    r.chart(chart(rows));
    r.note("*expiries*: expiry episodes the database saw (a load more than TTL/2 after the first load of the "
        + "previous episode opens one); *loads per expiry* = loads / expiries; *loads/s* = loads per TTL, which also "
        + "counts early refreshes (XFetch refreshes before expiry, so each of its loads is an episode of its own; "
        + "hot-key protection triples the TTL of a hot key, so it sees fewer expiries). *Peak concurrent loads*: the "
        + "most loads the database ran at once. *Stale served* and *errors* are fractions of the measured requests. "
        + "*Oldest value served*: the age of the oldest answer, from the moment its load returned from the database "
        + "to the moment a caller got it (warm-up included): compare load counts at this age, since a strategy that "
        + "serves stale or lengthens a hot key's TTL buys its few loads with older data.");
    r.note("*achieved/s* is flagged \"(behind)\" when the generator handed requests over more than 5% slower than "
        + "the target on average; *generator max lag* is how late its latest hand-over was (the storm after an expiry "
        + "wakes thousands of callers on 2 cores, and the generator shares them); *peak callers in flight* is flagged \"(pool exhausted)\" when every caller thread was busy and "
        + "requests queued for one. Both mean the machine, not the strategy, set the pace of that row; the latency "
        + "still counts the wait, from each request's intended start.");
    return r;
  }

  /** The measured window of a row, in seconds: its measured requests at its target rate. */
  static double measureSeconds(Steady s) {
    return s.measured() / s.result().targetPerSecond();
  }

  static CategoryChart chart(List<Row> rows) {
    CategoryChart c = new CategoryChartBuilder().width(1100).height(650)
        .title("One hot key: loads per expiry (log scale; 50 ms load, TTL 1 s)").xAxisTitle("strategy")
        .yAxisTitle("loads per expiry").build();
    CategoryStyler s = c.getStyler();
    s.setYAxisLogarithmic(true);
    s.setXAxisLabelRotation(60);
    s.setLegendPosition(Styler.LegendPosition.InsideNE);
    s.setChartBackgroundColor(Color.WHITE);
    s.setPlotBackgroundColor(Color.WHITE);
    s.setSeriesColors(new Color[] {new Color(31, 119, 180), new Color(255, 127, 14)});
    List<String> names = rows.stream().map(Row::strategy).distinct().toList();
    for (StoreType store : StoreType.values()) {
      List<Double> ys = new ArrayList<>();
      boolean any = false;
      for (String n : names) {
        double y = rows.stream().filter(x -> x.strategy().equals(n) && x.store() == store)
            .mapToDouble(x -> x.run().meter().loadsPerExpiry()).findFirst().orElse(Double.NaN);
        any |= y > 0;
        ys.add(y > 0 ? y : null); // no bar: nothing to draw on a log axis (or the row did not run)
      }
      if (any) {
        c.addSeries(store == StoreType.CAFFEINE ? "in process (Caffeine)" : "Redis", names, ys);
      }
    }
    return c;
  }

  /*
   * How to run it alone:
   *
   *   mvn -B -ntp -P bench -pl jmh -am verify -DskipTests -Dbench.skipJmh=true -Dscenarios.only=hot-key
   */
}
