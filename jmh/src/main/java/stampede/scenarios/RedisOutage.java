package stampede.scenarios;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import stampede.core.Event;
import stampede.core.Metrics;
import stampede.core.Nullable;
import stampede.fixtures.BenchCache;
import stampede.fixtures.Contender;
import stampede.fixtures.Database;
import stampede.fixtures.Env;
import stampede.fixtures.Keys;
import stampede.fixtures.RedisBackend;
import stampede.fixtures.StoreType;
import stampede.report.ChartSpec;
import stampede.report.Table;
import stampede.settings.Profile;
import stampede.settings.RedisTopology;

/**
 * Scenario 6, a Redis outage: the redis-server stops for 10 s under both loads at once, one hot key and 1,000
 * spread keys (Zipf), then comes back empty. Every strategy falls back on the database somehow while Redis is gone;
 * how many loads per second does the database take during and after the outage, and how long after Redis returns
 * does caching resume?
 *
 * <p>It measures what the code does at the time of the run: the store reads a failed Redis read as a miss and calls
 * the loader (the source of truth), a failed write still returns the value, and the lock strategies take their
 * lock's fallback; the Lettuce client reconnects in the background with its default backoff. "Caching resumes" is
 * the first 100 ms after the restart in which a strategy's reads hit Redis again with no store error.
 *
 * <p><b>All at once</b>: every strategy runs at the same time through the same outage of the same server, each with
 * its own key prefix, connections, in-process state and database, and its own share of the requests.
 *
 * <p><b>Sizes</b>: {@code quick}: 400 requests/s per strategy (half to the hot key, half to the spread keys; all
 * strategies together stay below the rate one redis-server sustains on the 2-core machine, see the hot-key ladder),
 * 50 ms loads, TTL 1 s; 2 s warm-up (not measured), 2 s before, 10 s down, 10 s after; {@code full}: more
 * strategies, 3 s warm-up, 3 s before, 15 s after; {@code smoke}: two strategies, 1 s down.
 */
final class RedisOutage implements Scenario {
  static final long LOAD_MS = 50;
  static final long TTL_MS = 1_000;
  static final String HOT = "hot";

  @Override
  public String id() {
    return "redis-outage";
  }

  static final class Lane {
    final Contender contender;
    final Database db;
    final TimelineMetrics events;
    final Env env;
    final BenchCache cache;
    final Timeline hotLoads;
    final Timeline spreadLoads;
    final Timeline errors;
    final Probe probe;
    /** Latency of the requests intended before the outage, during it, after it. */
    final Probe[] phases = {new Probe(), new Probe(), new Probe()};

    Lane(Contender c, RedisBackend redis, Duration span, Metrics meters) {
      contender = c;
      db = Context.database(LOAD_MS, TTL_MS);
      events = new TimelineMetrics(Duration.ofMillis(100), span, Event.HIT, Event.STORE_ERROR, Event.STALE_SERVED);
      env = redis.node(db, Duration.ofMillis(TTL_MS), "ro:" + c.name() + ":", events.and(meters));
      cache = c.create(env);
      hotLoads = new Timeline(Duration.ofMillis(100), span);
      spreadLoads = new Timeline(Duration.ofMillis(100), span);
      errors = new Timeline(Duration.ofMillis(100), span);
      probe = new Probe(null, errors);
      db.listener((key, at) -> (HOT.equals(key) ? hotLoads : spreadLoads).record(at));
    }

    void start(long origin) {
      events.start(origin);
      hotLoads.start(origin);
      spreadLoads.start(origin);
      errors.start(origin);
    }

    long loads(long fromOff, long toOff) {
      return hotLoads.sum(fromOff, toOff) + spreadLoads.sum(fromOff, toOff);
    }

    long maxLoadsPer100ms(long fromOff, long toOff) {
      long m = 0;
      long b = hotLoads.bucketNanos();
      for (long t = fromOff; t < toOff; t += b) {
        m = Math.max(m, loads(t, t + b));
      }
      return m;
    }

    /** This lane's row: {@code warmOff}, {@code stopOff}, {@code upOff}, {@code endOff} after the origin. */
    Row row(long warmOff, long stopOff, long upOff, long endOff) {
      double downS = (upOff - stopOff) / 1e9;
      long resumed = resumed(events.of(Event.HIT), events.of(Event.STORE_ERROR), upOff, endOff);
      Histogram h = probe.latency();
      return new Row(contender.name(), loads(warmOff, stopOff) / ((stopOff - warmOff) / 1e9),
          hotLoads.sum(stopOff, upOff) / downS, spreadLoads.sum(stopOff, upOff) / downS,
          maxLoadsPer100ms(stopOff, upOff) * 10, loads(upOff, upOff + TimeUnit.SECONDS.toNanos(1)) / 1.0,
          loads(endOff - TimeUnit.SECONDS.toNanos(2), endOff) / 2.0, resumed < 0 ? null : resumed / 1e6,
          env.counters.get(Event.STORE_ERROR), probe.errors(), probe.errorKinds(), probe.measured(),
          Probe.millis(h, 99), Probe.millis(phases[0].latency(), 99), Probe.millis(phases[1].latency(), 99),
          Probe.millis(phases[2].latency(), 99), Probe.maxMillis(h), hotLoads.buckets(), spreadLoads.buckets(),
          events.of(Event.HIT).buckets(), events.of(Event.STORE_ERROR).buckets());
    }
  }

