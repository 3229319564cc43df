package stampede.scenarios;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.knowm.xchart.AnnotationLine;
import org.knowm.xchart.XYChart;
import stampede.core.Event;
import stampede.core.Metrics;
import stampede.fixtures.BenchCache;
import stampede.fixtures.Database;
import stampede.fixtures.Env;
import stampede.fixtures.Keys;
import stampede.fixtures.StoreType;
import stampede.fixtures.StrategyType;
import stampede.fixtures.Contender;
import stampede.report.Table;
import stampede.report.Charts;
import stampede.settings.Profile;

/**
 * Scenario 5, a database outage: the database fails every load for a window while requests keep arriving. What do
 * callers see (errors, stale values), and how long after the database is back do they get fresh values again?
 *
 * <p>Nine reads in ten go to 1,000 keys (Zipf) that every strategy loaded before the outage (as far as it let the
 * warm-up load them: a rate limit refuses most); one in ten to a key never read before, which no strategy can answer
 * while the database is down. An error counts against "keys that had a value" when some caller had had a value for
 * that key before. A strategy with stale-while-revalidate or stale-if-error must show no error at all on those (the
 * stale bound, 10 s, is longer than the outage plus a TTL).
 *
 * <p><b>All at once</b>: every strategy runs at the same time, each with its own cache, its own database and its own
 * share of the requests, through one outage window on one clock, so they live through exactly the same outage; they
 * also share the 2 cores, which matters little here (errors and stale answers are decided by the strategies, not by
 * the CPU).
 *
 * <p><b>Sizes</b>: {@code quick}: 1,000 requests/s per strategy, 50 ms loads, TTL 1 s; 2 s of warm-up (not
 * measured: the JIT compiles every read path), 1 s healthy, 3 s outage (every load fails after its 50 ms), 3 s
 * after; {@code full}: 3 s warm-up, 2 s healthy, 10 s outage, 5 s after; {@code smoke}: two strategies, short
 * phases.
 */
final class DatabaseOutage implements Scenario {
  static final long LOAD_MS = 50;
  static final long TTL_MS = 1_000;
  static final int KEYS = 1_000;

  @Override
  public String id() {
    return "database-outage";
  }

  /** One strategy's share of the run. */
  static final class Lane {
    final Contender contender;
    final Database db;
    final TimelineMetrics events;
    final Env env;
    final BenchCache cache;
    final Timeline errors;
    final Timeline valuedErrors;
    final Timeline loads;
    final Probe probe;
    /** Per key of the key space: has a caller (or the warm-up) ever had a value for it? */
    final AtomicIntegerArray hadValue = new AtomicIntegerArray(KEYS);
    final LongAdder errorsOnValued = new LongAdder();
    final LongAdder errorsOnNew = new LongAdder();
    final LongAdder requests = new LongAdder();

    Lane(Contender c, Duration span, String[] keys, Metrics meters) {
      contender = c;
      db = Context.database(LOAD_MS, TTL_MS);
      events = new TimelineMetrics(Duration.ofMillis(100), span, Event.STALE_SERVED);
      env = Env.builder(StoreType.CAFFEINE, db, Duration.ofMillis(TTL_MS)).metrics(events.and(meters)).build();
      cache = c.create(env);
      errors = new Timeline(Duration.ofMillis(100), span);
      valuedErrors = new Timeline(Duration.ofMillis(100), span);
      loads = new Timeline(Duration.ofMillis(100), span);
      probe = new Probe(null, errors);
      db.setFast(true);
      for (int k = 0; k < keys.length; k++) {
        try {
          cache.get(keys[k]);
          hadValue.set(k, 1);
        } catch (RuntimeException e) {
          // refused (a rate limit's bucket is soon empty): this key has no value yet
        }
      }
      db.setFast(false);
      db.listener((key, at) -> loads.record(at));
    }

    void start(long origin) {
      events.start(origin);
      errors.start(origin);
      valuedErrors.start(origin);
      loads.start(origin);
    }
  }

