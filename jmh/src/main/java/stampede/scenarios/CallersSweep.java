package stampede.scenarios;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.HdrHistogram.Histogram;
import stampede.core.Event;
import stampede.fixtures.BenchCache;
import stampede.fixtures.Contender;
import stampede.fixtures.Database;
import stampede.fixtures.Env;
import stampede.fixtures.HoldableTicker;
import stampede.fixtures.StoreType;
import stampede.fixtures.StrategyType;
import stampede.report.ChartSpec;
import stampede.report.Table;
import stampede.settings.Profile;

/**
 * Scenario 1, the callers sweep: C callers arrive at once on one key that has just expired (its entry is still in
 * the store, stale by 20 ms), and the load takes 50 ms. For C = 1, 10, 100, 1,000 and 10,000, how many loads does
 * the one expiry cost, and how long do the callers wait?
 *
 * <p>Cache-aside costs one load per caller that reads the key before the first load has written it; a coalescing
 * strategy costs one. The answer is the slope of the chart, loads against callers on log-log axes: 1 for
 * cache-aside, 0 for single flight.
 *
 * <p><b>Setup</b> (every profile): the in-process store (Caffeine), so that only the strategies coordinate the
 * callers; every {@link StrategyType} but the two jitter twins (jitter is off here: one key, one expiry), each in a
 * fresh env per point. TTL 5 s, longer than any burst lasts, so the value loaded is not expired again by the time the
 * last caller reads it. The key is loaded once by the strategy (instant database) with the store's clock held one TTL
 * before the burst ({@link HoldableTicker}), so that it has just expired, 20 ms before the burst, without waiting a
 * TTL per point. The C requests are all intended at that instant and handed to caller threads ahead
 * ({@link OpenLoop}'s lead, half a second for 10,000), each sleeping until the instant, so the kernel wakes them
 * together; on 2 cores the last of 10,000 still starts a few hundred milliseconds late, which the table shows ("last
 * caller started"), and latency is measured from the intended instant. Throw-away bursts of 1,000 run first so that
 * the JIT has compiled the read path. {@code smoke}: 1, 10 and 100 callers, SINGLE_FLIGHT and CACHE_ASIDE.
 */
final class CallersSweep implements Scenario {
  static final String KEY = "swept";
  static final long LOAD_MS = 50;
  static final long TTL_MS = 5_000;

  @Override
  public String id() {
    return "callers-sweep";
  }

  @Override
  public int callerThreads(Profile profile) {
    return profile.pick(500, 10_000, 10_000);
  }

  /** One point: a strategy, C callers; what {@code scenarios.json} publishes of it. */
  record Row(String strategy, int callers, long loads, long misses, long errors, Map<String, Long> errorKinds,
      long staleServed,
      int peakConcurrentLoads, double p50ms, double p99ms, double maxMs, double lastCallerStartedMs) { }

  /** Every point: a row per strategy and number of callers, in that order. */
  // ArrayRecordComponent: a measured series, written to JSON and charts; records of it are never compared or hashed
  @SuppressWarnings("ArrayRecordComponent")
  record Result(int[] counts, List<Row> rows) implements Measured {

    /** The rows by strategy, in order. */
    Map<String, List<Row>> lines() {
      Map<String, List<Row>> lines = new LinkedHashMap<>();
      rows.forEach(r -> lines.computeIfAbsent(r.strategy(), k -> new ArrayList<>()).add(r));
      return lines;
    }

    @Override
    public Map<String, Object> view() {
      Map<String, Object> v = new LinkedHashMap<>();
      v.put("callers", Arrays.stream(counts).mapToObj(Table::count).collect(Collectors.joining(", ")));
      v.put("jdk", Runtime.version().feature());
      v.put("loads", loadsTable());
      v.put("waits", waitsTable());
      List<String> drawn = chart().lines().stream().map(ChartSpec.Line::name).toList();
      List<String> noLine = lines().keySet().stream().filter(n -> !drawn.contains(n)).toList();
      v.put("noLine", noLine.isEmpty() ? List.of() : List.of(String.join(", ", noLine)));
      v.put("errorKinds", ErrorKinds.view(rows.stream().map(r -> Map.entry(String.format(Locale.ROOT,
          "%s, %s callers", r.strategy(), Table.count(r.callers())), r.errorKinds())).toList()));
      return v;
    }

    Table loadsTable() {
      List<String> cols = new ArrayList<>(List.of("strategy"));
      for (int c : counts) {
        cols.add(">" + Table.count(c) + (c == 1 ? " caller" : " callers"));
      }
      String big = Table.count(counts[counts.length - 1]);
      cols.addAll(List.of(">missed at " + big, ">errors at " + big, ">stale at " + big));
      Table t = new Table(cols.toArray(new String[0]));
      lines().forEach((strategy, line) -> {
        List<Object> cells = new ArrayList<>(List.of(strategy));
        line.forEach(p -> cells.add(Table.count(p.loads())));
        Row last = line.get(line.size() - 1);
        cells.add(last.misses() < 0 ? "-" : Table.count(last.misses()));
        cells.add(Table.count(last.errors()));
        cells.add(Table.count(last.staleServed()));
        t.row(cells.toArray());
      });
      return t;
    }

