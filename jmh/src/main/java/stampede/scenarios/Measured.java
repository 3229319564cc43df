package stampede.scenarios;

import java.util.List;
import java.util.Map;
import stampede.report.ChartSpec;

/**
 * What a scenario measured, apart from how it is written: the rows and parameters {@code scenarios.json} publishes,
 * the values its page template reads and its chart. Each scenario returns a record of its own; the runner hands it
 * to the writers ({@code stampede.report}): {@link stampede.report.MarkdownWriter} renders the scenario's template
 * ({@code <id>.mustache} next to it in the resources) with {@link #view()}, {@link stampede.report.ChartWriter}
 * draws {@link #chart()}, and Jackson writes {@link #data()} and {@link #rows()}.
 */
public interface Measured {

  /** The scenario's parameters and totals for {@code scenarios.json} ({@code data}); empty by default. */
  default Object data() {
    return Map.of();
  }

  /** The numbers behind the table, one record per row; Jackson writes each record's components as its keys. */
  List<?> rows();

  /** The values of the page template: numbers formatted for the page, tables, flags and lists. */
  Map<String, Object> view();

  /** The chart, or null for none. */
  ChartSpec chart();
}
