package stampede.scenarios;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;
import stampede.core.Nullable;
import stampede.core.Entry;
import stampede.core.Event;
import stampede.core.Metrics;
import stampede.core.RejectedException;
import stampede.fixtures.BenchCache;
import stampede.fixtures.Contender;
import stampede.fixtures.Database;
import stampede.fixtures.Env;
import stampede.fixtures.StoreType;
import stampede.report.Table;
import stampede.settings.Profile;

/**
 * Scenario "overload by priority" (issue 22): a database of 20 connections at 100 ms a load, 200 loads/s, behind a
 * cache; offered loads ramp from 0.5x to 3x that capacity and back. Which callers still get an answer, by class, and
 * does the database stay within its pool?
 *
 * <p>1,000 requests/s, one in ten CRITICAL, six DEFAULT, three BULK (keys {@code critical:}, {@code default:},
 * {@code bulk:}; the priority rows classify by that prefix). A request misses with the probability that makes the
 * misses {@code x} times the capacity ({@code x} 0.5 for the warm-up, then up to 3, held, and down to 0.5); a miss
 * reads a key of its own, read once: half of them hold a value that expired a second before (stale-if-error may
 * answer it), half hold none (only a load answers). Hits read 200 keys per class, fresh for the whole run. Each row
 * runs alone with its own cache and database, on the same schedule; stale-if-error 10 s where the row has it.
 *
 * <p><b>Sizes</b>: {@code quick}: 2 s warm-up (not measured), then 6 s rising, 6 s at 3x, 6 s falling, per row;
 * {@code full}: 3 s and 15 s each; {@code smoke}: 0.5 s and 1 s each.
 *
 * <p>Alone: {@code mvn -B -ntp -P bench -pl jmh -am verify -DskipTests -Dbench.skipJmh=true
 * -Dscenarios.only=priority}.
 */
final class PriorityOverload implements Scenario {
  static final int CONNECTIONS = 20;
  static final long LOAD_MS = 100;
  static final double CAPACITY = CONNECTIONS * 1000.0 / LOAD_MS;
  static final double RATE = 1_000;
  static final int HOT = 200;
  static final String[] CLASSES = {"CRITICAL", "DEFAULT", "BULK"};
  static final String[] PHASES = {"rising (0.5x to 3x)", "peak (3x)", "falling (3x to 0.5x)"};
  static final long BUCKET_MS = 500;
  static final int FRESH = 0;
  static final int STALE = 1;
  static final int REFUSED = 2;
  static final int FAILED = 3;

  @Override
  public String id() {
    return "priority-overload";
  }

  @Override
  public int callerThreads(Profile profile) {
    return 4_000; // no shedding queues every load past the 20 connections: up to 400 more a second at 3x
  }

  /** The run's phases in milliseconds, and the offered loads as a multiple of the capacity at each moment. */
  record Phases(long warmMs, long upMs, long peakMs, long downMs) {

    static Phases of(Profile p) {
      return new Phases(p.pick(500L, 2_000L, 3_000L), p.pick(1_000L, 6_000L, 15_000L),
          p.pick(1_000L, 6_000L, 15_000L), p.pick(1_000L, 6_000L, 15_000L));
    }

    long totalMs() {
      return warmMs + upMs + peakMs + downMs;
    }

    /** The phase {@code ms} after the origin: -1 for the warm-up, else an index of {@link #PHASES}. */
    int at(double ms) {
      return ms < warmMs ? -1 : ms < warmMs + upMs ? 0 : ms < warmMs + upMs + peakMs ? 1 : 2;
    }

    double multiple(double ms) {
      double t = ms - warmMs;
      return t < 0 ? 0.5 : t < upMs ? 0.5 + 2.5 * t / upMs : t < upMs + peakMs ? 3
          : Math.max(0.5, 3 - 2.5 * (t - upMs - peakMs) / downMs);
    }
  }