  @Override
  public Report run(Context ctx) throws Exception {
    Profile p = ctx.profile();
    double perLane = p.pick(500.0, 1_000.0, 1_000.0);
    long warmMs = p.pick(500L, 2_000L, 3_000L); // the JIT compiles 14 read paths: not measured
    long healthyMs = warmMs + p.pick(500L, 1_000L, 2_000L);
    long outageMs = p.pick(1_000L, 3_000L, 10_000L);
    long afterMs = p.pick(1_000L, 3_000L, 5_000L);
    List<Contender> contenders = ctx.contenders(id(), StoreType.CAFFEINE);
    Keys keySpace = new Keys("d", KEYS, "ZIPF");
    Duration span = Duration.ofMillis(healthyMs + outageMs + afterMs + 5_000);
    List<Lane> lanes = new ArrayList<>();
    try {
      for (Contender c : contenders) {
        lanes.add(new Lane(c, span, keySpace.all(), ctx.meters(c.name())));
      }
      long origin = ctx.now() + TimeUnit.MILLISECONDS.toNanos(50);
      long measureFrom = origin + TimeUnit.MILLISECONDS.toNanos(warmMs);
      long warmRequests = Math.round(perLane * lanes.size() * warmMs / 1000.0);
      long down = origin + TimeUnit.MILLISECONDS.toNanos(healthyMs);
      long up = down + TimeUnit.MILLISECONDS.toNanos(outageMs);
      for (Lane l : lanes) {
        l.probe.measureFrom(measureFrom);
        l.start(origin);
        l.db.outage(Database.FailureMode.FAIL, down, up);
      }
      int n = lanes.size();
      Lane[] byIndex = lanes.toArray(new Lane[0]);
      OpenLoop.Result r = ctx.loop().run(
          OpenLoop.Schedule.rate(perLane * n, Duration.ofMillis(healthyMs + outageMs + afterMs)), origin,
          i -> {
            Lane l = byIndex[(int) (i % n)];
            boolean fresh = (i / n) % 10 == 9; // one read in ten: a key never read before
            String key = fresh ? "new-" + i : keySpace.next();
            int k = fresh ? -1 : Integer.parseInt(key, 1, key.length(), 10);
            boolean measured = i >= warmRequests;
            if (measured) {
              l.requests.increment();
            }
            try {
              l.cache.get(key);
              if (k >= 0) {
                l.hadValue.set(k, 1);
              }
            } catch (RuntimeException e) {
              if (!measured) {
                throw e;
              }
              if (k >= 0 && l.hadValue.get(k) == 1) {
                l.errorsOnValued.increment();
                l.valuedErrors.record(System.nanoTime());
              } else {
                l.errorsOnNew.increment();
              }
              throw e;
            }
          },
          (index, intended, started, ended, error) -> byIndex[(int) (index % n)].probe.completed(index, intended,
              started, ended, error),
          Duration.ofSeconds(30));
      return report(lanes, r, origin, down, up, perLane, warmMs, healthyMs - warmMs, outageMs, afterMs);
    } finally {
      lanes.forEach(l -> l.env.close());
    }
  }