    Table waitsTable() {
      List<String> cols = new ArrayList<>(List.of("strategy"));
      for (int c : counts) {
        cols.add(">" + Table.count(c) + ": p50 / p99 / max");
      }
      cols.add(">last caller started at " + Table.count(counts[counts.length - 1]));
      Table t = new Table(cols.toArray(new String[0]));
      lines().forEach((strategy, line) -> {
        List<Object> cells = new ArrayList<>(List.of(strategy));
        line.forEach(p -> cells.add(Table.ms(p.p50ms()) + " / " + Table.ms(p.p99ms()) + " / " + Table.ms(p.maxMs())));
        cells.add(Table.ms(line.get(line.size() - 1).lastCallerStartedMs()) + " ms");
        t.row(cells.toArray());
      });
      return t;
    }

    /** Loads against callers, one line per strategy, log-log: the slope is the answer. */
    @Override
    public ChartSpec chart() {
      ChartSpec chart = ChartSpec.lines("Loads per expiry against concurrent callers (50 ms load, one key)",
          "concurrent callers on the expired key", "loads for the one expiry", true, true);
      double[] x = Arrays.stream(counts).asDoubleStream().toArray();
      lines().forEach((strategy, line) -> chart.line(strategy, x,
          line.stream().mapToDouble(Row::loads).toArray(), true));
      return chart;
    }
  }

  @Override
  public Result run(Context ctx) throws Exception {
    int[] counts = ctx.profile().pick(new int[] {1, 10, 100}, new int[] {1, 10, 100, 1_000, 10_000},
        new int[] {1, 10, 100, 1_000, 10_000});
    List<Contender> contenders = ctx.contenders(id(), StoreType.CAFFEINE);
    int max = counts[counts.length - 1];
    if (max > ctx.callers().size()) {
      throw new IllegalStateException(max + " callers need as many caller threads: " + ctx.callers().size());
    }

    if (ctx.profile() != Profile.SMOKE) { // JIT warm-up, not reported
      burst(ctx, Contender.of(StrategyType.CACHE_ASIDE), 1_000);
      burst(ctx, Contender.of(StrategyType.SINGLE_FLIGHT), 1_000);
    }

    List<Row> rows = new ArrayList<>();
    for (Contender c : contenders) {
      for (int n : counts) {
        Row p = burst(ctx, c, n);
        rows.add(p);
        ctx.log("callers-sweep %-28s %,6d callers: %,6d loads, p99 %s ms, last start %.1f ms", c.name(), n, p.loads(),
            Table.ms(p.p99ms()), p.lastCallerStartedMs());
      }
    }
    return new Result(counts, rows);
  }

  /** One expiry: the key written a TTL before the burst, then {@code callers} requests 20 ms after it expired. */
  Row burst(Context ctx, Contender c, int callers) {
    Duration lead = Duration.ofMillis(Math.max(100, callers / 20)); // 10,000 callers: half a second
    long burstAt = ctx.now() + lead.toNanos() + Duration.ofMillis(100).toNanos();
    HoldableTicker clock = new HoldableTicker();
    clock.holdAt(burstAt - Duration.ofMillis(TTL_MS + 20).toNanos());
    Database db = Context.database(LOAD_MS, TTL_MS);
    Env env = Env.builder(StoreType.CAFFEINE, db, Duration.ofMillis(TTL_MS)).jitter(0).storeTicker(clock)
        .metrics(ctx.meters(c.name())).build();
    try {
      BenchCache cache = c.create(env);
      db.setFast(true);
      cache.get(KEY);
      db.setFast(false);
      clock.release();
      Meter meter = Meter.startedOn(env);
      Probe probe = new Probe();
      ctx.loop().run(OpenLoop.Schedule.burst(callers), burstAt, lead, i -> cache.get(KEY), probe,
          Duration.ofSeconds(30));
      // the Caffeine peers report no HIT or MISS events: -1, shown as "-"
      long misses = meter.events(Event.HIT) + meter.events(Event.MISS) == 0 ? -1 : meter.events(Event.MISS);
      Histogram h = probe.latency();
      return new Row(c.name(), callers, meter.loads(), misses, probe.errors(), probe.errorKinds(),
          meter.events(Event.STALE_SERVED),
          meter.peakLoads(), Probe.millis(h, 50), Probe.millis(h, 99), Probe.maxMillis(h),
          probe.maxStartLag() / 1e6);
    } finally {
      env.close();
    }
  }

  /*
   * How to run it alone:
   *
   *   mvn -B -ntp -P bench -pl jmh -am verify -DskipTests -Dbench.skipJmh=true -Dscenarios.only=callers-sweep
   */
}
