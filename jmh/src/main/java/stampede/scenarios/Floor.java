package stampede.scenarios;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import stampede.core.Nullable;
import stampede.report.Table;

/**
 * The floor of a rate-driven page: what the machine alone gives a call. A no-op call that answers at once goes
 * through the same generator and caller pool at the page's rate, before its contenders; its latency and the
 * generator's lag head the page, and a row whose p99 is within {@link #MARGIN} times the floor's p99 is marked
 * machine-bound: on this machine, at this rate, the strategy could not have shown a shorter tail.
 *
 * <p>To add it to a rate-driven scenario: measure it first ({@link #measure}), keep it in the scenario's record (its
 * {@code data} publishes {@link #data()}), put {@link #view()} under {@code floor} in the page's values, mark p99
 * cells with {@link #p99(double)}, and include {@code {{> floor}}} in the template after the question.
 *
 * @param seconds the measured window
 */
record Floor(double targetPerSecond, double seconds, double achievedPerSecond, boolean behind,
    double maxGeneratorLagMs, double p50ms, double p99ms, double maxMs) {

  /** A p99 at most this many times the floor's is machine-bound. */
  static final double MARGIN = 2.0;

  /** Runs the no-op call at {@code rate}: 0.5 s of warm-up, then 1 s (smoke), 3 s (quick) or 5 s (full). */
  static Floor measure(Context ctx, double rate) {
    if (!(rate > 0)) { // no contender to run (-Dbench.strategies kept none here): no floor either
      return new Floor(0, 0, Double.NaN, false, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
    }
    Duration window = ctx.profile().pick(Duration.ofSeconds(1), Duration.ofSeconds(3), Duration.ofSeconds(5));
    Steady s = Steady.run(ctx, Context.database(1, 1_000), List.of(), rate, Duration.ofMillis(500), window, i -> { });
    Floor f = new Floor(rate, window.toMillis() / 1000.0, s.result().achievedPerSecond(), s.result().behind(),
        s.result().maxLagNanos() / 1e6, s.p(50), s.p(99), s.max());
    ctx.log("floor %s/s: achieved %s/s, p50 %s ms, p99 %s ms, max %s ms, generator max lag %s ms", Table.rate(rate),
        s.achieved(), Table.ms(f.p50ms()), Table.ms(f.p99ms()), Table.ms(f.maxMs()), Table.ms(f.maxGeneratorLagMs()));
    return f;
  }

  /** True if {@code p99ms} is within {@link #MARGIN} of the floor's p99. */
  boolean machineBound(double p99ms) {
    return !Double.isNaN(p99ms) && !Double.isNaN(this.p99ms) && p99ms <= MARGIN * this.p99ms;
  }

  /** A p99 cell: the value, marked "(floor)" when it is machine-bound. */
  String p99(double p99ms) {
    return Table.ms(p99ms) + (machineBound(p99ms) ? " (floor)" : "");
  }

  /** For {@code scenarios.json}'s {@code data.floor}. */
  Map<String, Object> data() {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("targetPerSecond", targetPerSecond);
    d.put("seconds", seconds);
    d.put("achievedPerSecond", achievedPerSecond);
    d.put("behind", behind);
    d.put("maxGeneratorLagMs", maxGeneratorLagMs);
    d.put("p50ms", p50ms);
    d.put("p99ms", p99ms);
    d.put("maxMs", maxMs);
    d.put("margin", MARGIN);
    return d;
  }

  /** The values of {@code floor.mustache}; null (no block) if no floor was measured. */
  @Nullable Map<String, Object> view() {
    if (!(targetPerSecond > 0)) {
      return null;
    }
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("rate", Table.rate(targetPerSecond));
    v.put("seconds", Table.seconds(seconds));
    v.put("achieved", Steady.achieved(achievedPerSecond, behind));
    v.put("lag", Table.ms(maxGeneratorLagMs));
    v.put("p50", Table.ms(p50ms));
    v.put("p99", Table.ms(p99ms));
    v.put("max", Table.ms(maxMs));
    v.put("margin", Table.ratio(MARGIN));
    return v;
  }
}