  Report report(List<Lane> lanes, OpenLoop.Result run, long origin, long down, long up, double perLane, long warmMs,
      long healthyMs, long outageMs, long afterMs) {
    Report r = new Report(id(), "Database outage",
        "The database fails every load for a window while requests keep arriving. Which callers get errors, which get "
            + "stale values, and how long after the database is back are answers fresh again?");
    r.setup("Outage", String.format(Locale.ROOT, "%,d ms of warm-up (not measured) and %,d ms healthy, then %,d ms "
        + "in which every load fails (after its 50 ms: a timeout is not free), then %,d ms healthy again", warmMs,
        healthyMs, outageMs, afterMs))
        .setup("Requests", String.format(Locale.ROOT, "%,.0f/s per strategy, every strategy at once (each its own "
            + "cache and database): 9 in 10 to 1,000 keys (Zipf) loaded before the outage, 1 in 10 to a key never "
            + "read before; achieved %s/s in total", perLane, Steady.achieved(run)))
        .setup("Store", "Caffeine, in process; loads 50 ms, TTL 1 s; stale-if-error bound 10 s where a strategy has "
            + "one");
    long downOff = down - origin;
    long upOff = up - origin;
    Table t = new Table("strategy", ">errors, keys that had a value (during / after)", ">errors, keys without one",
        ">stale served (during / after)", ">loads tried during the outage", ">time to recover", ">p99 ms", ">max ms");
    XYChart chart = Charts.lines("Database outage: errors per 100 ms on keys that had a value (outage between the "
        + "lines)", "seconds", "errors per 100 ms, keys that had a value", false, false);
    for (Lane l : lanes) {
      Timeline stale = l.events.of(Event.STALE_SERVED);
      long errDuring = l.valuedErrors.sum(downOff, upOff);
      long errAfter = l.valuedErrors.sum(upOff, Long.MAX_VALUE);
      long staleDuring = stale.sum(downOff, upOff);
      long staleAfter = stale.sum(upOff, Long.MAX_VALUE);
      long loadsDuring = l.loads.sum(downOff, upOff);
      long recoverNanos = recovery(l.valuedErrors, stale, upOff);
      long endOff = upOff + TimeUnit.MILLISECONDS.toNanos(afterMs);
      boolean unrecovered = recoverNanos > 0 && upOff + recoverNanos >= endOff - l.errors.bucketNanos();
      Histogram h = l.probe.latency();
      t.row(l.contender.name(), Table.count(l.errorsOnValued.sum()) + " (" + Table.count(errDuring) + " / "
              + Table.count(errAfter) + ")", Table.count(l.errorsOnNew.sum()),
          Table.count(staleDuring + staleAfter) + " (" + Table.count(staleDuring) + " / " + Table.count(staleAfter)
              + ")", Table.count(loadsDuring), unrecovered ? "not within " + Table.seconds(afterMs / 1000.0)
              : Table.ms(recoverNanos / 1e6) + " ms", Table.ms(Probe.millis(h, 99)),
          Table.ms(Probe.maxMillis(h)));
      double[] x = new double[l.errors.size()];
      double[] y = new double[x.length];
      int last = (int) ((upOff + TimeUnit.MILLISECONDS.toNanos(afterMs)) / l.errors.bucketNanos());
      for (int i = 0; i < x.length; i++) {
        x[i] = i / 10.0;
        y[i] = i <= last ? l.valuedErrors.get(i) : Double.NaN;
      }
      Charts.line(chart, l.contender.name(), x, y, false);
      Map<String, Object> d = r.row();
      d.put("strategy", l.contender.name());
      d.put("requests", l.requests.sum());
      d.put("errorsOnKeysWithAValue", l.errorsOnValued.sum());
      d.put("errorsOnNewKeys", l.errorsOnNew.sum());
      d.put("errorsDuringOutage", errDuring);
      d.put("errorsAfterOutage", errAfter);
      d.put("staleDuringOutage", staleDuring);
      d.put("staleAfterOutage", staleAfter);
      d.put("loadsTriedDuringOutage", loadsDuring);
      d.put("dbFailures", l.db.failures());
      d.put("timeToRecoverMs", unrecovered ? null : recoverNanos / 1e6);
      d.put("p99ms", Probe.millis(h, 99));
      d.put("maxMs", Probe.maxMillis(h));
      d.put("maxStartLagMs", l.probe.maxStartLag() / 1e6);
      d.put("errorsPer100ms", l.errors.buckets());
      d.put("errorsOnKeysWithAValuePer100ms", l.valuedErrors.buckets());
      d.put("stalePer100ms", stale.buckets());
      d.put("loadsPer100ms", l.loads.buckets());
    }
    chart.addAnnotation(new AnnotationLine(downOff / 1e9, true, false));
    chart.addAnnotation(new AnnotationLine(upOff / 1e9, true, false));
    r.data.put("achievedPerSecond", run.achievedPerSecond());
    r.data.put("behind", run.behind());
    r.data.put("maxGeneratorLagMs", run.maxLagNanos() / 1e6);
    r.table(null, t);
    r.chart(chart);
    r.note("*errors, keys that had a value*: callers that got an exception for a key some caller (or the warm-up) "
        + "had already had a value for (in brackets: completed during the outage / after it). *errors, keys without "
        + "one*: callers of a key never read before, or never answered yet (a rate limit refuses most of the warm-up); "
        + "nothing can answer them while the database is down. *stale served*: calls answered with an expired value "
        + "(the strategy's STALE_SERVED events).");
    r.note("*time to recover*: from the database's return to the end of the last 100 ms in which a caller of a key "
        + "that had a value still got an error or a stale value (100 ms resolution; 0 if none after the return; \"not "
        + "within\" if the run ended first). Stale-while-revalidate answers each key's first read after the outage "
        + "with the stale value while it refreshes, so rarely read keys keep it counting.");
    return r;
  }

  /** Nanoseconds from {@code upOff} to the end of the last bucket after it with an error or a stale answer. */
  static long recovery(Timeline errors, Timeline stale, long upOff) {
    long bucket = errors.bucketNanos();
    int first = (int) (upOff / bucket);
    int lastBad = -1;
    for (int i = first; i < errors.size(); i++) {
      if (errors.get(i) > 0 || stale.get(i) > 0) {
        lastBad = i;
      }
    }
    return lastBad < 0 ? 0 : Math.max(0, (lastBad + 1) * bucket - upOff);
  }

  /*
   * How to run it alone:
   *
   *   mvn -B -ntp -P bench -pl jmh -am verify -DskipTests -Dbench.skipJmh=true -Dscenarios.only=database-outage
   */
}
