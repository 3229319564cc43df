package stampede.scenarios;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.knowm.xchart.AnnotationLine;
import org.knowm.xchart.XYChart;
import stampede.core.Event;
import stampede.core.Metrics;
import stampede.fixtures.BenchCache;
import stampede.fixtures.Database;
import stampede.fixtures.Env;
import stampede.fixtures.StoreType;
import stampede.fixtures.Keys;
import stampede.fixtures.StrategyType;
import stampede.fixtures.Contender;
import stampede.fixtures.RedisBackend;
import stampede.report.Table;
import stampede.report.Charts;
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
  }

  @Override
  public Report run(Context ctx) throws Exception {
    Profile p = ctx.profile();
    // every request is a Redis round trip or more: 7 strategies x 400/s stay under what the 2-core machine sustains
    double perLane = p.pick(400.0, 400.0, 400.0);
    long warmMs = p.pick(500L, 2_000L, 3_000L); // cold caches and the JIT: not measured
    long beforeMs = warmMs + p.pick(1_000L, 2_000L, 3_000L);
    long downMs = p.pick(1_000L, 10_000L, 10_000L);
    long afterMs = p.pick(2_000L, 10_000L, 15_000L);
    List<Contender> contenders = ctx.contenders(id(), StoreType.REDIS);
    Keys spread = new Keys("s", 1_000, "ZIPF");
    Duration span = Duration.ofMillis(beforeMs + downMs + afterMs + 5_000);
    List<Lane> lanes = new ArrayList<>();
    try (RedisBackend redis = RedisBackend.start(RedisTopology.STANDALONE)) {
      try {
        for (Contender c : contenders) {
          lanes.add(new Lane(c, redis, span, ctx.meters(c.name())));
        }
        long origin = ctx.now() + TimeUnit.MILLISECONDS.toNanos(50);
        long plannedStop = origin + TimeUnit.MILLISECONDS.toNanos(beforeMs);
        long plannedUp = plannedStop + TimeUnit.MILLISECONDS.toNanos(downMs);
        long measureFrom = origin + TimeUnit.MILLISECONDS.toNanos(warmMs);
        long[] stoppedAt = new long[1];
        long[] restartedAt = new long[1];
        Thread outage = new Thread(() -> {
          ctx.sleepUntil(origin + TimeUnit.MILLISECONDS.toNanos(beforeMs));
          stoppedAt[0] = ctx.now();
          redis.stop();
          ctx.log("redis-outage: redis-server stopped (took %.0f ms)", (ctx.now() - stoppedAt[0]) / 1e6);
          ctx.sleepUntil(stoppedAt[0] + TimeUnit.MILLISECONDS.toNanos(downMs));
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
            OpenLoop.Schedule.rate(perLane * n, Duration.ofMillis(beforeMs + downMs + afterMs)), origin,
            i -> byIndex[(int) (i % n)].cache.get((i / n) % 2 == 0 ? HOT : spread.next()),
            (index, intended, started, ended, error) -> {
              Lane l = byIndex[(int) (index % n)];
              l.probe.completed(index, intended, started, ended, error);
              l.phases[intended - plannedStop < 0 ? 0 : intended - plannedUp < 0 ? 1 : 2].completed(index, intended,
                  started, ended, error);
            },
            Duration.ofSeconds(30));
        outage.join();
        return report(lanes, r, origin, stoppedAt[0], restartedAt[0], perLane, warmMs, beforeMs, downMs, afterMs);
      } finally {
        lanes.forEach(l -> l.env.close());
      }
    }
  }

  Report report(List<Lane> lanes, OpenLoop.Result run, long origin, long stopped, long restarted, double perLane,
      long warmMs, long beforeMs, long downMs, long afterMs) {
    Report r = new Report(id(), "Redis outage",
        "Redis stops for 10 s under a hot key and 1,000 spread keys, then comes back empty. How many loads per second "
            + "reach the database during and after the outage, and how long until caching resumes?");
    r.setup("Outage", String.format(Locale.ROOT, "%,d ms up (the first %,d ms warm-up, not measured), then the "
        + "redis-server is stopped for %,d ms and started again on the same port, empty; %,d ms follow", beforeMs,
        warmMs, downMs, afterMs))
        .setup("Requests", String.format(Locale.ROOT, "%,.0f/s per strategy, every strategy at once (each its own "
            + "key prefix, connections and database): half to one hot key, half to 1,000 keys (Zipf); achieved "
            + "%s/s in total", perLane, Steady.achieved(run)))
        .setup("Store", "Redis (one embedded redis-server), Lettuce client timeout 2 s, commands rejected while "
            + "disconnected, reconnect with Lettuce's default backoff; loads 50 ms, TTL 1 s");
    long stopOff = stopped - origin;
    long upOff = restarted - origin;
    long endOff = upOff + TimeUnit.MILLISECONDS.toNanos(afterMs);
    double downS = (upOff - stopOff) / 1e9;
    Table t = new Table("strategy", ">DB loads/s before", ">DB loads/s during (hot / spread)",
        ">peak DB loads/s during", ">DB loads/s, first 1 s after", ">DB loads/s, last 2 s", ">caching resumed after",
        ">store errors", ">errors seen by callers", ">p99 ms before / during / after", ">max ms");
    XYChart chart = Charts.lines("Redis outage: database loads per 100 ms (Redis down between the lines)", "seconds",
        "database loads per 100 ms", false, false);
    for (Lane l : lanes) {
      long warmOff = TimeUnit.MILLISECONDS.toNanos(warmMs);
      double before = l.loads(warmOff, stopOff) / ((stopOff - warmOff) / 1e9);
      double hotDuring = l.hotLoads.sum(stopOff, upOff) / downS;
      double spreadDuring = l.spreadLoads.sum(stopOff, upOff) / downS;
      long peakDuring = l.maxLoadsPer100ms(stopOff, upOff) * 10;
      double firstAfter = l.loads(upOff, upOff + TimeUnit.SECONDS.toNanos(1)) / 1.0;
      double lastTwo = l.loads(endOff - TimeUnit.SECONDS.toNanos(2), endOff) / 2.0;
      long resumed = resumed(l.events.of(Event.HIT), l.events.of(Event.STORE_ERROR), upOff, endOff);
      Histogram h = l.probe.latency();
      long storeErrors = l.env.counters.get(Event.STORE_ERROR);
      t.row(l.contender.name(), Table.rate(before), Table.rate(hotDuring + spreadDuring) + " (" + Table.rate(hotDuring)
              + " / " + Table.rate(spreadDuring) + ")", Table.count(peakDuring), Table.rate(firstAfter),
          Table.rate(lastTwo), resumed < 0 ? "not within " + afterMs / 1000 + " s" : Table.ms(resumed / 1e6) + " ms",
          Table.count(storeErrors), Table.percent(l.probe.errors(), l.probe.measured()),
          Table.ms(Probe.millis(l.phases[0].latency(), 99)) + " / " + Table.ms(Probe.millis(l.phases[1].latency(), 99))
              + " / " + Table.ms(Probe.millis(l.phases[2].latency(), 99)), Table.ms(Probe.maxMillis(h)));
      int buckets = (int) (endOff / l.hotLoads.bucketNanos());
      double[] x = new double[buckets];
      double[] y = new double[buckets];
      for (int i = 0; i < buckets; i++) {
        x[i] = i / 10.0;
        y[i] = l.hotLoads.get(i) + l.spreadLoads.get(i);
      }
      Charts.line(chart, l.contender.name(), x, y, false);
      Map<String, Object> d = r.row();
      d.put("strategy", l.contender.name());
      d.put("dbLoadsPerSecondBefore", before);
      d.put("dbLoadsPerSecondDuringHot", hotDuring);
      d.put("dbLoadsPerSecondDuringSpread", spreadDuring);
      d.put("peakDbLoadsPerSecondDuring", peakDuring);
      d.put("dbLoadsFirstSecondAfter", firstAfter);
      d.put("dbLoadsPerSecondLastTwo", lastTwo);
      d.put("cachingResumedAfterMs", resumed < 0 ? null : resumed / 1e6);
      d.put("storeErrors", storeErrors);
      d.put("callerErrors", l.probe.errors());
      d.put("requests", l.probe.measured());
      d.put("p99ms", Probe.millis(h, 99));
      d.put("p99msBefore", Probe.millis(l.phases[0].latency(), 99));
      d.put("p99msDuring", Probe.millis(l.phases[1].latency(), 99));
      d.put("p99msAfter", Probe.millis(l.phases[2].latency(), 99));
      d.put("maxMs", Probe.maxMillis(h));
      d.put("hotLoadsPer100ms", l.hotLoads.buckets());
      d.put("spreadLoadsPer100ms", l.spreadLoads.buckets());
      d.put("hitsPer100ms", l.events.of(Event.HIT).buckets());
      d.put("storeErrorsPer100ms", l.events.of(Event.STORE_ERROR).buckets());
    }
    r.data.put("achievedPerSecond", run.achievedPerSecond());
    r.data.put("behind", run.behind());
    r.data.put("maxGeneratorLagMs", run.maxLagNanos() / 1e6);
    r.data.put("stoppedAtSeconds", stopOff / 1e9);
    r.data.put("restartedAtSeconds", upOff / 1e9);
    chart.addAnnotation(new AnnotationLine(stopOff / 1e9, true, false));
    chart.addAnnotation(new AnnotationLine(upOff / 1e9, true, false));
    r.table(null, t);
    r.chart(chart);
    r.note("*DB loads/s*: loader calls per second the strategy's database received: before the outage (after the "
        + "warm-up), during it (split into the hot key and the spread keys), in the first second after Redis restarted "
        + "(empty, so every key misses once), and over the last 2 s of the run. *Peak*: the busiest 100 ms during the "
        + "outage x 10.");
    r.note("*caching resumed after*: from the restart to the start of the first 100 ms in which the strategy's reads "
        + "hit Redis with no store error (100 ms resolution; the Lettuce client reconnects with its own backoff). "
        + "*store errors*: failed Redis reads and writes (STORE_ERROR events), the whole run.");
    return r;
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
