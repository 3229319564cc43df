package stampede.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;
import org.knowm.xchart.AnnotationLine;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.AxesChartStyler;
import org.knowm.xchart.style.CategoryStyler;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Draws a {@link ChartSpec} with XChart (knowm.org/open-source/xchart) and writes it as PNG with its
 * {@link BitmapEncoder}: 1100 x 650 pixels, white, line charts with a 20-colour palette (so that a chart with every
 * strategy needs no colour twice) and the legend outside on the right; bar charts with one colour per series.
 */
public final class ChartWriter {
  /** Tableau 20: distinct, print-safe colours. */
  private static final Color[] PALETTE = {
      new Color(31, 119, 180), new Color(255, 127, 14), new Color(44, 160, 44), new Color(214, 39, 40),
      new Color(148, 103, 189), new Color(140, 86, 75), new Color(227, 119, 194), new Color(127, 127, 127),
      new Color(188, 189, 34), new Color(23, 190, 207), new Color(174, 199, 232), new Color(255, 187, 120),
      new Color(152, 223, 138), new Color(255, 152, 150), new Color(197, 176, 213), new Color(196, 156, 148),
      new Color(247, 182, 210), new Color(199, 199, 199), new Color(219, 219, 141), new Color(158, 218, 229)};

  private ChartWriter() {
  }

  /** Draws {@code spec} and writes it to {@code png}. */
  public static void write(ChartSpec spec, Path png) throws IOException {
    save(draw(spec), png);
  }

  /** The XChart chart of {@code spec}. */
  public static Chart<?, ?> draw(ChartSpec spec) {
    return spec.kind() == ChartSpec.Kind.BARS ? bars(spec) : lines(spec);
  }

  private static XYChart lines(ChartSpec spec) {
    XYChart c = new XYChartBuilder().width(1100).height(650).title(spec.title()).xAxisTitle(spec.xTitle())
        .yAxisTitle(spec.yTitle()).build();
    Styler s = c.getStyler();
    s.setLegendPosition(Styler.LegendPosition.OutsideE);
    s.setSeriesColors(PALETTE);
    s.setChartBackgroundColor(Color.WHITE);
    s.setPlotBackgroundColor(Color.WHITE);
    s.setLegendFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
    c.getStyler().setXAxisLogarithmic(spec.logX()).setYAxisLogarithmic(spec.logY())
        .setPlotGridLinesColor(new Color(225, 225, 225))
        .setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
    ranges(c.getStyler(), spec);
    for (ChartSpec.Line line : spec.lines()) {
      XYSeries series = c.addSeries(line.name(), line.x(), line.y());
      series.setMarker(line.markers() ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
      series.setLineStyle(new BasicStroke(line.markers() ? 2f : 1.5f));
    }
    for (double x : spec.verticals()) {
      c.addAnnotation(new AnnotationLine(x, true, false));
    }
    return c;
  }

  private static CategoryChart bars(ChartSpec spec) {
    CategoryChart c = new CategoryChartBuilder().width(1100).height(650).title(spec.title())
        .xAxisTitle(spec.xTitle()).yAxisTitle(spec.yTitle()).build();
    CategoryStyler s = c.getStyler();
    s.setYAxisLogarithmic(spec.logY());
    s.setXAxisLabelRotation(60);
    s.setLegendPosition(Styler.LegendPosition.InsideNE);
    s.setChartBackgroundColor(Color.WHITE);
    s.setPlotBackgroundColor(Color.WHITE);
    s.setSeriesColors(new Color[] {new Color(31, 119, 180), new Color(255, 127, 14)});
    ranges(s, spec);
    for (ChartSpec.Bars b : spec.barSeries()) {
      c.addSeries(b.name(), spec.categories(), b.y());
    }
    return c;
  }

  private static void ranges(AxesChartStyler s, ChartSpec spec) {
    double[] x = spec.xRange();
    if (x != null) {
      s.setXAxisMin(x[0]).setXAxisMax(x[1]);
    }
    double[] y = spec.yRange();
    if (y != null) {
      s.setYAxisMin(y[0]).setYAxisMax(y[1]);
    }
  }

  /**
   * A logarithmic axis from the power of ten at or below the smallest value to the one above the largest: XChart
   * cannot range a log axis whose values are all equal (every strategy at 1 load, say).
   */
  public static void fitLogY(AxesChartStyler styler, double[] ys) {
    double min = Double.MAX_VALUE;
    double max = 0;
    for (double y : ys) {
      if (y > 0) {
        min = Math.min(min, y);
        max = Math.max(max, y);
      }
    }
    if (max == 0) {
      return;
    }
    styler.setYAxisMin(Math.pow(10, Math.floor(Math.log10(min) - 1e-9)));
    styler.setYAxisMax(Math.pow(10, Math.ceil(Math.log10(max) + 1e-9)));
  }

  /** Writes {@code chart} to {@code png} (the extension is the file's own). */
  public static void save(Chart<?, ?> chart, Path png) throws IOException {
    if (chart instanceof XYChart xy && xy.getStyler().isYAxisLogarithmic()) {
      fitLogY(xy.getStyler(), xy.getSeriesMap().values().stream()
          .flatMapToDouble(v -> Arrays.stream(v.getYData())).toArray());
    } else if (chart instanceof CategoryChart cc && cc.getStyler().isYAxisLogarithmic()) {
      fitLogY(cc.getStyler(), cc.getSeriesMap().values().stream().flatMap(v -> v.getYData().stream())
          .filter(Objects::nonNull).mapToDouble(Number::doubleValue).toArray());
    }
    Files.createDirectories(png.toAbsolutePath().getParent());
    String name = png.toString();
    BitmapEncoder.saveBitmap(chart, name.endsWith(".png") ? name.substring(0, name.length() - 4) : name,
        BitmapEncoder.BitmapFormat.PNG);
  }
}
