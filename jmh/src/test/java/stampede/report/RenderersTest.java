package stampede.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.XYChart;

/** The three writers, each from fixed data: the Markdown page of a template, the chart of a spec, the JSON. */
class RenderersTest {
  final MarkdownWriter markdown = new MarkdownWriter("stampede/report");

  @Test
  void aPageIsTheTitleTheChartTheBodyTheRunsNotesAndTheStamp() {
    Map<String, Object> values = Map.of("keys", Table.count(1_000), "extra", List.of("yes"), "flag", true,
        "table", new Table("strategy", ">loads").row("A|B", Table.count(12_345)));
    MarkdownWriter.Rendered r = markdown.rendered("sample", values);
    assertEquals("Sample: 1,000 keys", r.title());
    assertEquals("# Sample: 1,000 keys\n\n"
        + "![Sample: 1,000 keys](x.png)\n\n"
        + "Does the page read as \"written\" & <b>unescaped</b>?\n\n"
        + "- **Keys**: 1,000\n"
        + "- **Extra**: yes\n\n"
        + "| strategy | loads |\n| --- | ---: |\n| A\\|B | 12,345 |\n\n"
        + "- a note with a flag.\n\n"
        + "Run: here.\n", markdown.page(r, "x", true, List.of(), "Run: here."));
  }

  @Test
  void withoutAChartOrOptionalLinesAndWithTheRunsNotes() {
    Map<String, Object> values = Map.of("keys", "2", "extra", List.of(), "flag", false,
        "table", new Table("a").row("1"));
    String page = markdown.page(markdown.rendered("sample", values), "x", false,
        List.of("The chart of this run failed: `boom`."), "Run: here.");
    assertEquals("# Sample: 2 keys\n\n"
        + "Does the page read as \"written\" & <b>unescaped</b>?\n\n"
        + "- **Keys**: 2\n\n"
        + "| a |\n| --- |\n| 1 |\n\n"
        + "- a note.\n"
        + "- The chart of this run failed: `boom`.\n\n"
        + "Run: here.\n", page);
  }

  @Test
  void aTemplateWithoutItsTitleLineIsRefused() {
    assertTrue(assertThrows(IllegalStateException.class, () -> markdown.rendered("broken", Map.of())).getMessage()
        .contains("broken.mustache"));
  }

  @Test
  void aLogLogChartWithEqualValuesAndZerosIsStillDrawn(@TempDir Path dir) throws Exception {
    ChartSpec spec = ChartSpec.lines("t", "x", "y", true, true);
    assertTrue(spec.line("flat", new double[] {1, 10, 100}, new double[] {1, 1, 1}, true));
    assertFalse(spec.line("zeros", new double[] {1, 10}, new double[] {0, 0}, true),
        "nothing to draw on a log axis: no series");
    assertTrue(spec.line("some", new double[] {1, 10, 100}, new double[] {0, 5, Double.NaN}, false));
    assertEquals(List.of("flat", "some"), spec.lines().stream().map(ChartSpec.Line::name).toList());
    assertEquals("[10.0]", Arrays.toString(spec.lines().get(1).x()), "only the drawable point is kept");
    Path png = dir.resolve("c.png");
    ChartWriter.write(spec, png);
    assertTrue(Files.size(png) > 1_000);
  }

  @Test
  void theSpecsAxesLinesAndBarsReachTheChart() {
    ChartSpec lines = ChartSpec.lines("t", "x", "y", false, false).xRange(0.9, 9).yRange(0, 100).vertical(2.5);
    lines.line("a", new double[] {1, 2}, new double[] {3, 4}, false);
    XYChart xy = (XYChart) ChartWriter.draw(lines);
    assertEquals(0.9, xy.getStyler().getXAxisMin());
    assertEquals(100.0, xy.getStyler().getYAxisMax());
    assertEquals(1, xy.getSeriesMap().size());
    assertEquals("t", xy.getTitle());
    ChartSpec bars = ChartSpec.bars("b", "strategy", "loads", true, List.of("A", "B"))
        .bars("in process", Arrays.asList(2.0, null));
    CategoryChart cc = (CategoryChart) ChartWriter.draw(bars);
    assertEquals(List.of("in process"), List.copyOf(cc.getSeriesMap().keySet()));
    assertTrue(cc.getStyler().isYAxisLogarithmic());
    assertThrows(IllegalArgumentException.class, () -> bars.bars("short", List.of(1.0)));
  }

  record Sample(String strategy, double p99ms, Double recoveredMs, long[] perBucket) { }

  @Test
  void jsonKeepsTheRecordsComponentOrderNullsAndNaN() throws Exception {
    String json = JsonWriter.json(Map.of("rows", List.of(new Sample("A", Double.NaN, null, new long[] {1, 2}))));
    assertEquals("{\n  \"rows\" : [ {\n    \"strategy\" : \"A\",\n    \"p99ms\" : \"NaN\",\n"
        + "    \"recoveredMs\" : null,\n    \"perBucket\" : [ 1, 2 ]\n  } ]\n}", json);
  }
}
