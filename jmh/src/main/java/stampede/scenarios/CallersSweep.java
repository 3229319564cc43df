package stampede.scenarios;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.knowm.xchart.XYChart;
import stampede.core.Event;
import stampede.fixtures.BenchCache;
import stampede.fixtures.Database;
import stampede.fixtures.Env;
import stampede.fixtures.StoreType;
import stampede.fixtures.StrategyType;
import stampede.fixtures.Contender;
import stampede.fixtures.HoldableTicker;
import stampede.report.Table;
import stampede.report.Charts;
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

  /** One point: a strategy, C callers. */
  record Point(String strategy, int callers, long loads, long misses, long errors, long stale, Histogram latency,
      double lastStartMs, int peakLoads) { }

  @Override
  public Report run(Context ctx) throws Exception {
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

    Map<String, List<Point>> points = new LinkedHashMap<>();
    for (Contender c : contenders) {
      List<Point> line = new ArrayList<>();
      for (int n : counts) {
        Point p = burst(ctx, c, n);
        line.add(p);
        ctx.log("callers-sweep %-28s %,6d callers: %,6d loads, p99 %s ms, last start %.1f ms", c.name(), n, p.loads,
            Table.ms(Probe.millis(p.latency, 99)), p.lastStartMs);
      }
      points.put(c.name(), line);
    }
    return report(counts, points);
  }

  /** One expiry: the key written a TTL before the burst, then {@code callers} requests 20 ms after it expired. */
  Point burst(Context ctx, Contender c, int callers) {
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
      return new Point(c.name(), callers, meter.loads(), misses, probe.errors(),
          meter.events(Event.STALE_SERVED), probe.latency(), probe.maxStartLag() / 1e6, meter.peakLoads());
    } finally {
      env.close();
    }
  }

  Report report(int[] counts, Map<String, List<Point>> points) {
    Report r = new Report(id(), "Callers sweep: C callers on one expired key",
        "C callers read one key at the instant it has expired (stale by 20 ms); the load takes 50 ms. How many loads "
            + "does that one expiry cost, and how long do the callers wait?");
    StringBuilder cs = new StringBuilder();
    for (int c : counts) {
      cs.append(cs.length() == 0 ? "" : ", ").append(Table.count(c));
    }
    r.setup("Callers", cs + " (as many caller threads, all requests intended at one instant; platform threads with "
        + "256 KB stacks, on JDK " + Runtime.version().feature() + ": the runner uses no virtual threads, so the "
        + "default commands run as they are on JDK 17)")
        .setup("Store", "Caffeine, in process; every strategy and Caffeine peer (the jitter twins left out), a fresh "
            + "cache per point")
        .setup("Database", "a 50 ms load (parks), unbounded connections")
        .setup("TTL", "5 s; the key was loaded once by the strategy a TTL before the burst (the store's clock held "
            + "back), so it expired 20 ms before the callers arrive; no jitter (one key, one expiry)")
        .setup("Loads per expiry", "loader calls from the expiry until the last caller had its answer (one expiry)");

    String[] loadCols = new String[counts.length + 4];
    loadCols[0] = "strategy";
    for (int i = 0; i < counts.length; i++) {
      loadCols[i + 1] = ">" + Table.count(counts[i]) + (counts[i] == 1 ? " caller" : " callers");
    }
    int big = counts[counts.length - 1];
    loadCols[counts.length + 1] = ">missed at " + Table.count(big);
    loadCols[counts.length + 2] = ">errors at " + Table.count(big);
    loadCols[counts.length + 3] = ">stale at " + Table.count(big);
    Table loads = new Table(loadCols);
    String[] waitCols = new String[counts.length + 2];
    waitCols[0] = "strategy";
    for (int i = 0; i < counts.length; i++) {
      waitCols[i + 1] = ">" + Table.count(counts[i]) + ": p50 / p99 / max";
    }
    waitCols[counts.length + 1] = ">last caller started at " + Table.count(big);
    Table waits = new Table(waitCols);

    XYChart chart = Charts.lines("Loads per expiry against concurrent callers (50 ms load, one key)",
        "concurrent callers on the expired key", "loads for the one expiry", true, true);
    double[] x = new double[counts.length];
    for (int i = 0; i < counts.length; i++) {
      x[i] = counts[i];
    }
    List<String> noLine = new ArrayList<>();
    for (Map.Entry<String, List<Point>> e : points.entrySet()) {
      List<Point> line = e.getValue();
      Object[] lr = new Object[counts.length + 4];
      Object[] wr = new Object[counts.length + 2];
      lr[0] = e.getKey();
      wr[0] = e.getKey();
      double[] y = new double[counts.length];
      for (int i = 0; i < line.size(); i++) {
        Point p = line.get(i);
        y[i] = p.loads;
        lr[i + 1] = Table.count(p.loads);
        wr[i + 1] = Table.ms(Probe.millis(p.latency, 50)) + " / " + Table.ms(Probe.millis(p.latency, 99)) + " / "
            + Table.ms(Probe.maxMillis(p.latency));
        Map<String, Object> row = r.row();
        row.put("strategy", p.strategy);
        row.put("callers", p.callers);
        row.put("loads", p.loads);
        row.put("misses", p.misses);
        row.put("errors", p.errors);
        row.put("staleServed", p.stale);
        row.put("peakConcurrentLoads", p.peakLoads);
        row.put("p50ms", Probe.millis(p.latency, 50));
        row.put("p99ms", Probe.millis(p.latency, 99));
        row.put("maxMs", Probe.maxMillis(p.latency));
        row.put("lastCallerStartedMs", p.lastStartMs);
      }
      Point last = line.get(line.size() - 1);
      lr[counts.length + 1] = last.misses < 0 ? "-" : Table.count(last.misses);
      lr[counts.length + 2] = Table.count(last.errors);
      lr[counts.length + 3] = Table.count(last.stale);
      wr[counts.length + 1] = Table.ms(last.lastStartMs) + " ms";
      loads.row(lr);
      waits.row(wr);
      if (Charts.line(chart, e.getKey(), x, y, true) == null) {
        noLine.add(e.getKey());
      }
    }
    r.table("Loads for the one expiry, by number of callers:", loads);
    r.table("Wait from the expiry instant (ms), by number of callers:", waits);
    r.chart(chart);
    r.note("*missed*: callers that found no fresh value (the strategy's MISS events; the Caffeine peers report none: "
        + "-); cache-aside loads once per miss. *stale*: callers answered with the expired value (stale-while-revalidate, stale-if-error). "
        + "*errors*: callers that got an exception (a rate limit's \"too many requests\", say).");
    r.note("*last caller started*: how long after the expiry instant the last caller thread ran its request. The "
        + "callers are handed over ahead and woken by their own timers, but on 2 cores thousands of threads cannot all "
        + "run within a few milliseconds; a caller that starts after the first load wrote the value gets a hit, so "
        + "at 10,000 callers cache-aside's loads count the callers that arrived during the load, not all of them.");
    if (!noLine.isEmpty()) {
      r.note("Not on the log-log chart (0 loads at every point: the key was refreshed before it expired, or every "
          + "caller got the stale value and its refresh had not started): " + String.join(", ", noLine) + ".");
    }
    return r;
  }

  /*
   * How to run it alone:
   *
   *   mvn -B -ntp -P bench -pl jmh -am verify -DskipTests -Dbench.skipJmh=true -Dscenarios.only=callers-sweep
   */
}