  /** One strategy's share of the run: what {@code scenarios.json} publishes of it, time series included. */
  // ArrayRecordComponent: a measured series, written to JSON and charts; records of it are never compared or hashed
  @SuppressWarnings("ArrayRecordComponent")
  record Row(String strategy, double dbLoadsPerSecondBefore, double dbLoadsPerSecondDuringHot,
      double dbLoadsPerSecondDuringSpread, long peakDbLoadsPerSecondDuring, double dbLoadsFirstSecondAfter,
      double dbLoadsPerSecondLastTwo, @Nullable Double cachingResumedAfterMs, long storeErrors, long callerErrors,
      Map<String, Long> errorKinds, long requests, double p99ms, double p99msBefore, double p99msDuring,
      double p99msAfter, double maxMs, long[] hotLoadsPer100ms, long[] spreadLoadsPer100ms, long[] hitsPer100ms,
      long[] storeErrorsPer100ms) { }

  /** The phases, in milliseconds: warm-up, up before the stop (warm-up included), down, after the restart. */
  record Phases(long warmMs, long beforeMs, long downMs, long afterMs) {

    static Phases of(Profile p) {
      long warmMs = p.pick(500L, 2_000L, 3_000L); // cold caches and the JIT: not measured
      return new Phases(warmMs, warmMs + p.pick(1_000L, 2_000L, 3_000L), p.pick(1_000L, 10_000L, 10_000L),
          p.pick(2_000L, 10_000L, 15_000L));
    }
  }

  /**
   * Every lane's row, what the generator did, when Redis stopped and restarted (in nanoseconds after the origin).
   */
  record Result(List<Row> rows, Phases phases, double perLane, Generated generator, long stopOff, long upOff,
      Floor floor) implements Measured {

    @Override
    public Map<String, Object> data() {
      Map<String, Object> d = generator.data();
      d.put("stoppedAtSeconds", stopOff / 1e9);
      d.put("restartedAtSeconds", upOff / 1e9);
      d.put("floor", floor.data());
      return d;
    }

    @Override
    public Map<String, Object> view() {
      Map<String, Object> v = new LinkedHashMap<>();
      v.put("floor", floor.view());
      v.put("beforeMs", Table.count(phases.beforeMs()));
      v.put("warmMs", Table.count(phases.warmMs()));
      v.put("downMs", Table.count(phases.downMs()));
      v.put("afterMs", Table.count(phases.afterMs()));
      v.put("perLane", Table.rate(perLane));
      v.put("achieved", generator.achieved());
      Table t = new Table("strategy", ">DB loads/s before", ">DB loads/s during (hot / spread)",
          ">peak DB loads/s during", ">DB loads/s, first 1 s after", ">DB loads/s, last 2 s", ">caching resumed after",
          ">store errors", ">errors seen by callers", ">p99 ms before / during / after", ">max ms");
      double lag = generator.maxGeneratorLagMs(); // the lanes share one generator
      for (Row r : rows) {
        t.row(r.strategy(), Table.rate(r.dbLoadsPerSecondBefore()), String.format(Locale.ROOT, "%s (%s / %s)",
            Table.rate(r.dbLoadsPerSecondDuringHot() + r.dbLoadsPerSecondDuringSpread()),
            Table.rate(r.dbLoadsPerSecondDuringHot()), Table.rate(r.dbLoadsPerSecondDuringSpread())),
            Table.count(r.peakDbLoadsPerSecondDuring()), Table.rate(r.dbLoadsFirstSecondAfter()),
            Table.rate(r.dbLoadsPerSecondLastTwo()), r.cachingResumedAfterMs() == null
                ? "not within " + phases.afterMs() / 1000 + " s" : Table.ms(r.cachingResumedAfterMs()) + " ms",
            Table.count(r.storeErrors()), Table.percent(r.callerErrors(), r.requests()),
            String.join(" / ", floor.p99(r.p99msBefore(), lag), floor.p99(r.p99msDuring(), lag),
                floor.p99(r.p99msAfter(), lag)),
            Table.ms(r.maxMs()));
      }
      v.put("table", t);
      v.put("errorKinds", ErrorKinds.view(rows.stream().map(r -> Map.entry(r.strategy(), r.errorKinds())).toList()));
      return v;
    }

    /** Database loads per 100 ms per strategy until the end of the run; the outage marked. */
    @Override
    public ChartSpec chart() {
      ChartSpec chart = ChartSpec.lines("Redis outage: database loads per 100 ms (Redis down between the lines)",
          "seconds", "database loads per 100 ms", false, false);
      long endOff = upOff + TimeUnit.MILLISECONDS.toNanos(phases.afterMs());
      int buckets = (int) (endOff / TimeUnit.MILLISECONDS.toNanos(100));
      for (Row r : rows) {
        double[] x = new double[buckets];
        double[] y = new double[buckets];
        for (int i = 0; i < buckets; i++) {
          x[i] = i / 10.0;
          y[i] = r.hotLoadsPer100ms()[i] + r.spreadLoadsPer100ms()[i];
        }
        chart.line(r.strategy(), x, y, false);
      }
      return chart.vertical(stopOff / 1e9).vertical(upOff / 1e9);
    }
  }

