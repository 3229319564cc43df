package stampede.scenarios;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;
import org.knowm.xchart.XYChart;
import stampede.core.Event;
import stampede.fixtures.BenchCache;
import stampede.fixtures.Database;
import stampede.fixtures.Env;
import stampede.fixtures.StoreType;
import stampede.fixtures.StrategyType;
import stampede.fixtures.Contender;
import stampede.fixtures.Peer;
import stampede.fixtures.HoldableTicker;
import stampede.report.Table;
import stampede.report.Charts;
import stampede.settings.Profile;

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

  record Row(String strategy, Histogram latency, long loads, long errors, long requests, double lastStartMs,
      long fallbacks) { }

  @Override
  public Report run(Context ctx) throws Exception {
    Profile p = ctx.profile();
    int keys = p.pick(20, 1_000, 1_000);
    List<Contender> contenders = ctx.contenders(id(), StoreType.CAFFEINE);
    List<Row> rows = new ArrayList<>();
    for (Contender c : contenders) {
      rows.add(expireTogether(ctx, c, keys));
    }
    return report(rows, keys);
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
      Row row = new Row(c.name(), probe.latency(), meter.loads(), probe.errors(), probe.measured(),
          probe.maxStartLag() / 1e6, meter.events(Event.LOCK_FALLBACK));
      ctx.log("locking %-20s %,d callers on %,d keys: every caller had a value after %s ms, %,d loads", c.name(),
          requests, keys, Table.ms(Probe.maxMillis(row.latency())), row.loads());
      return row;
    } finally {
      env.close();
    }
  }

  Report report(List<Row> rows, int keys) {
    Report r = new Report(id(), "Locking everywhere: " + String.format(Locale.ROOT, "%,d", keys)
        + " keys expiring together",
        "Many keys expire at the same instant and their callers arrive together. How long until every caller has a "
            + "value, with one lock per key, one lock for all keys, single flight, or nothing?");
    r.setup("Keys", String.format(Locale.ROOT, "%,d, loaded once at one instant (the store's clock held a TTL in the "
        + "past), so all expire together; %d callers per key (%,d requests) intended at the expiry instant", keys,
        CALLERS_PER_KEY, keys * CALLERS_PER_KEY))
        .setup("Load", "50 ms (parks), unbounded connections: serialized, the keys take " + String.format(Locale.ROOT,
            "%,d x 50 ms = %.0f s", keys, keys * 0.05))
        .setup("Store", "Caffeine, in process, TTL 60 s (no key expires twice while a queue drains); the per-key lock "
            + "is DistributedLock on the in-process lease port")
        .setup("GLOBAL_LOCK", Contender.of(Peer.GLOBAL_LOCK).description())
        .setup("ONE_LEASE", Contender.of(Peer.ONE_LEASE).description());
    Table t = new Table("strategy", ">every caller had a value after", ">p50 ms", ">p99 ms", ">loads",
        ">lock fallbacks", ">errors", ">last caller started");
    XYChart chart = Charts.lines("Callers with a value against time since the keys expired (" + String.format(
        Locale.ROOT, "%,d", keys) + " keys, 50 ms loads)", "ms since the expiry (log)", "% of callers with a value",
        true, false);
    chart.getStyler().setYAxisMin(0.0).setYAxisMax(100.0);
    for (Row row : rows) {
      Histogram h = row.latency();
      t.row(row.strategy(), Table.ms(Probe.maxMillis(h)) + " ms", Table.ms(Probe.millis(h, 50)),
          Table.ms(Probe.millis(h, 99)), Table.count(row.loads()), Table.count(row.fallbacks()),
          Table.count(row.errors()), Table.ms(row.lastStartMs()) + " ms");
      List<double[]> cdf = new ArrayList<>();
      long total = h.getTotalCount();
      long seen = 0;
      for (HistogramIterationValue v : h.recordedValues()) {
        seen += v.getCountAtValueIteratedTo();
        cdf.add(new double[] {h.highestEquivalentValue(v.getValueIteratedTo()) / 1e6, 100.0 * seen / total});
      }
      double[] x = cdf.stream().mapToDouble(a -> a[0]).toArray();
      double[] y = cdf.stream().mapToDouble(a -> a[1]).toArray();
      Charts.line(chart, row.strategy(), x, y, false);
      Map<String, Object> d = r.row();
      d.put("strategy", row.strategy());
      d.put("requests", row.requests());
      d.put("everyCallerHadAValueAfterMs", Probe.maxMillis(h));
      d.put("p50ms", Probe.millis(h, 50));
      d.put("p99ms", Probe.millis(h, 99));
      d.put("loads", row.loads());
      d.put("lockFallbacks", row.fallbacks());
      d.put("errors", row.errors());
      d.put("lastCallerStartedMs", row.lastStartMs());
    }
    r.table(null, t);
    r.chart(chart);
    r.note("*every caller had a value after*: the slowest caller's wait from the expiry instant. *lock fallbacks*: "
        + "callers that gave up waiting for the lock and loaded without caching (LOCK_FALLBACK). *last caller "
        + "started*: how late after the expiry instant the last caller thread ran (2 cores).");
    return r;
  }

  /*
   * How to run it alone (the global lock takes its 50 s):
   *
   *   mvn -B -ntp -P bench -pl jmh -am verify -DskipTests -Dbench.skipJmh=true -Dscenarios.only=locking
   */
}
