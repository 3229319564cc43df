package stampede.report;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import stampede.core.Nullable;

/**
 * A chart as data, apart from drawing it: its kind, titles, axes and series. A scenario says what to draw;
 * {@link ChartWriter} draws it with XChart. Two kinds: {@link #lines} (one line per strategy, optional logarithmic
 * axes, vertical marker lines) and {@link #bars} (one bar per category and series, hot-key style).
 */
public final class ChartSpec {
  /** Lines or bars. */
  public enum Kind { LINES, BARS }

  /** One line: its points; {@code markers} draws a circle on each (few points) or none (a time series). */
  // ArrayRecordComponent: a measured series, written to JSON and charts; records of it are never compared or hashed
  @SuppressWarnings("ArrayRecordComponent")
  public record Line(String name, double[] x, double[] y, boolean markers) { }

  /** One series of bars, a value per category; a null value draws no bar. */
  public record Bars(String name, List<Double> y) { }

  private final Kind kind;
  private final String title;
  private final String xTitle;
  private final String yTitle;
  private final boolean logX;
  private final boolean logY;
  private final List<String> categories;
  private final List<Line> lines = new ArrayList<>();
  private final List<Bars> bars = new ArrayList<>();
  private final List<Double> verticals = new ArrayList<>();
  private double @Nullable [] xRange;
  private double @Nullable [] yRange;

  private ChartSpec(Kind kind, String title, String xTitle, String yTitle, boolean logX, boolean logY,
      List<String> categories) {
    this.kind = kind;
    this.title = title;
    this.xTitle = xTitle;
    this.yTitle = yTitle;
    this.logX = logX;
    this.logY = logY;
    this.categories = categories;
  }

  /** A line chart, optionally with logarithmic axes. */
  public static ChartSpec lines(String title, String xTitle, String yTitle, boolean logX, boolean logY) {
    return new ChartSpec(Kind.LINES, title, xTitle, yTitle, logX, logY, List.of());
  }

  /** A bar chart over {@code categories} (the x axis), optionally on a logarithmic y axis. */
  public static ChartSpec bars(String title, String xTitle, String yTitle, boolean logY, List<String> categories) {
    return new ChartSpec(Kind.BARS, title, xTitle, yTitle, false, logY, List.copyOf(categories));
  }

  /**
   * Adds a line of the points that can be drawn: on a logarithmic axis a value of 0 or less cannot, nor can NaN.
   * Returns false, and adds nothing, if no point is left (the page then says why the line is missing).
   */
  public boolean line(String name, double[] x, double[] y, boolean markers) {
    double[] xs = new double[x.length];
    double[] ys = new double[y.length];
    int n = 0;
    for (int i = 0; i < x.length; i++) {
      if ((logX && !(x[i] > 0)) || (logY && !(y[i] > 0)) || Double.isNaN(x[i]) || Double.isNaN(y[i])) {
        continue;
      }
      xs[n] = x[i];
      ys[n] = y[i];
      n++;
    }
    if (n == 0) {
      return false;
    }
    lines.add(new Line(name, Arrays.copyOf(xs, n), Arrays.copyOf(ys, n), markers));
    return true;
  }

  /** Adds a series of bars, one value per category (null: no bar). */
  public ChartSpec bars(String name, List<Double> y) {
    if (y.size() != categories.size()) {
      throw new IllegalArgumentException(y.size() + " values for " + categories.size() + " categories");
    }
    bars.add(new Bars(name, y));
    return this;
  }

  /** A vertical line across the plot at {@code x} (an event: an outage starts, midnight). */
  public ChartSpec vertical(double x) {
    verticals.add(x);
    return this;
  }

  public ChartSpec xRange(double min, double max) {
    xRange = new double[] {min, max};
    return this;
  }

  public ChartSpec yRange(double min, double max) {
    yRange = new double[] {min, max};
    return this;
  }

  public Kind kind() {
    return kind;
  }

  public String title() {
    return title;
  }

  public String xTitle() {
    return xTitle;
  }

  public String yTitle() {
    return yTitle;
  }

  public boolean logX() {
    return logX;
  }

  public boolean logY() {
    return logY;
  }

  public List<String> categories() {
    return categories;
  }

  public List<Line> lines() {
    return List.copyOf(lines);
  }

  public List<Bars> barSeries() {
    return List.copyOf(bars);
  }

  public List<Double> verticals() {
    return List.copyOf(verticals);
  }

  /** {min, max} of the x axis, or null to fit the data. */
  public double @Nullable [] xRange() {
    return xRange == null ? null : xRange.clone();
  }

  /** {min, max} of the y axis, or null to fit the data. */
  public double @Nullable [] yRange() {
    return yRange == null ? null : yRange.clone();
  }
}