  /** Request {@code i}'s class: 1 in 10 CRITICAL, 6 DEFAULT, 3 BULK. */
  static int classOf(long i) {
    int r = (int) (i % 10);
    return r == 0 ? 0 : r <= 6 ? 1 : 2;
  }

  /** SplitMix64's finaliser: a fixed pseudo-random draw per request, the same for every row. */
  static long mix(long i) {
    long z = i * 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  static boolean misses(long i, double multiple) {
    return (mix(i) >>> 11) * 0x1.0p-53 < multiple * CAPACITY / RATE;
  }

  static boolean hasStale(long i) {
    return (mix(~i) & 1) == 0;
  }

  static String key(long i, boolean miss) {
    return CLASSES[classOf(i)].toLowerCase(Locale.ROOT) + ":" + (miss ? "m" + i : "h" + (i % HOT));
  }

  /** One row's run: its cache and database, and what its callers got, per class and phase. */
  static final class Lane {
    final Contender contender;
    final Phases ph;
    final OpenLoop.Schedule schedule;
    final Database db = Context.database(LOAD_MS, 60_000);
    final Env env;
    final BenchCache cache;
    final LongAdder[][] outcomes = new LongAdder[4][9]; // FRESH..FAILED x (class x 3 + phase)
    final Histogram[] latency = new Histogram[9];
    final Histogram[] dbLatency = new Histogram[3];
    final AtomicInteger[] dbMax = new AtomicInteger[3];
    final Timeline[] answered = new Timeline[3];
    final Timeline offered;
    final ErrorKinds errorKinds = new ErrorKinds();
    long origin;

    Lane(Contender c, Phases ph, OpenLoop.Schedule schedule, Metrics meters) {
      this.contender = c;
      this.ph = ph;
      this.schedule = schedule;
      Duration span = Duration.ofMillis(ph.totalMs() + 1_000);
      for (int k = 0; k < 9; k++) {
        for (LongAdder[] o : outcomes) {
          o[k] = new LongAdder();
        }
        latency[k] = new ConcurrentHistogram(3);
      }
      for (int p = 0; p < 3; p++) {
        dbLatency[p] = new ConcurrentHistogram(3);
        dbMax[p] = new AtomicInteger();
        answered[p] = new Timeline(Duration.ofMillis(BUCKET_MS), span);
      }
      offered = new Timeline(Duration.ofMillis(BUCKET_MS), span);
      db.pool(CONNECTIONS);
      env = Env.builder(StoreType.CAFFEINE, db, Duration.ofMinutes(1)).metrics(loadTimes().and(meters)).build();
      cache = c.create(env);
      db.listener((key, at) -> {
        int p = phase(at);
        if (p >= 0) {
          dbMax[p].accumulateAndGet(db.inFlight(), Math::max);
        }
      });
    }

    int phase(long nanoTime) {
      return ph.at((nanoTime - origin) / 1e6);
    }

    /** The load times (a connection's wait included) by phase, from the loads' LOAD_SUCCEEDED/FAILED events. */
    private Metrics loadTimes() {
      return new Metrics() {
        @Override
        public void record(Event event, Object key) {
        }

        @Override
        public void record(Event event, Object key, long nanos) {
          int p = phase(System.nanoTime());
          if (p >= 0 && (event == Event.LOAD_SUCCEEDED || event == Event.LOAD_FAILED)) {
            dbLatency[p].recordValue(Math.max(0, nanos));
          }
        }
      };
    }

    /** Writes the hit keys (fresh all run) and, per miss with a stale value, its entry expired 1 s before the read. */
    void seed(long origin) {
      this.origin = origin;
      long now = System.nanoTime();
      for (int c = 0; c < 3; c++) {
        for (int h = 0; h < HOT; h++) {
          String key = CLASSES[c].toLowerCase(Locale.ROOT) + ":h" + h;
          env.store.put(key, new Entry<>(key + "@0@" + now, now, origin + 3_600_000_000_000L, 0, 0));
        }
      }
      for (long i = 0; i < schedule.count(); i++) {
        long at = origin + schedule.offset(i);
        if (misses(i, ph.multiple(schedule.offset(i) / 1e6)) && hasStale(i)) {
          String key = key(i, true);
          long expired = at - 1_000_000_000L;
          env.store.put(key, new Entry<>(key + "@0@" + (expired - 60_000_000_000L), expired - 60_000_000_000L,
              expired, 0, 0));
        }
      }
      answered[0].start(origin);
      answered[1].start(origin);
      answered[2].start(origin);
      offered.start(origin);
    }

    /** Request {@code i}: a read; what it got is counted by class and phase. */
    void call(long i) {
      long off = schedule.offset(i);
      int p = ph.at(off / 1e6);
      int k = classOf(i) * 3 + Math.max(0, p);
      boolean miss = misses(i, ph.multiple(off / 1e6));
      String key = key(i, miss);
      if (miss) {
        offered.record(origin + off);
      }
      int outcome = FAILED;
      try {
        String value = cache.get(key);
        outcome = miss && value.startsWith(key + "@0@") ? STALE : FRESH;
        if (miss) {
          answered[classOf(i)].record(origin + off);
        }
      } catch (RejectedException e) {
        outcome = REFUSED;
        throw e;
      } finally {
        if (p >= 0) {
          outcomes[outcome][k].increment();
        }
      }
    }

    void completed(long index, long intended, long started, long ended, @Nullable Throwable error) {
      if (error != null) {
        errorKinds.record(error);
      }
      int p = phase(intended);
      if (p >= 0) {
        latency[classOf(index) * 3 + p].recordValue(Math.max(0, ended - intended));
      }
    }

    List<PriorityOverloadResult.Row> rows() {
      List<PriorityOverloadResult.Row> rows = new ArrayList<>();
      for (int p = 0; p < 3; p++) {
        for (int c = 0; c < 3; c++) {
          int k = c * 3 + p;
          rows.add(new PriorityOverloadResult.Row(contender.name(), CLASSES[c], PHASES[p], outcomes[FRESH][k].sum(),
              outcomes[STALE][k].sum(), outcomes[REFUSED][k].sum(), outcomes[FAILED][k].sum(),
              Probe.millis(latency[k], 50), Probe.millis(latency[k], 99), dbMax[p].get(),
              Probe.millis(dbLatency[p], 50), Probe.millis(dbLatency[p], 99)));
        }
      }
      return rows;
    }

    PriorityOverloadResult.Series series() {
      return new PriorityOverloadResult.Series(contender.name(), new long[][] {answered[0].buckets(),
          answered[1].buckets(), answered[2].buckets()}, offered.buckets(), errorKinds.counts());
    }
  }

  @Override
  public PriorityOverloadResult run(Context ctx) throws Exception {
    Phases ph = Phases.of(ctx.profile());
    List<Contender> contenders = ctx.contenders(id(), StoreType.CAFFEINE);
    Floor floor = Floor.measure(ctx, contenders.isEmpty() ? 0 : RATE);
    OpenLoop.Schedule schedule = OpenLoop.Schedule.rate(RATE, Duration.ofMillis(ph.totalMs()));
    List<PriorityOverloadResult.Row> rows = new ArrayList<>();
    List<PriorityOverloadResult.Series> series = new ArrayList<>();
    List<Generated> generated = new ArrayList<>();
    for (Contender c : contenders) {
      Lane lane = new Lane(c, ph, schedule, ctx.meters(c.name()));
      try {
        lane.seed(ctx.now() + 1_000_000_000L);
        OpenLoop.Result r = ctx.loop().run(schedule, lane.origin, lane::call, lane::completed,
            Duration.ofSeconds(40));
        rows.addAll(lane.rows());
        series.add(lane.series());
        generated.add(Generated.of(r));
        ctx.log("%s %s: achieved %s/s, %,d loads", id(), c.name(), Table.rate(r.achievedPerSecond()),
            lane.db.loads());
      } finally {
        lane.env.close();
      }
    }
    return new PriorityOverloadResult(rows, series, ph, generated, floor);
  }
}
