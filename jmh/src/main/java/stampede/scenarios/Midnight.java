package stampede.scenarios;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import stampede.fixtures.BenchCache;
import stampede.fixtures.Contender;
import stampede.fixtures.Database;
import stampede.fixtures.Env;
import stampede.fixtures.HoldableTicker;
import stampede.fixtures.Keys;
import stampede.fixtures.StoreType;
import stampede.fixtures.peers.CaffeineAsyncGet;
import stampede.report.ChartSpec;
import stampede.report.Table;
import stampede.settings.Profile;

/**
 * Scenario 4, midnight: a million keys are written at once with one TTL (a nightly batch, a warm-up after a
 * deploy), then read at a fixed rate with Zipf popularity. Without jitter they all expire at the same instant and
 * every read misses at once; with +-10% jitter the expiries spread over a window of 20% of the TTL. What does the
 * database see, per 100 ms, and how many loads run at once?
 *
 * <p><b>Time is compressed</b>: the TTL is 10 s, standing for 1 hour (1 s here is 6 minutes there), so the
 * +-10% jitter window is 2 s (12 minutes there). Loads are not compressed: 10 ms each, so the jitter window is 200
 * times the load time (at least 100 keeps the spread from being an artefact of the compression). The database has a
 * pool of 100 connections (at most 10,000 loads a second): a load waits for a free connection, and that wait is in
 * the callers' latency.
 *
 * <p>"Written at once" is exact: the store's clock is held still ({@link HoldableTicker}) while the strategy itself
 * writes every key through its read path (an instant database), so every entry carries the same write time and,
 * without jitter, the same expiry, although writing a million entries takes seconds. Caffeine's AsyncCache is
 * warmed as a batch job warms it, with {@code put} (its loader would hand every key to its executor).
 *
 * <p><b>Sizes</b>: {@code quick} as above, 20,000 reads/s, reading from the end of the writes until 3 s after the
 * jitter window, one variant at a time: no jitter (CACHE_ASIDE), +-10% jitter (TTL_JITTER), single flight without
 * and with jitter, and Caffeine's AsyncCache (one load per key, no jitter); {@code full} adds the layered stack;
 * {@code smoke}: 20,000 keys, TTL 2 s, 2 ms loads, single flight with jitter only.
 */
final class Midnight implements Scenario {
  static final double JITTER = 0.1;

  @Override
  public String id() {
    return "midnight";
  }

  /** One contender's night: what {@code scenarios.json} publishes of it (loads per 100 ms included). */
  // ArrayRecordComponent: a measured series, written to JSON and charts; records of it are never compared or hashed
  @SuppressWarnings("ArrayRecordComponent")
  record Row(String strategy, long loadsAfterMidnight, long peakLoadsPer100ms, int peakConcurrentLoads, double p99ms,
      double p999ms, double maxMs, long errors, Map<String, Long> errorKinds, long requests, double achievedPerSecond,
      boolean behind, double maxGeneratorLagMs,
      double writeSeconds, double readsFromSeconds, int peakCallers, boolean callerPoolExhausted,
      long[] loadsPer100ms) { }

  /** The sizes of the night (see the class comment). */
  record Sizes(int keys, long ttlMs, long loadMs, int connections, double rate, long afterMs) {

    static Sizes of(Profile p) {
      return new Sizes(p.pick(20_000, 1_000_000, 1_000_000), p.pick(2_000L, 10_000L, 10_000L), p.pick(2L, 10L, 10L),
          p.pick(20, 100, 100), p.pick(5_000.0, 20_000.0, 20_000.0), p.pick(500L, 3_000L, 5_000L));
    }

    /** Where the chart starts, in seconds since the writes: a second before the jitter window. */
    double chartFromSeconds() {
      return ttlMs * (1 - JITTER) / 1000.0 - 1;
    }
  }

  /** Every contender's night. */
  record Result(List<Row> rows, Sizes sizes, Floor floor) implements Measured {

    @Override
    public Map<String, Object> data() {
      return Map.of("floor", floor.data());
    }

