package stampede.settings;

/**
 * How the rate-driven scenario pages judge their rows against the floor measured in the same run (the settings of
 * {@code scenarios.calibration} in {@code reference.conf}; the rule itself is {@code stampede.scenarios.MachineBound}).
 *
 * @param p99Factor   a row whose p99 is at most {@code p99Factor} x the floor's p99 + {@code p99PlusMs} is
 *                    machine-bound
 * @param p99PlusMs   see {@code p99Factor}
 * @param lagMinMs    a row whose generator fell behind its schedule by more than the larger of {@code lagMinMs} and
 *                    {@code lagFactor} x the floor's largest lag, at any moment of its run, is machine-bound
 * @param lagFactor   see {@code lagMinMs}
 * @param repeats     how many times this profile runs each row of a repeated scenario (and its floor), interleaved
 * @param ladderPlusMs the Redis ladder: a step holds if, in at least one repeat, the Redis hits' p99 is at most the
 *                    machine-bound limit of the floor measured just before it plus this allowance for the round
 *                    trip, and in every repeat the generator kept its rate and no caller queued for a thread
 */
public record Calibration(double p99Factor, double p99PlusMs, double lagMinMs, double lagFactor, int repeats,
    double ladderPlusMs) {

  public Calibration {
    if (!(p99Factor >= 1) || !(p99PlusMs >= 0) || !(lagMinMs >= 0) || !(lagFactor >= 1) || repeats < 1
        || !(ladderPlusMs >= 0)) {
      throw new IllegalArgumentException("scenarios.calibration: factors >= 1, margins >= 0, repeats >= 1: "
          + p99Factor + ", " + p99PlusMs + ", " + lagMinMs + ", " + lagFactor + ", " + repeats + ", " + ladderPlusMs);
    }
  }
}
