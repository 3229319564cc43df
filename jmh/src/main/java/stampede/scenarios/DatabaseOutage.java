package stampede.scenarios;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import stampede.core.Event;
import stampede.core.Metrics;
import stampede.core.Nullable;
import stampede.fixtures.BenchCache;
import stampede.fixtures.Contender;
import stampede.fixtures.Database;
import stampede.fixtures.Env;
import stampede.fixtures.Keys;
import stampede.fixtures.StoreType;
import stampede.report.ChartSpec;
import stampede.report.Table;
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

    /**
     * Request {@code i} of the whole run, this lane's: one in ten to a key never read before, else a key of the
     * key space; an error counts against keys that had a value, or keys without one, once measured.
     */
    void call(long i, int lanes, Keys keySpace, long warmRequests) {
      boolean fresh = (i / lanes) % 10 == 9; // one read in ten: a key never read before
      String key = fresh ? "new-" + i : keySpace.next();
      int k = fresh ? -1 : Integer.parseInt(key, 1, key.length(), 10);
      boolean measured = i >= warmRequests;
      if (measured) {
        requests.increment();
      }
      try {
        cache.get(key);
        if (k >= 0) {
          hadValue.set(k, 1);
        }
      } catch (RuntimeException e) {
        if (measured) {
          if (k >= 0 && hadValue.get(k) == 1) {
            errorsOnValued.increment();
            valuedErrors.record(System.nanoTime());
          } else {
            errorsOnNew.increment();
          }
        }
        throw e;
      }
    }

    /** This lane's row, {@code downOff} and {@code upOff} the outage's bounds after the origin. */
    Row row(long downOff, long upOff, long afterMs) {
      Timeline stale = events.of(Event.STALE_SERVED);
      long recoverNanos = recovery(valuedErrors, stale, upOff);
      long endOff = upOff + TimeUnit.MILLISECONDS.toNanos(afterMs);
      boolean unrecovered = recoverNanos > 0 && upOff + recoverNanos >= endOff - errors.bucketNanos();
      Histogram h = probe.latency();
      return new Row(contender.name(), requests.sum(), errorsOnValued.sum(), errorsOnNew.sum(),
          probe.measuredErrorKinds(),
          valuedErrors.sum(downOff, upOff), valuedErrors.sum(upOff, Long.MAX_VALUE), stale.sum(downOff, upOff),
          stale.sum(upOff, Long.MAX_VALUE), loads.sum(downOff, upOff), db.failures(),
          unrecovered ? null : recoverNanos / 1e6, Probe.millis(h, 99), Probe.maxMillis(h),
          probe.maxStartLag() / 1e6, errors.buckets(), valuedErrors.buckets(), stale.buckets(), loads.buckets());
    }
  }

  /** One strategy's share of the run: what {@code scenarios.json} publishes of it, time series included. */
  // ArrayRecordComponent: a measured series, written to JSON and charts; records of it are never compared or hashed
  @SuppressWarnings("ArrayRecordComponent")
  record Row(String strategy, long requests, long errorsOnKeysWithAValue, long errorsOnNewKeys,
      Map<String, Long> errorKinds,
      long errorsDuringOutage, long errorsAfterOutage, long staleDuringOutage, long staleAfterOutage,
      long loadsTriedDuringOutage, long dbFailures, @Nullable Double timeToRecoverMs, double p99ms, double maxMs,
      double maxStartLagMs, long[] errorsPer100ms, long[] errorsOnKeysWithAValuePer100ms, long[] stalePer100ms,
      long[] loadsPer100ms) { }

  /** The phases of the run, in milliseconds: warm-up, healthy (after the warm-up), outage, after. */
  record Phases(long warmMs, long healthyMs, long outageMs, long afterMs) {

    static Phases of(Profile p) {
      // the JIT compiles 14 read paths: not measured
      return new Phases(p.pick(500L, 2_000L, 3_000L), p.pick(500L, 1_000L, 2_000L), p.pick(1_000L, 3_000L, 10_000L),
          p.pick(1_000L, 3_000L, 5_000L));
    }

    /** From the origin to the outage. */
    long upMs() {
      return warmMs + healthyMs;
    }
  }

  /**
   * Every lane's row, what the generator did; the outage's bounds in
   * nanoseconds after the origin.
   */
  record Result(List<Row> rows, Phases phases, double perLane, Generated generator, long downOff, long upOff,
      Floor floor) implements Measured {

    @Override
    public Map<String, Object> data() {
      Map<String, Object> d = generator.data();
      d.put("floor", floor.data());
      return d;
    }

    @Override
    public Map<String, Object> view() {
      Map<String, Object> v = new LinkedHashMap<>();
      v.put("floor", floor.view());
      v.put("warmMs", Table.count(phases.warmMs()));
      v.put("healthyMs", Table.count(phases.healthyMs()));
      v.put("outageMs", Table.count(phases.outageMs()));
      v.put("afterMs", Table.count(phases.afterMs()));
      v.put("perLane", Table.rate(perLane));
      v.put("achieved", generator.achieved());
      Table t = new Table("strategy", ">errors, keys that had a value (during / after)", ">errors, keys without one",
          ">stale served (during / after)", ">loads tried during the outage", ">time to recover", ">p99 ms",
          ">max ms");
      for (Row r : rows) {
        t.row(r.strategy(), String.format(Locale.ROOT, "%s (%s / %s)", Table.count(r.errorsOnKeysWithAValue()),
            Table.count(r.errorsDuringOutage()), Table.count(r.errorsAfterOutage())),
            Table.count(r.errorsOnNewKeys()), String.format(Locale.ROOT, "%s (%s / %s)",
            Table.count(r.staleDuringOutage() + r.staleAfterOutage()), Table.count(r.staleDuringOutage()),
            Table.count(r.staleAfterOutage())), Table.count(r.loadsTriedDuringOutage()),
            r.timeToRecoverMs() == null ? "not within " + Table.seconds(phases.afterMs() / 1000.0)
                : Table.ms(r.timeToRecoverMs()) + " ms", floor.p99(r.p99ms(), generator.maxGeneratorLagMs()),
            Table.ms(r.maxMs()));
      }
      v.put("table", t);
      v.put("errorKinds", ErrorKinds.view(rows.stream().map(r -> Map.entry(r.strategy(), r.errorKinds())).toList()));
      return v;
    }

    /** Errors per 100 ms on keys that had a value, per strategy, until the end of the run; the outage marked. */
    @Override
    public ChartSpec chart() {
      ChartSpec chart = ChartSpec.lines("Database outage: errors per 100 ms on keys that had a value (outage between "
          + "the lines)", "seconds", "errors per 100 ms, keys that had a value", false, false);
      long bucket = TimeUnit.MILLISECONDS.toNanos(100);
      int last = (int) ((upOff + TimeUnit.MILLISECONDS.toNanos(phases.afterMs())) / bucket);
      for (Row r : rows) {
        long[] valued = r.errorsOnKeysWithAValuePer100ms();
        double[] x = new double[r.errorsPer100ms().length];
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
          x[i] = i / 10.0;
          y[i] = i <= last ? valued[i] : Double.NaN;
        }
        chart.line(r.strategy(), x, y, false);
      }
      return chart.vertical(downOff / 1e9).vertical(upOff / 1e9);
    }
  }

  @Override
  public Result run(Context ctx) throws Exception {
    Phases ph = Phases.of(ctx.profile());
    double perLane = ctx.profile().pick(500.0, 1_000.0, 1_000.0);
    Keys keySpace = new Keys("d", KEYS, "ZIPF");
    Duration span = Duration.ofMillis(ph.upMs() + ph.outageMs() + ph.afterMs() + 5_000);
    List<Contender> contenders = ctx.contenders(id(), StoreType.CAFFEINE);
    Floor floor = Floor.measure(ctx, perLane * contenders.size());
    List<Lane> lanes = new ArrayList<>();
    try {
      for (Contender c : contenders) {
        lanes.add(new Lane(c, span, keySpace.all(), ctx.meters(c.name())));
      }
      long origin = ctx.now() + TimeUnit.MILLISECONDS.toNanos(50);
      long down = origin + TimeUnit.MILLISECONDS.toNanos(ph.upMs());
      long up = down + TimeUnit.MILLISECONDS.toNanos(ph.outageMs());
      for (Lane l : lanes) {
        l.probe.measureFrom(origin + TimeUnit.MILLISECONDS.toNanos(ph.warmMs()));
        l.start(origin);
        l.db.outage(Database.FailureMode.FAIL, down, up);
      }
      int n = lanes.size();
      Lane[] byIndex = lanes.toArray(new Lane[0]);
      long warmRequests = Math.round(perLane * n * ph.warmMs() / 1000.0);
      OpenLoop.Result r = ctx.loop().run(
          OpenLoop.Schedule.rate(perLane * n, Duration.ofMillis(ph.upMs() + ph.outageMs() + ph.afterMs())), origin,
          i -> byIndex[(int) (i % n)].call(i, n, keySpace, warmRequests),
          (index, intended, started, ended, error) -> byIndex[(int) (index % n)].probe.completed(index, intended,
              started, ended, error),
          Duration.ofSeconds(30));
      List<Row> rows = lanes.stream().map(l -> l.row(down - origin, up - origin, ph.afterMs())).toList();
      return new Result(rows, ph, perLane, Generated.of(r), down - origin, up - origin, floor);
    } finally {
      lanes.forEach(l -> l.env.close());
    }
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
