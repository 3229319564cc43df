package stampede.scenarios;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.internal.chartpart.Chart;
import stampede.report.Table;

/**
 * What a scenario produced: its Markdown page ({@code <id>.md}: the chart, the question, the setup with its scale,
 * the table, how to read it, and where it ran) and its chart ({@code <id>.png}); {@link #data} holds the numbers
 * behind the table for {@code scenarios.json}.
 */
public final class Report {
  final String id;
  final String title;
  final String question;
  final List<String> setup = new ArrayList<>();
  final List<String> notes = new ArrayList<>();
  final Map<String, Object> data = new LinkedHashMap<>();
  final List<Map<String, Object>> rows = new ArrayList<>();
  final List<String> captions = new ArrayList<>();
  final List<Table> tables = new ArrayList<>();
  Chart<?, ?> chart;

  public Report(String id, String title, String question) {
    this.id = id;
    this.title = title;
    this.question = question;
  }

  /** A line of the setup list: {@code name: value}. */
  public Report setup(String name, Object value) {
    setup.add("**" + name + "**: " + value);
    return this;
  }

  /** A line under the table: how to read it, or a flag raised by this run. */
  public Report note(String note) {
    notes.add(note);
    return this;
  }

  /** A table, under {@code caption} (a line of text, or null). */
  public Report table(String caption, Table table) {
    captions.add(caption);
    tables.add(table);
    return this;
  }

  public Report chart(Chart<?, ?> chart) {
    this.chart = chart;
    return this;
  }

  /** The numbers of one table row, for scenarios.json. */
  public Map<String, Object> row() {
    Map<String, Object> r = new LinkedHashMap<>();
    rows.add(r);
    return r;
  }

  String markdown(String stamp) {
    StringBuilder sb = new StringBuilder();
    sb.append("# ").append(title).append("\n\n");
    if (chart != null) {
      sb.append("![").append(title).append("](").append(id).append(".png)\n\n");
    }
    sb.append(question).append("\n\n");
    for (String s : setup) {
      sb.append("- ").append(s).append('\n');
    }
    sb.append('\n');
    for (int i = 0; i < tables.size(); i++) {
      if (captions.get(i) != null) {
        sb.append(captions.get(i)).append("\n\n");
      }
      sb.append(tables.get(i).markdown()).append('\n');
    }
    for (String n : notes) {
      sb.append("- ").append(n).append('\n');
    }
    if (!notes.isEmpty()) {
      sb.append('\n');
    }
    sb.append(stamp).append('\n');
    return sb.toString();
  }
}
