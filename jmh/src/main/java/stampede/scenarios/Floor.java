package stampede.scenarios;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import stampede.core.Nullable;
import stampede.report.Table;

/**
 * The floor of a rate-driven page: what the machine alone gives a call. A no-op call that answers at once goes
 * through the same generator and caller pool at the page's rate, in the same run as its contenders; its latency and
 * the generator's lag head the page, and {@link MachineBound} (the rule it carries) marks the rows whose latency the
 * machine, not the strategy, set.
 *
 * <p>To add it to a rate-driven scenario: measure it first ({@link #measure}; in a repeated scenario once per repeat,
 * then {@link #across} them), keep it in the scenario's record (its {@code data} publishes {@link #data()}), put
 * {@link #view()} under {@code floor} in the page's values, write p99 cells with {@link #p99(double, double)} (a
 * row's p99 and its generator's largest lag) or {@link #p99(Spread, double)}, and include {@code {{> floor}}} in the
 * template after the question.
 *
 * @param seconds the measured window (of one repeat)
 * @param p99s    the p99 of each repeat: {@link #p99ms} is the highest (the rule judges against the worst floor)
 * @param rule    the machine-bound rule of this run's settings
 */
record Floor(double targetPerSecond, double seconds, double achievedPerSecond, boolean behind,
    double maxGeneratorLagMs, double p50ms, double p99ms, double maxMs, Spread p99s, MachineBound rule) {

  /** Runs the no-op call at {@code rate}: 0.5 s of warm-up, then 1 s (smoke), 3 s (quick) or 5 s (full). */
  static Floor measure(Context ctx, double rate) {
    MachineBound rule = MachineBound.of(ctx.settings().calibration());
    if (!(rate > 0)) { // no contender to run (-Dbench.strategies kept none here): no floor either
      return new Floor(0, 0, Double.NaN, false, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
          Spread.one(Double.NaN), rule);
    }
    return measure(ctx, rate, Duration.ofMillis(500),
        ctx.profile().pick(Duration.ofSeconds(1), Duration.ofSeconds(3), Duration.ofSeconds(5)));
  }

  /** Runs the no-op call at {@code rate} for {@code window} after {@code warmup}. */
  static Floor measure(Context ctx, double rate, Duration warmup, Duration window) {
    MachineBound rule = MachineBound.of(ctx.settings().calibration());
    Steady s = Steady.run(ctx, Context.database(1, 1_000), List.of(), rate, warmup, window, i -> { });
    Floor f = new Floor(rate, window.toMillis() / 1000.0, s.result().achievedPerSecond(), s.result().behind(),
        s.result().maxLagNanos() / 1e6, s.p(50), s.p(99), s.max(), Spread.one(s.p(99)), rule);
    ctx.log("floor %s/s: achieved %s/s, p50 %s ms, p99 %s ms, max %s ms, generator max lag %s ms", Table.rate(rate),
        s.achieved(), Table.ms(f.p50ms()), Table.ms(f.p99ms()), Table.ms(f.maxMs()), Table.ms(f.maxGeneratorLagMs()));
    return f;
  }

  /** The floor of several repeats at one rate: the worst of each figure, and the spread of the p99s. */
  static Floor across(List<Floor> repeats) {
    Floor first = repeats.get(0);
    if (repeats.size() == 1) {
      return first;
    }
    return new Floor(first.targetPerSecond, first.seconds,
        repeats.stream().mapToDouble(Floor::achievedPerSecond).min().orElse(Double.NaN),
        repeats.stream().anyMatch(Floor::behind), max(repeats, Floor::maxGeneratorLagMs), max(repeats, Floor::p50ms),
        max(repeats, Floor::p99ms), max(repeats, Floor::maxMs), Spread.of(repeats, Floor::p99ms), first.rule);
  }

  private static double max(List<Floor> fs, java.util.function.ToDoubleFunction<Floor> f) {
    return fs.stream().mapToDouble(f).max().orElse(Double.NaN);
  }

  /** Whether (why) a row of this p99, whose generator lagged at most {@code lagMs} (NaN: unknown), is machine-bound. */
  MachineBound.Why judge(double p99ms, double lagMs) {
    return targetPerSecond > 0 ? rule.judge(this.p99ms, maxGeneratorLagMs, p99ms, lagMs) : MachineBound.Why.NO;
  }

  /** True if {@code p99ms} is within the rule's margin of the floor's p99. */
  boolean machineBound(double p99ms) {
    return judge(p99ms, Double.NaN) != MachineBound.Why.NO;
  }

  /** A p99 cell (the row's generator lag not known apart from the floor's): the value, and its mark. */
  String p99(double p99ms) {
    return p99(p99ms, Double.NaN);
  }

  /** A p99 cell: the value, marked "(machine-bound: floor)" or "(machine-bound: lag)" by the rule. */
  String p99(double p99ms, double lagMs) {
    return Table.ms(p99ms) + judge(p99ms, lagMs).mark();
  }

  /** A p99 cell of repeats: the range, marked by the rule (its highest value judged). */
  String p99(Spread p99, double lagMs) {
    return p99.ms() + judge(p99.max(), lagMs).mark();
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
    d.put("repeats", p99s.repeats());
    d.put("p99msMin", p99s.min());
    d.put("machineBound", rule.data());
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
    v.put("repeated", p99s.repeats() > 1 ? List.of(Map.of("repeats", p99s.repeats(), "p99s", p99s.ms())) : List.of());
    v.putAll(rule.view(p99ms, maxGeneratorLagMs));
    return v;
  }
}