    @Override
    public Map<String, Object> view() {
      Sizes z = sizes;
      double windowS = 2 * JITTER * z.ttlMs() / 1000.0;
      Map<String, Object> v = new LinkedHashMap<>();
      v.put("floor", floor.view());
      v.put("keys", Table.count(z.keys()));
      v.put("ttlMs", Table.count(z.ttlMs()));
      v.put("compression", String.format(Locale.ROOT, "%,.0f", 3_600_000.0 / z.ttlMs()));
      v.put("minutesPerSecond", String.format(Locale.ROOT, "%.0f", 3_600_000.0 / z.ttlMs() / 60));
      v.put("windowSeconds", String.format(Locale.ROOT, "%.1f", windowS));
      v.put("loadMs", z.loadMs());
      v.put("windowLoads", String.format(Locale.ROOT, "%.0f", windowS * 1000 / z.loadMs()));
      v.put("rate", Table.rate(z.rate()));
      v.put("afterMs", Table.count(z.afterMs()));
      v.put("connections", z.connections());
      v.put("maxLoadsPerSecond", Table.count(z.connections() * 1000L / z.loadMs()));
      v.put("table", table());
      List<String> late = rows.stream().filter(r -> r.readsFromSeconds() > z.chartFromSeconds() + 1)
          .map(Row::strategy).toList();
      v.put("late", late.isEmpty() ? List.of() : List.of(String.join(", ", late)));
      v.put("errorKinds", ErrorKinds.view(rows.stream().map(r -> Map.entry(r.strategy(), r.errorKinds())).toList()));
      return v;
    }

    Table table() {
      Table t = new Table("strategy", ">loads after midnight", ">peak loads per 100 ms", ">peak loads/s",
          ">peak concurrent loads", ">p99 ms", ">p99.9 ms", ">max ms", ">errors", ">achieved reads/s",
          ">generator max lag ms", ">peak callers in flight", ">reads from");
      for (Row r : rows) {
        t.row(r.strategy(), Table.count(r.loadsAfterMidnight()), Table.count(r.peakLoadsPer100ms()),
            Table.count(r.peakLoadsPer100ms() * 10), Table.count(r.peakConcurrentLoads()),
            floor.p99(r.p99ms(), r.maxGeneratorLagMs()), Table.ms(r.p999ms()), Table.ms(r.maxMs()),
            Table.percent(r.errors(), r.requests()), Steady.achieved(r.achievedPerSecond(), r.behind()),
            Table.ms(r.maxGeneratorLagMs()), Steady.callers(r.peakCallers(),
            r.callerPoolExhausted()), Table.seconds(r.readsFromSeconds()));
      }
      return t;
    }

    /** Database loads per 100 ms from a second before the jitter window, midnight and the window marked. */
    @Override
    public ChartSpec chart() {
      long ttlMs = sizes.ttlMs();
      ChartSpec chart = ChartSpec.lines(String.format(Locale.ROOT, "Midnight: database loads per 100 ms (%,d keys, "
          + "TTL %d s standing for 1 h)", sizes.keys(), ttlMs / 1000), "seconds since every key was written",
          "loads per 100 ms", false, false);
      int from = (int) Math.max(0, sizes.chartFromSeconds() * 10);
      for (Row r : rows) {
        long[] b = r.loadsPer100ms();
        double[] x = new double[b.length - from];
        double[] y = new double[b.length - from];
        for (int i = from; i < b.length; i++) {
          x[i - from] = i / 10.0;
          y[i - from] = b[i];
        }
        chart.line(r.strategy(), x, y, false);
      }
      return chart.vertical(ttlMs / 1000.0).vertical(ttlMs * (1 - JITTER) / 1000.0)
          .vertical(ttlMs * (1 + JITTER) / 1000.0);
    }
  }

  @Override
  public Result run(Context ctx) throws Exception {
    Sizes sizes = Sizes.of(ctx.profile());
    Keys keySpace = new Keys("m", sizes.keys(), "ZIPF");
    String[] all = keySpace.all();
    Floor floor = Floor.measure(ctx, sizes.rate());
    List<Row> rows = new ArrayList<>();
    for (Contender c : ctx.contenders(id(), StoreType.CAFFEINE)) {
      rows.add(night(ctx, c, all, keySpace, sizes));
    }
    return new Result(rows, sizes, floor);
  }

