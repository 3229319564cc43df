package stampede.report;

import com.github.mustachejava.DefaultMustacheFactory;
import com.github.mustachejava.Mustache;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.util.List;
import java.util.Map;

/**
 * Writes a scenario's Markdown page from its template and the values its scenario measured. The prose of each page
 * is a Mustache template ({@code <id>.mustache}, mustache.java) in the resources next to its scenario: its first
 * line is the page's title, then a blank line, then the body (the question, the setup, the tables, the notes). The
 * values are already formatted ({@link Table}'s number formats; a {@link Table} prints as Markdown); nothing is
 * escaped (Markdown is not HTML).
 *
 * <p>A page is: {@code # title}, the chart's image when there is one, the body, the notes the run added (a chart
 * that failed) and the run's stamp (where and how it ran).
 */
public final class MarkdownWriter {
  private final DefaultMustacheFactory templates;

  /** Templates from the class path under {@code resourceRoot} ({@code stampede/scenarios}, say). */
  public MarkdownWriter(String resourceRoot) {
    this.templates = new DefaultMustacheFactory(resourceRoot) {
      @Override
      public void encode(String value, Writer writer) {
        try {
          writer.write(value);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    };
  }

  /** Renders template {@code name} ({@code name.mustache}) with {@code values}. */
  public String render(String name, Map<String, ?> values) {
    Mustache m = templates.compile(name + ".mustache");
    StringWriter out = new StringWriter();
    m.execute(out, values);
    return out.toString();
  }

  /**
   * The page of scenario {@code id} from its rendered template: titled by the template's first line, with the image
   * {@code id.png} under the title if {@code chart}, {@code runNotes} as the last notes and {@code stamp} last.
   */
  public String page(Rendered r, String id, boolean chart, List<String> runNotes, String stamp) {
    StringBuilder sb = new StringBuilder();
    sb.append("# ").append(r.title()).append("\n\n");
    if (chart) {
      sb.append("![").append(r.title()).append("](").append(id).append(".png)\n\n");
    }
    sb.append(r.body());
    if (!runNotes.isEmpty()) {
      // the body ends with its notes and a blank line: these notes join the list
      sb.setLength(sb.length() - 1);
      runNotes.forEach(n -> sb.append("- ").append(n).append('\n'));
      sb.append('\n');
    }
    return sb.append(stamp).append('\n').toString();
  }

  /** Template {@code name} rendered: its first line, and what follows the blank line after it. */
  public Rendered rendered(String name, Map<String, ?> values) {
    String text = render(name, values);
    int end = text.indexOf("\n\n");
    if (end < 0) {
      throw new IllegalStateException(name + ".mustache: a title line, a blank line, then the body");
    }
    return new Rendered(text.substring(0, end), text.substring(end + 2));
  }

  /** A rendered page template: its title and its body. */
  public record Rendered(String title, String body) { }
}
