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
import java.util.Set;
import stampede.core.Nullable;
import stampede.report.ChartWriter;
import stampede.report.JsonWriter;
import stampede.report.MarkdownWriter;
import stampede.report.Table;

/**
 * Writes what the scenarios measured into the output folder: per scenario its page ({@code <id>.md}, from its
 * template) and its chart ({@code <id>.png}), as soon as it ran, then {@code scenarios.json}: where and how the run
 * happened ({@code run}) and every number behind the pages ({@code scenarios}).
 *
 * <p>A partial run ({@code -Dscenarios.only}) merges into the {@code scenarios.json} already there, as its pages join
 * the pages already there: its scenarios replace theirs, the others stay, in the plan's order, and
 * {@code earlierRuns} says which run measured the ones it kept. An earlier file of another profile, or one that
 * cannot be read, is replaced (and the log says so).
 */
final class ScenarioWriter {
  /** The templates: {@code <id>.mustache} per scenario, {@code failed} and {@code stamp}. */
  static final String TEMPLATES = "stampede/scenarios";

  private final Path out;
  private final Map<String, Object> run;
  private final List<String> order;
  private final boolean merge;
  private final MarkdownWriter markdown = new MarkdownWriter(TEMPLATES);
  private final Map<String, Object> scenarios = new LinkedHashMap<>();
  private final List<String> failed = new ArrayList<>();

  /**
   * Writes into {@code out}; {@code run} is where and how the run happened (machine, profile, command, ...);
   * {@code merge}: a partial run, merged into the {@code scenarios.json} there, in the plan's {@code order} (ids).
   */
  ScenarioWriter(Path out, Map<String, Object> run, List<String> order, boolean merge) {
    this.out = out;
    this.run = run;
    this.order = List.copyOf(order);
    this.merge = merge;
  }

  /** A writer of a whole run: it replaces {@code scenarios.json}. */
  ScenarioWriter(Path out, Map<String, Object> run) {
    this(out, run, List.of(), false);
  }

  /** Writes the page and chart of {@code o} and keeps its numbers for {@link #finish}; returns the page. */
  Path write(Outcome o) throws IOException {
    if (o.failed()) {
      failed.add(o.id());
    }
    List<String> runNotes = new ArrayList<>();
    boolean chart = !o.failed() && o.ok().chart() != null && chart(o, runNotes);
    Map<String, Object> view = o.failed() ? Map.of("id", o.id(), "error", String.valueOf(o.failure()))
        : o.ok().view();
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
      ChartWriter.write(o.ok().chart(), out.resolve(o.id() + ".png"));
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
    r.put("data", o.failed() ? Map.of() : o.ok().data());
    r.put("rows", o.failed() ? List.of() : o.ok().rows());
    r.put("meters", o.meters()); // what stampede-micrometer recorded, by meter name and tags
    return r;
  }

  /** Writes {@code scenarios.json} (merged, for a partial run); returns the scenarios (and charts) that failed. */
  List<String> finish() throws IOException {
    Path file = out.resolve("scenarios.json");
    Map<String, Object> earlier = merge ? earlier(file) : null;
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("run", run);
    if (earlier == null) {
      doc.put("scenarios", scenarios);
    } else {
      Map<String, Object> kept = map(earlier.get("scenarios"));
      kept.keySet().removeAll(scenarios.keySet());
      doc.put("earlierRuns", earlierRuns(earlier, kept.keySet()));
      doc.put("scenarios", inOrder(kept, scenarios));
    }
    JsonWriter.write(doc, file);
    return failed;
  }

  /** The {@code scenarios.json} a partial run merges into, or null to replace it (none, unreadable, other profile). */
  private @Nullable Map<String, Object> earlier(Path file) {
    if (!Files.exists(file)) {
      return null;
    }
    try {
      Map<String, Object> doc = JsonWriter.read(file);
      Object profile = map(doc.get("run")).get("profile");
      if (doc.get("scenarios") instanceof Map<?, ?> && profile != null && profile.equals(run.get("profile"))) {
        return doc;
      }
      System.out.printf(Locale.ROOT, "[scenarios] %s is of profile %s, not %s: replaced%n", file, profile,
          run.get("profile"));
    } catch (IOException | RuntimeException e) {
      System.out.printf(Locale.ROOT, "[scenarios] %s cannot be read (%s): replaced%n", file, e);
    }
    return null;
  }

  /**
   * The runs that measured the scenarios a merge keeps: the earlier file's own {@code run} and its earlier runs,
   * each with the ids of the kept scenarios it measured; a run none of whose scenarios is kept is dropped.
   */
  private static List<Map<String, Object>> earlierRuns(Map<String, Object> earlier, Set<String> kept) {
    List<Map<String, Object>> runs = new ArrayList<>();
    Object before = earlier.get("earlierRuns");
    if (before instanceof List<?> list) {
      list.forEach(r -> runs.add(map(r)));
    }
    Map<String, Object> last = map(earlier.get("run"));
    last.put("scenarios", new ArrayList<>(map(last.get("scenarioSeconds")).keySet()));
    runs.add(last);
    List<Map<String, Object>> out = new ArrayList<>();
    for (Map<String, Object> r : runs) {
      Object ids = r.get("scenarios");
      List<Object> still = ids instanceof List<?> l ? l.stream().filter(kept::contains).map(Object.class::cast)
          .toList() : List.of();
      if (!still.isEmpty()) {
        Map<String, Object> copy = new LinkedHashMap<>(r);
        copy.put("scenarios", still);
        out.add(copy);
      }
    }
    return out;
  }

  /** {@code kept} and {@code fresh} together, in the plan's order; ids the plan does not know last. */
  private Map<String, Object> inOrder(Map<String, Object> kept, Map<String, Object> fresh) {
    Map<String, Object> all = new LinkedHashMap<>(kept);
    all.putAll(fresh);
    Map<String, Object> ordered = new LinkedHashMap<>();
    order.stream().filter(all::containsKey).forEach(id -> ordered.put(id, all.get(id)));
    all.forEach(ordered::putIfAbsent);
    return ordered;
  }

  @SuppressWarnings("unchecked") // what Jackson read: JSON objects are maps of strings
  private static Map<String, Object> map(@Nullable Object o) {
    return o instanceof Map<?, ?> m ? new LinkedHashMap<>((Map<String, Object>) m) : new LinkedHashMap<>();
  }
}