  /** One contender: every key written at one instant, then read until after the jitter window. */
  Row night(Context ctx, Contender c, String[] all, Keys keySpace, Sizes z) throws InterruptedException {
    long ttl = TimeUnit.MILLISECONDS.toNanos(z.ttlMs());
    Database db = new Database(z.loadMs() * 1_000_000L, z.loadMs() * 1_000_000L, ttl / 2);
    HoldableTicker clock = new HoldableTicker();
    Env env = Env.builder(StoreType.CAFFEINE, db, Duration.ofMillis(z.ttlMs())).jitter(JITTER).storeTicker(clock)
        .maximumSize(2L * all.length).loaderThreads(z.connections()).metrics(ctx.meters(c.name())).build();
    try {
      BenchCache cache = c.create(env);
      db.setFast(true);
      long writtenAt = clock.hold();
      double writeSeconds = writeAll(cache, db, all);
      // the million entries move to the old generation now, not in young collections while the reads are measured
      System.gc();
      clock.release();
      db.setFast(false);
      db.pool(z.connections());
      long end = writtenAt + (long) (ttl * (1 + JITTER)) + TimeUnit.MILLISECONDS.toNanos(z.afterMs());
      Timeline loads = new Timeline(Duration.ofMillis(100), Duration.ofNanos(end - writtenAt + 2_000_000_000L));
      loads.start(writtenAt);
      db.listener((key, at) -> loads.record(at));
      db.resetPeak();
      return read(ctx, c.name(), cache, db, keySpace, z, writtenAt, end, loads, writeSeconds);
    } finally {
      db.listener(null);
      env.close();
    }
  }

  /** Writes every key through the strategy, on two threads; returns how long it took, in seconds. */
  static double writeAll(BenchCache cache, Database db, String[] all) throws InterruptedException {
    long w0 = System.nanoTime();
    Thread[] writers = new Thread[2];
    for (int w = 0; w < writers.length; w++) {
      int first = w;
      writers[w] = new Thread(() -> {
        for (int i = first; i < all.length; i += writers.length) {
          if (cache instanceof CaffeineAsyncGet peer) {
            peer.put(all[i], db.loadUnchecked(all[i])); // a batch warms Caffeine with put, not through its loader
          } else {
            cache.get(all[i]);
          }
        }
      }, "midnight-writer-" + w);
      writers[w].start();
    }
    for (Thread t : writers) {
      t.join();
    }
    return (System.nanoTime() - w0) / 1e9;
  }

  /** The reads: from now until {@code end} (at least a second), at the night's rate, Zipf over the keys. */
  Row read(Context ctx, String name, BenchCache cache, Database db, Keys keySpace, Sizes z, long writtenAt, long end,
      Timeline loads, double writeSeconds) {
    long ttl = TimeUnit.MILLISECONDS.toNanos(z.ttlMs());
    long origin = ctx.now() + TimeUnit.MILLISECONDS.toNanos(10);
    ctx.callers().resetPeak();
    Probe probe = new Probe();
    // reads run until the end planned from the write instant; if writing ran that late (a very slow machine), they
    // still run a second, and the row says when they started
    Duration reads = Duration.ofNanos(Math.max(end - origin, TimeUnit.SECONDS.toNanos(1)));
    OpenLoop.Result r = ctx.loop().run(OpenLoop.Schedule.rate(z.rate(), reads), origin,
        i -> cache.get(keySpace.next()), probe, Duration.ofSeconds(60));
    long loadsAfter = loads.sum((long) (ttl * (1 - JITTER)), Long.MAX_VALUE);
    Histogram h = probe.latency();
    Row row = new Row(name, loadsAfter, loads.max(0, Long.MAX_VALUE), db.peakConcurrentLoads(), Probe.millis(h, 99),
        Probe.millis(h, 99.9), Probe.maxMillis(h), probe.errors(), probe.errorKinds(), probe.measured(),
        r.achievedPerSecond(),
        r.behind(), r.maxLagNanos() / 1e6, writeSeconds, (origin - writtenAt) / 1e9, ctx.callers().peak(),
        ctx.callers().exhausted(),
        loads.buckets());
    ctx.log("midnight %-22s wrote %,d keys in %.1f s; after midnight %,d loads, peak %,d per 100 ms, %,d at once, "
            + "p99 %s ms, achieved %s/s", name, z.keys(), writeSeconds, loadsAfter, row.peakLoadsPer100ms(),
        row.peakConcurrentLoads(), Table.ms(row.p99ms()), Steady.achieved(r));
    return row;
  }

  /*
   * How to run it alone:
   *
   *   mvn -B -ntp -P bench -pl jmh -am verify -DskipTests -Dbench.skipJmh=true -Dscenarios.only=midnight
   */
}
