package stampede.scenarios;

import java.util.Collection;
import java.util.function.ToDoubleFunction;
import stampede.report.Table;

/**
 * A figure measured in several repeats of the same run: its lowest and highest value. Two figures differ by more than
 * the noise of repeats when their ranges do not overlap ({@link #separatedFrom}).
 */
public record Spread(double min, double max, int repeats) {

  /** The spread of {@code f} over {@code runs} (NaN values left out; NaN if none is left). */
  public static <T> Spread of(Collection<T> runs, ToDoubleFunction<T> f) {
    double min = Double.NaN;
    double max = Double.NaN;
    for (T r : runs) {
      double v = f.applyAsDouble(r);
      if (!Double.isNaN(v)) {
        min = Double.isNaN(min) ? v : Math.min(min, v);
        max = Double.isNaN(max) ? v : Math.max(max, v);
      }
    }
    return new Spread(min, max, runs.size());
  }

  /** One measurement. */
  public static Spread one(double value) {
    return new Spread(value, value, 1);
  }

  /**
   * True if the two ranges do not overlap (neither is NaN) and both come from at least two repeats: a single
   * measurement has no noise to be above.
   */
  public boolean separatedFrom(Spread o) {
    return repeats >= 2 && o.repeats >= 2 && !Double.isNaN(min) && !Double.isNaN(o.min)
        && (max < o.min || o.max < min);
  }

  /** Milliseconds: "3.42" for one repeat or equal values, else "3.42-5.10" (lowest-highest). */
  public String ms() {
    return Table.ms(min).equals(Table.ms(max)) ? Table.ms(min) : Table.ms(min) + "-" + Table.ms(max);
  }

  /** A ratio: "1.00" or "0.91-1.00". */
  public String ratio() {
    return Table.ratio(min).equals(Table.ratio(max)) ? Table.ratio(min) : Table.ratio(min) + "-" + Table.ratio(max);
  }

  /** A rate: "10,000" or "9,990-10,000". */
  public String rate() {
    return Table.rate(min).equals(Table.rate(max)) ? Table.rate(min) : Table.rate(min) + "-" + Table.rate(max);
  }
}
