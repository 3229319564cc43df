package stampede.scenarios;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;
import stampede.core.Counters;
import stampede.fixtures.Database;
import stampede.report.Table;

/**
 * A steady open-loop run at one rate: a warm-up (the JIT compiles, the first load fills the cache; not measured),
 * then the measured window. The database and counters are metered from the start of the window to the end of the
 * drain (so the loads of the last requests count), the caller pool's peak over the same window.
 *
 * @param result      what the generator did (achieved rate, lag)
 * @param latency     latency from the intended start of the measured requests (ns)
 * @param measured    measured requests
 * @param errors      errors among them
 * @param errorKinds  those errors by kind ({@link ErrorKinds})
 * @param meter       database and strategy counts in the window
 * @param peakCallers the most requests in flight at once in the window
 * @param exhausted   true if every caller thread was busy at some point (requests queued for one)
 */
record Steady(OpenLoop.Result result, Histogram latency, long measured, long errors, Map<String, Long> errorKinds,
    Meter meter, int peakCallers, boolean exhausted) {
  /** The schedule's origin is this long after {@link #run} is called (the window opener starts meanwhile). */
  static final Duration START_DELAY = Duration.ofMillis(20);

  static Steady run(Context ctx, Database db, List<Counters> counters, double perSecond, Duration warmup,
      Duration measure, OpenLoop.Call call) {
    long origin = ctx.now() + START_DELAY.toNanos();
    long from = origin + warmup.toNanos();
    Probe probe = new Probe().measureFrom(from);
    Meter meter = new Meter(db, counters);
    CallerPool pool = ctx.callers();
    Thread opener = new Thread(() -> {
      ctx.sleepUntil(from);
      meter.start();
      pool.resetPeak();
    }, "window-opener");
    opener.setDaemon(true);
    opener.start();
    OpenLoop.Result r = ctx.loop().run(OpenLoop.Schedule.rate(perSecond, warmup.plus(measure)), origin, call, probe,
        Duration.ofSeconds(30));
    try {
      opener.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    meter.stop();
    return new Steady(r, probe.latency(), probe.measured(), probe.measuredErrors(), probe.measuredErrorKinds(), meter,
        pool.peak(), pool.exhausted());
  }

  /** The achieved rate, flagged "(behind)" when the generator fell behind its schedule. */
  String achieved() {
    return achieved(result);
  }

  static String achieved(OpenLoop.Result result) {
    return achieved(result.achievedPerSecond(), result.behind());
  }

  /** An achieved rate, flagged "(behind)" when the generator fell behind its schedule. */
  static String achieved(double perSecond, boolean behind) {
    return Table.rate(perSecond) + (behind ? " (behind)" : "");
  }

  /** The peak of callers in flight, flagged "(pool exhausted)" when every caller thread was busy. */
  String callers() {
    return callers(peakCallers, exhausted);
  }

  /** A peak of callers in flight, flagged "(pool exhausted)" when every caller thread was busy. */
  static String callers(int peak, boolean exhausted) {
    return Table.count(peak) + (exhausted ? " (pool exhausted)" : "");
  }

  double p(double percentile) {
    return Probe.millis(latency, percentile);
  }

  double max() {
    return Probe.maxMillis(latency);
  }
}
