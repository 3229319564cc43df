package stampede.scenarios;

import com.fasterxml.jackson.annotation.JsonIgnore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;
import stampede.core.Event;
import stampede.fixtures.BenchCache;
import stampede.fixtures.Contender;
import stampede.fixtures.Database;
import stampede.fixtures.Env;
import stampede.fixtures.HoldableTicker;
import stampede.fixtures.Peer;
import stampede.fixtures.StoreType;
import stampede.report.ChartSpec;
import stampede.report.Table;

/**
 * Scenario 7, locking everywhere: 1,000 keys expire together and two callers per key arrive at that instant; loads
 * take 50 ms. How long until every caller has a value, with one lock per key, with one lock for all keys, with
 * single flight, and with no coordination at all?
 *
 * <p>One lock per key ({@code DistributedLock}, here on the in-process lease port) and single flight refill the
 * 1,000 keys in parallel, in about one load time. One lock for all keys serializes the loads: 1,000 x 50 ms = 50 s,
 * which is what the {@code GLOBAL_LOCK} peer ({@code synchronized (cache)} around the load) reproduces. The
 * project's own lock given a single lease name ({@code ONE_LEASE}) shows what its timeout does to the same mistake:
 * after waiting 2 s the callers give up and load without caching.
 *
 * <p><b>Setup</b>: Caffeine, TTL 60 s (longer than the serialized refill, so no key expires twice); every key loaded
 * once by the strategy (instant database) with the store's clock held one TTL in the past ({@link HoldableTicker}),
 * so all have just expired when it is released; the 2,000 requests intended at that instant, handed to their threads
 * ahead and woken by their own timers (see {@link OpenLoop}). {@code smoke}: 20 keys.
 */
final class LockingEverywhere implements Scenario {
  static final long LOAD_MS = 50;
  /** Longer than the serialized refill (50 s), so that no key expires again while the global lock's queue drains. */
  static final long TTL_MS = 60_000;
  static final int CALLERS_PER_KEY = 2;

  @Override
  public String id() {
    return "locking";
  }

  /**
   * One contender's burst: what {@code scenarios.json} publishes, and its latency histogram (the chart's curve).
   */
  record Row(String strategy, long requests, double everyCallerHadAValueAfterMs, double p50ms, double p99ms,
      long loads, long lockFallbacks, long errors, Map<String, Long> errorKinds, double lastCallerStartedMs,
      @JsonIgnore Histogram latency) { }

  /** Every contender's burst over {@code keys} keys. */
  record Result(int keys, List<Row> rows) implements Measured {

    @Override
    public Map<String, Object> view() {
      Map<String, Object> v = new LinkedHashMap<>();
      v.put("keys", Table.count(keys));
      v.put("callersPerKey", CALLERS_PER_KEY);
      v.put("requests", Table.count((long) keys * CALLERS_PER_KEY));
      v.put("serialSeconds", String.format(Locale.ROOT, "%.0f", keys * LOAD_MS / 1000.0));
      v.put("globalLock", Contender.of(Peer.GLOBAL_LOCK).description());
      v.put("oneLease", Contender.of(Peer.ONE_LEASE).description());
      Table t = new Table("strategy", ">every caller had a value after", ">p50 ms", ">p99 ms", ">loads",
          ">lock fallbacks", ">errors", ">last caller started");
      for (Row row : rows) {
        t.row(row.strategy(), Table.ms(row.everyCallerHadAValueAfterMs()) + " ms", Table.ms(row.p50ms()),
            Table.ms(row.p99ms()), Table.count(row.loads()), Table.count(row.lockFallbacks()),
            Table.count(row.errors()), Table.ms(row.lastCallerStartedMs()) + " ms");
      }
      v.put("table", t);
      v.put("errorKinds", ErrorKinds.view(rows.stream().map(r -> Map.entry(r.strategy(), r.errorKinds())).toList()));
      return v;
    }

    /** Per contender, the share of callers with a value against the time since the expiry. */
    @Override
    public ChartSpec chart() {
      ChartSpec chart = ChartSpec.lines(String.format(Locale.ROOT, "Callers with a value against time since the "
          + "keys expired (%,d keys, 50 ms loads)", keys), "ms since the expiry (log)", "% of callers with a value",
          true, false).yRange(0.0, 100.0);
      for (Row row : rows) {
        Histogram h = row.latency();
        List<double[]> cdf = new ArrayList<>();
        long seen = 0;
        for (HistogramIterationValue v : h.recordedValues()) {
          seen += v.getCountAtValueIteratedTo();
          cdf.add(new double[] {h.highestEquivalentValue(v.getValueIteratedTo()) / 1e6,
              100.0 * seen / h.getTotalCount()});
        }
        chart.line(row.strategy(), cdf.stream().mapToDouble(a -> a[0]).toArray(),
            cdf.stream().mapToDouble(a -> a[1]).toArray(), false);
      }
      return chart;
    }
  }

  @Override
  public Result run(Context ctx) throws Exception {
    int keys = ctx.profile().pick(20, 1_000, 1_000);
    List<Row> rows = new ArrayList<>();
    for (Contender c : ctx.contenders(id(), StoreType.CAFFEINE)) {
      rows.add(expireTogether(ctx, c, keys));
    }
    return new Result(keys, rows);
  }

  Row expireTogether(Context ctx, Contender c, int keys) {
    Database db = Context.database(LOAD_MS, TTL_MS);
    HoldableTicker clock = new HoldableTicker();
    Duration lead = Duration.ofMillis(Math.max(100, keys * CALLERS_PER_KEY / 20));
    long expiry = ctx.now() + lead.toNanos() + TimeUnit.MILLISECONDS.toNanos(200);
    clock.holdAt(expiry - TimeUnit.MILLISECONDS.toNanos(TTL_MS)); // written one TTL before the burst
    Env env = Env.builder(StoreType.CAFFEINE, db, Duration.ofMillis(TTL_MS)).storeTicker(clock)
        .metrics(ctx.meters(c.name())).build();
    try {
      BenchCache cache = c.create(env);
      String[] names = new String[keys];
      db.setFast(true);
      for (int k = 0; k < keys; k++) {
        names[k] = "l" + k;
        cache.get(names[k]);
      }
      db.setFast(false);
      clock.release();
      Meter meter = Meter.startedOn(env);
      Probe probe = new Probe();
      int requests = keys * CALLERS_PER_KEY;
      ctx.loop().run(OpenLoop.Schedule.burst(requests), expiry, lead,
          i -> cache.get(names[(int) (i % keys)]), probe, Duration.ofSeconds(keys * LOAD_MS / 1000 * 2 + 30));
      Histogram h = probe.latency();
      Row row = new Row(c.name(), probe.measured(), Probe.maxMillis(h), Probe.millis(h, 50), Probe.millis(h, 99),
          meter.loads(), meter.events(Event.LOCK_FALLBACK), probe.errors(), probe.errorKinds(),
          probe.maxStartLag() / 1e6, h);
      ctx.log("locking %-20s %,d callers on %,d keys: every caller had a value after %s ms, %,d loads", c.name(),
          requests, keys, Table.ms(row.everyCallerHadAValueAfterMs()), row.loads());
      return row;
    } finally {
      env.close();
    }
  }

  /*
   * How to run it alone (the global lock takes its 50 s):
   *
   *   mvn -B -ntp -P bench -pl jmh -am verify -DskipTests -Dbench.skipJmh=true -Dscenarios.only=locking
   */
}
