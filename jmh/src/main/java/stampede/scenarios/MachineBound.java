package stampede.scenarios;

import java.util.LinkedHashMap;
import java.util.Map;
import stampede.report.Table;
import stampede.settings.Calibration;

/**
 * The rule that marks a row of a rate-driven page "machine-bound": on this machine, at this rate, its latency says
 * nothing about the strategy, so the page does not rank it. Judged against the {@link Floor} measured in the same
 * run at the same rate (a no-op call through the same generator and caller pool):
 * <ul>
 *   <li><b>floor</b>: its p99 is at most {@code p99Factor} x the floor's p99 + {@code p99PlusMs} (defaults 2 x and
 *       1 ms): no shorter tail could have been seen;</li>
 *   <li><b>lag</b>: the generator fell more than the larger of {@code lagMinMs} and {@code lagFactor} x the floor's
 *       largest lag (defaults 20 ms and 2 x) behind its schedule at any moment of the row's run, even if it caught
 *       up later: its requests left late, and their latency counts the machine's stall.</li>
 * </ul>
 * The margins are settings ({@code scenarios.calibration} in {@code reference.conf}, {@link Calibration}).
 *
 * <p>To use it in a scenario: measure the floor first ({@link Floor#measure}, once per repeat and
 * {@link Floor#across} them), keep each row's p99 and its generator's max lag, and write its p99 cell with
 * {@link Floor#p99(double, double)} or {@link Floor#p99(Spread, double)}; rank with {@link Ranking}, which leaves
 * machine-bound rows out. The page's {@code {{> floor}}} states the floor and this rule.
 */
public record MachineBound(double p99Factor, double p99PlusMs, double lagMinMs, double lagFactor) {

  /** Why a row is machine-bound. */
  public enum Why {
    NO(""), FLOOR(" (machine-bound: floor)"), LAG(" (machine-bound: lag)");

    final String mark;

    Why(String mark) {
      this.mark = mark;
    }

    /** What a p99 cell carries after its value. */
    public String mark() {
      return mark;
    }
  }

  public static MachineBound of(Calibration c) {
    return new MachineBound(c.p99Factor(), c.p99PlusMs(), c.lagMinMs(), c.lagFactor());
  }

  /** The highest p99 that is machine-bound, given the floor's p99. */
  public double p99Limit(double floorP99ms) {
    return p99Factor * floorP99ms + p99PlusMs;
  }

  /** The highest generator lag that is not, given the floor's largest lag. */
  public double lagLimit(double floorLagMs) {
    return Math.max(lagMinMs, lagFactor * (Double.isNaN(floorLagMs) ? 0 : floorLagMs));
  }

  /**
   * Judges a row of p99 {@code p99ms} whose generator lagged at most {@code lagMs} (NaN: not known) against a floor
   * of p99 {@code floorP99ms} and lag {@code floorLagMs}; with no floor (NaN) nothing is machine-bound. The lag wins
   * over the floor when both hold.
   */
  public Why judge(double floorP99ms, double floorLagMs, double p99ms, double lagMs) {
    if (Double.isNaN(floorP99ms)) {
      return Why.NO;
    }
    if (!Double.isNaN(lagMs) && lagMs > lagLimit(floorLagMs)) {
      return Why.LAG;
    }
    return !Double.isNaN(p99ms) && p99ms <= p99Limit(floorP99ms) ? Why.FLOOR : Why.NO;
  }

  /** The rule's settings, for {@code scenarios.json}. */
  Map<String, Object> data() {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("p99Factor", p99Factor);
    d.put("p99PlusMs", p99PlusMs);
    d.put("lagMinMs", lagMinMs);
    d.put("lagFactor", lagFactor);
    return d;
  }

  /** The rule's values for {@code floor.mustache}, its limits computed for a floor of this p99 and lag. */
  Map<String, Object> view(double floorP99ms, double floorLagMs) {
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("p99Factor", Table.ratio(p99Factor));
    v.put("p99PlusMs", Table.ms(p99PlusMs));
    v.put("p99Limit", Table.ms(p99Limit(floorP99ms)));
    v.put("lagMinMs", Table.ms(lagMinMs));
    v.put("lagFactor", Table.ratio(lagFactor));
    v.put("lagLimit", Table.ms(lagLimit(floorLagMs)));
    return v;
  }
}
