package stampede.scenarios;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import stampede.report.ChartWriter;
import stampede.report.JsonWriter;
import stampede.report.MarkdownWriter;
import stampede.report.Table;

/**
 * Writes what the scenarios measured into the output folder: per scenario its page ({@code <id>.md}, from its
 * template) and its chart ({@code <id>.png}), as soon as it ran, then {@code scenarios.json}: where and how the run
 * happened ({@code run}) and every number behind the pages ({@code scenarios}).
 */
final class ScenarioWriter {
  /** The templates: {@code <id>.mustache} per scenario, {@code failed} and {@code stamp}. */
  static final String TEMPLATES = "stampede/scenarios";

  private final Path out;
  private final Map<String, Object> run;
  private final MarkdownWriter markdown = new MarkdownWriter(TEMPLATES);
  private final Map<String, Object> scenarios = new LinkedHashMap<>();
  private final List<String> failed = new ArrayList<>();

  /** Writes into {@code out}; {@code run} is where and how the run happened (machine, profile, command, ...). */
  ScenarioWriter(Path out, Map<String, Object> run) {
    this.out = out;
    this.run = run;
  }

  /** Writes the page and chart of {@code o} and keeps its numbers for {@link #finish}; returns the page. */
  Path write(Outcome o) throws IOException {
    if (o.failed()) {
      failed.add(o.id());
    }
    List<String> runNotes = new ArrayList<>();
    boolean chart = !o.failed() && o.measured().chart() != null && chart(o, runNotes);
    Map<String, Object> view = o.failed() ? Map.of("id", o.id(), "error", String.valueOf(o.failure()))
        : o.measured().view();
    String template = o.failed() ? "failed" : o.id();
    MarkdownWriter.Rendered page = markdown.rendered(template, view);
    Path md = out.resolve(o.id() + ".md");
    Files.writeString(md, markdown.page(page, o.id(), chart, runNotes, stamp(o)), StandardCharsets.UTF_8);
    scenarios.put(o.id(), json(o, page.title()));
    return md;
  }

  /** Draws the chart of {@code o}; if that fails, says so on its page and in the run's outcome. */
  private boolean chart(Outcome o, List<String> runNotes) {
    try {
      ChartWriter.write(o.measured().chart(), out.resolve(o.id() + ".png"));
      return true;
    } catch (Exception | Error e) {
      failed.add(o.id() + " (chart)");
      System.err.println("[scenarios] " + o.id() + ": the chart failed: " + e);
      runNotes.add("The chart of this run failed: `" + e + "`.");
      return false;
    }
  }

  /** The last line of a page: where and how it ran, how long the scenario took. */
  private String stamp(Outcome o) {
    Map<String, Object> values = new LinkedHashMap<>(run);
    values.put("took", String.format(Locale.ROOT, "%.0f", o.seconds()));
    values.put("callerThreads", Table.count(o.callerThreads()));
    return markdown.render("stamp", values).strip();
  }

  private static Map<String, Object> json(Outcome o, String title) {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("title", title);
    r.put("seconds", Math.round(o.seconds()));
    r.put("callerThreads", o.callerThreads());
    r.put("data", o.failed() ? Map.of() : o.measured().data());
    r.put("rows", o.failed() ? List.of() : o.measured().rows());
    r.put("meters", o.meters()); // what stampede-micrometer recorded, by meter name and tags
    return r;
  }

  /** Writes {@code scenarios.json}; returns the scenarios (and charts) that failed. */
  List<String> finish() throws IOException {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("run", run);
    doc.put("scenarios", scenarios);
    JsonWriter.write(doc, out.resolve("scenarios.json"));
    return failed;
  }
}
