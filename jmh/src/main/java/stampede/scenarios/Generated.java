package stampede.scenarios;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the load generator did in a run where every strategy shares its schedule: the rate it achieved, whether it
 * fell behind ({@link OpenLoop.Result#behind()}), its largest lag behind the schedule.
 */
record Generated(double achievedPerSecond, boolean behind, double maxGeneratorLagMs) {

  static Generated of(OpenLoop.Result r) {
    return new Generated(r.achievedPerSecond(), r.behind(), r.maxLagNanos() / 1e6);
  }

  /** The three, as {@code scenarios.json}'s {@code data} starts with them. */
  Map<String, Object> data() {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("achievedPerSecond", achievedPerSecond);
    d.put("behind", behind);
    d.put("maxGeneratorLagMs", maxGeneratorLagMs);
    return d;
  }

  /** The achieved rate, flagged "(behind)". */
  String achieved() {
    return Steady.achieved(achievedPerSecond, behind);
  }
}
