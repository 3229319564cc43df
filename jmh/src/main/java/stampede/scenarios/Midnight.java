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
import stampede.fixtures.BenchCache;
import stampede.fixtures.Database;
import stampede.fixtures.Env;
import stampede.fixtures.Keys;
import stampede.fixtures.StoreType;
import stampede.fixtures.StrategyType;
import stampede.fixtures.peers.CaffeineAsyncGet;
import stampede.fixtures.Contender;
import stampede.fixtures.HoldableTicker;
import stampede.report.Table;
import stampede.report.Charts;
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

  record Row(String strategy, long writtenAt, Timeline loads, int peakConcurrent, long loadsAfter,
      OpenLoop.Result generator, Histogram latency, long errors, long requests, double writeSeconds,
      double readFromSeconds, int peakCallers, boolean exhausted) { }

  @Override
  public Report run(Context ctx) throws Exception {
    Profile p = ctx.profile();
    int keys = p.pick(20_000, 1_000_000, 1_000_000);
    long ttlMs = p.pick(2_000L, 10_000L, 10_000L);
    long loadMs = p.pick(2L, 10L, 10L);
    int connections = p.pick(20, 100, 100);
    double rate = p.pick(5_000.0, 20_000.0, 20_000.0);
    long afterMs = p.pick(500L, 3_000L, 5_000L);
    List<Contender> contenders = ctx.contenders(id(), StoreType.CAFFEINE);
    Keys keySpace = new Keys("m", keys, "ZIPF");
    String[] all = keySpace.all();

    List<Row> rows = new ArrayList<>();
    for (Contender c : contenders) {
      rows.add(night(ctx, c, all, keySpace, ttlMs, loadMs, connections, rate, afterMs));
    }
    return report(rows, keys, ttlMs, loadMs, connections, rate, afterMs);
  }

  Row night(Context ctx, Contender c, String[] all, Keys keySpace, long ttlMs, long loadMs, int connections,
      double rate, long afterMs) throws InterruptedException {
    long ttl = TimeUnit.MILLISECONDS.toNanos(ttlMs);
    Database db = new Database(loadMs * 1_000_000L, loadMs * 1_000_000L, ttl / 2);
    HoldableTicker clock = new HoldableTicker();
    Env env = Env.builder(StoreType.CAFFEINE, db, Duration.ofMillis(ttlMs)).jitter(JITTER).storeTicker(clock)
        .maximumSize(2L * all.length).loaderThreads(connections).metrics(ctx.meters(c.name())).build();
    try {
      BenchCache cache = c.create(env);
      db.setFast(true);
      long writtenAt = clock.hold();
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
      double writeSeconds = (System.nanoTime() - w0) / 1e9;
      // the million entries move to the old generation now, not in young collections while the reads are measured
      System.gc();
      clock.release();
      db.setFast(false);
      db.pool(connections);
      long end = writtenAt + (long) (ttl * (1 + JITTER)) + TimeUnit.MILLISECONDS.toNanos(afterMs);
      Timeline loads = new Timeline(Duration.ofMillis(100), Duration.ofNanos(end - writtenAt + 2_000_000_000L));
      loads.start(writtenAt);
      db.listener((key, at) -> loads.record(at));
      db.resetPeak();
      long origin = ctx.now() + TimeUnit.MILLISECONDS.toNanos(10);
      ctx.callers().resetPeak();
      Probe probe = new Probe();
      // reads run until the end planned from the write instant; if writing ran that late (a very slow machine), they
      // still run a second, and the row says when they started
      Duration reads = Duration.ofNanos(Math.max(end - origin, TimeUnit.SECONDS.toNanos(1)));
      OpenLoop.Result r = ctx.loop().run(OpenLoop.Schedule.rate(rate, reads), origin,
          i -> cache.get(keySpace.next()), probe, Duration.ofSeconds(60));
      long loadsAfter = loads.sum((long) (ttl * (1 - JITTER)), Long.MAX_VALUE);
      Row row = new Row(c.name(), writtenAt, loads, db.peakConcurrentLoads(), loadsAfter, r,
          probe.latency(), probe.errors(), probe.measured(), writeSeconds, (origin - writtenAt) / 1e9,
          ctx.callers().peak(), ctx.callers().exhausted());
      ctx.log("midnight %-22s wrote %,d keys in %.1f s; after midnight %,d loads, peak %,d per 100 ms, %,d at once, "
              + "p99 %s ms, achieved %s/s", c.name(), all.length, writeSeconds, loadsAfter,
          loads.max(0, Long.MAX_VALUE), row.peakConcurrent(), Table.ms(Probe.millis(row.latency(), 99)),
          Steady.achieved(row.generator()));
      return row;
    } finally {
      db.listener(null);
      env.close();
    }
  }

  Report report(List<Row> rows, int keys, long ttlMs, long loadMs, int connections, double rate, long afterMs) {
    double windowS = 2 * JITTER * ttlMs / 1000.0;
    Report r = new Report(id(), "Midnight: a million keys expiring together",
        "Every key is written at one instant with one TTL, then read at a fixed rate with Zipf popularity. What does "
            + "the database see when they expire: loads per 100 ms, the most loads at once, the peak load rate?");
    r.setup("Keys", String.format(Locale.ROOT, "%,d, written at one instant of the store's clock by the strategy "
        + "itself", keys))
        .setup("Scale", String.format(Locale.ROOT, "time compressed: TTL %,d ms stands for 1 hour (x%,.0f: 1 s here "
            + "= %.0f min there); jitter +-10%% = a %.1f s window; loads not compressed, %d ms each, so the window is "
            + "%.0f x the load time", ttlMs, 3_600_000.0 / ttlMs, 3_600_000.0 / ttlMs / 60, windowS, loadMs,
            windowS * 1000 / loadMs))
        .setup("Reads", String.format(Locale.ROOT, "%,.0f/s, Zipf (exponent 1) over the keys, from the end of the "
            + "writes until %,d ms after the jitter window", rate, afterMs))
        .setup("Database", String.format(Locale.ROOT, "%d ms per load, a pool of %d connections (at most %,d loads/s; "
            + "a load waits for a connection, FIFO)", loadMs, connections, connections * 1000 / loadMs))
        .setup("Store", String.format(Locale.ROOT, "Caffeine, in process; %d loader threads (the async peer's "
            + "loads), as many as connections; a full GC after the writes, so that no young collection copies the "
            + "million entries while reads are measured", connections));
    Table t = new Table("strategy", ">loads after midnight", ">peak loads per 100 ms", ">peak loads/s",
        ">peak concurrent loads", ">p99 ms", ">p99.9 ms", ">max ms", ">errors", ">achieved reads/s",
        ">peak callers in flight", ">reads from");
    List<String> late = new ArrayList<>();
    XYChart chart = Charts.lines("Midnight: database loads per 100 ms (" + String.format(Locale.ROOT, "%,d", keys)
        + " keys, TTL " + ttlMs / 1000 + " s standing for 1 h)", "seconds since every key was written",
        "loads per 100 ms", false, false);
    double fromS = ttlMs * (1 - JITTER) / 1000.0 - 1;
    for (Row row : rows) {
      Timeline tl = row.loads();
      long peak100 = tl.max(0, Long.MAX_VALUE);
      t.row(row.strategy(), Table.count(row.loadsAfter()), Table.count(peak100), Table.count(peak100 * 10),
          Table.count(row.peakConcurrent()), Table.ms(Probe.millis(row.latency(), 99)),
          Table.ms(Probe.millis(row.latency(), 99.9)), Table.ms(Probe.maxMillis(row.latency())),
          Table.percent(row.errors(), row.requests()), Steady.achieved(row.generator()),
          Table.count(row.peakCallers()) + (row.exhausted() ? " (pool exhausted)" : ""),
          String.format(Locale.ROOT, "%.1f s", row.readFromSeconds()));
      if (row.readFromSeconds() > fromS + 1) {
        late.add(row.strategy());
      }
      int from = (int) Math.max(0, fromS * 10);
      int to = tl.size();
      double[] x = new double[to - from];
      double[] y = new double[to - from];
      for (int i = from; i < to; i++) {
        x[i - from] = i / 10.0;
        y[i - from] = tl.get(i);
      }
      Charts.line(chart, row.strategy(), x, y, false);
      Map<String, Object> d = r.row();
      d.put("strategy", row.strategy());
      d.put("loadsAfterMidnight", row.loadsAfter());
      d.put("peakLoadsPer100ms", peak100);
      d.put("peakConcurrentLoads", row.peakConcurrent());
      d.put("p99ms", Probe.millis(row.latency(), 99));
      d.put("p999ms", Probe.millis(row.latency(), 99.9));
      d.put("maxMs", Probe.maxMillis(row.latency()));
      d.put("errors", row.errors());
      d.put("requests", row.requests());
      d.put("achievedPerSecond", row.generator().achievedPerSecond());
      d.put("behind", row.generator().behind());
      d.put("writeSeconds", row.writeSeconds());
      d.put("readsFromSeconds", row.readFromSeconds());
      d.put("peakCallers", row.peakCallers());
      d.put("callerPoolExhausted", row.exhausted());
      d.put("loadsPer100ms", tl.buckets());
    }
    chart.addAnnotation(new AnnotationLine(ttlMs / 1000.0, true, false));
    chart.addAnnotation(new AnnotationLine(ttlMs * (1 - JITTER) / 1000.0, true, false));
    chart.addAnnotation(new AnnotationLine(ttlMs * (1 + JITTER) / 1000.0, true, false));
    r.table(null, t);
    r.chart(chart);
    r.note("The vertical lines mark midnight (the TTL) and the jitter window around it. *Loads after midnight*: loads "
        + "from the start of the jitter window to the end of the run. *Peak loads/s*: the busiest 100 ms x 10. "
        + "*Peak concurrent loads*: the most loader calls in the database at once, those waiting for a connection "
        + "included (the pool runs at most " + connections + ").");
    r.note("*reads from*: when reading started, in seconds since the keys were written (writing a million entries "
        + "takes seconds; midnight stays at the TTL whatever it took). *Peak callers in flight* is flagged \"(pool "
        + "exhausted)\" when all the caller threads were blocked, waiting for the database, and later reads queued.");
    if (!late.isEmpty()) {
      r.note("Writing took so long that reading started after the jitter window opened for: " + String.join(", ", late)
          + "; the start of their spike is missing.");
    }
    r.note("With Zipf popularity most keys are read rarely: after midnight each key's first read loads it, so the "
        + "database keeps loading cold keys long after the hot ones are back; jitter spreads when that starts.");
    return r;
  }

  /*
   * How to run it alone:
   *
   *   mvn -B -ntp -P bench -pl jmh -am verify -DskipTests -Dbench.skipJmh=true -Dscenarios.only=midnight
   */
}