  @Override
  public Result run(Context ctx) throws Exception {
    Phases ph = Phases.of(ctx.profile());
    // every request is a Redis round trip or more: 7 strategies x 400/s stay under what the 2-core machine sustains
    double perLane = ctx.profile().pick(400.0, 400.0, 400.0);
    Duration span = Duration.ofMillis(ph.beforeMs() + ph.downMs() + ph.afterMs() + 5_000);
    List<Contender> contenders = ctx.contenders(id(), StoreType.REDIS);
    Floor floor = Floor.measure(ctx, perLane * contenders.size());
    List<Lane> lanes = new ArrayList<>();
    try (RedisBackend redis = RedisBackend.start(RedisTopology.STANDALONE)) {
      try {
        for (Contender c : contenders) {
          lanes.add(new Lane(c, redis, span, ctx.meters(c.name())));
        }
        return outage(ctx, redis, lanes, ph, perLane, floor);
      } finally {
        lanes.forEach(l -> l.env.close());
      }
    }
  }

  /** Every lane at once through one outage of {@code redis}. */
  Result outage(Context ctx, RedisBackend redis, List<Lane> lanes, Phases ph, double perLane, Floor floor)
      throws InterruptedException {
    Keys spread = new Keys("s", 1_000, "ZIPF");
    long origin = ctx.now() + TimeUnit.MILLISECONDS.toNanos(50);
    long plannedStop = origin + TimeUnit.MILLISECONDS.toNanos(ph.beforeMs());
    long plannedUp = plannedStop + TimeUnit.MILLISECONDS.toNanos(ph.downMs());
    long measureFrom = origin + TimeUnit.MILLISECONDS.toNanos(ph.warmMs());
    long[] stoppedAt = new long[1];
    long[] restartedAt = new long[1];
    Thread outage = new Thread(() -> {
      ctx.sleepUntil(plannedStop);
      stoppedAt[0] = ctx.now();
      redis.stop();
      ctx.log("redis-outage: redis-server stopped (took %.0f ms)", (ctx.now() - stoppedAt[0]) / 1e6);
      ctx.sleepUntil(stoppedAt[0] + TimeUnit.MILLISECONDS.toNanos(ph.downMs()));
      restartedAt[0] = ctx.now();
      redis.restart();
      ctx.log("redis-outage: redis-server restarted (took %.0f ms)", (ctx.now() - restartedAt[0]) / 1e6);
    }, "redis-outage");
    lanes.forEach(l -> {
      l.start(origin);
      l.probe.measureFrom(measureFrom);
      l.phases[0].measureFrom(measureFrom);
    });
    outage.start();
    int n = lanes.size();
    Lane[] byIndex = lanes.toArray(new Lane[0]);
    OpenLoop.Result r = ctx.loop().run(
        OpenLoop.Schedule.rate(perLane * n, Duration.ofMillis(ph.beforeMs() + ph.downMs() + ph.afterMs())), origin,
        i -> byIndex[(int) (i % n)].cache.get((i / n) % 2 == 0 ? HOT : spread.next()),
        (index, intended, started, ended, error) -> {
          Lane l = byIndex[(int) (index % n)];
          l.probe.completed(index, intended, started, ended, error);
          l.phases[intended - plannedStop < 0 ? 0 : intended - plannedUp < 0 ? 1 : 2].completed(index, intended,
              started, ended, error);
        },
        Duration.ofSeconds(30));
    outage.join();
    long stopOff = stoppedAt[0] - origin;
    long upOff = restartedAt[0] - origin;
    long endOff = upOff + TimeUnit.MILLISECONDS.toNanos(ph.afterMs());
    long warmOff = TimeUnit.MILLISECONDS.toNanos(ph.warmMs());
    List<Row> rows = lanes.stream().map(l -> l.row(warmOff, stopOff, upOff, endOff)).toList();
    return new Result(rows, ph, perLane, Generated.of(r), stopOff, upOff, floor);
  }

  /** Nanoseconds from {@code upOff} to the first bucket with hits and no store error, or -1 before {@code endOff}. */
  static long resumed(Timeline hits, Timeline storeErrors, long upOff, long endOff) {
    long b = hits.bucketNanos();
    for (int i = (int) (upOff / b); i < hits.size() && (long) i * b < endOff; i++) {
      if (hits.get(i) > 0 && storeErrors.get(i) == 0) {
        return Math.max(0, (long) i * b - upOff);
      }
    }
    return -1;
  }

  /*
   * How to run it alone:
   *
   *   mvn -B -ntp -P bench -pl jmh -am verify -DskipTests -Dbench.skipJmh=true -Dscenarios.only=redis-outage
   */
}
