package stampede.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A Markdown table: a header, rows of cells, numbers right-aligned; and the number formats every scenario uses, so
 * that all tables read alike (thousands separated by commas, milliseconds with up to 3 significant decimals).
 */
public final class Table {
  private final List<String> header;
  private final boolean[] numeric;
  private final List<List<String>> rows = new ArrayList<>();

  /** Columns; a name starting with {@code >} is right-aligned (numbers), the {@code >} is dropped. */
  public Table(String... columns) {
    header = new ArrayList<>();
    numeric = new boolean[columns.length];
    for (int i = 0; i < columns.length; i++) {
      numeric[i] = columns[i].startsWith(">");
      header.add(numeric[i] ? columns[i].substring(1) : columns[i]);
    }
  }

  public Table row(Object... cells) {
    if (cells.length != header.size()) {
      throw new IllegalArgumentException(cells.length + " cells for " + header.size() + " columns: " + header);
    }
    List<String> r = new ArrayList<>();
    for (Object c : cells) {
      r.add(c == null ? "" : c.toString().replace("|", "\\|"));
    }
    rows.add(r);
    return this;
  }

  public int size() {
    return rows.size();
  }

  /** The table in Markdown, as a page template prints it. */
  @Override
  public String toString() {
    return markdown();
  }

  public String markdown() {
    StringBuilder sb = new StringBuilder();
    sb.append("| ").append(String.join(" | ", header)).append(" |\n|");
    for (boolean n : numeric) {
      sb.append(n ? " ---: |" : " --- |");
    }
    sb.append('\n');
    for (List<String> r : rows) {
      sb.append("| ").append(String.join(" | ", r)).append(" |\n");
    }
    return sb.toString();
  }

  /** 12,345 */
  public static String count(long n) {
    return String.format(Locale.ROOT, "%,d", n);
  }

  /** A count per second, rounded: 99,870 */
  public static String rate(double perSecond) {
    return Double.isInfinite(perSecond) ? "burst" : String.format(Locale.ROOT, "%,.0f", perSecond);
  }

  /** A ratio with two decimals, or "-" for NaN: 1.00, 4,812.50 */
  public static String ratio(double r) {
    return Double.isNaN(r) || Double.isInfinite(r) ? "-" : String.format(Locale.ROOT, "%,.2f", r);
  }

  /** Milliseconds: 3 significant digits under 100 ms, whole milliseconds above; "-" for NaN. */
  public static String ms(double millis) {
    if (Double.isNaN(millis)) {
      return "-";
    }
    if (millis >= 100) {
      return String.format(Locale.ROOT, "%,.0f", millis);
    }
    if (millis >= 10) {
      return String.format(Locale.ROOT, "%.1f", millis);
    }
    if (millis >= 1) {
      return String.format(Locale.ROOT, "%.2f", millis);
    }
    return String.format(Locale.ROOT, "%.3f", millis);
  }

  /** A share of a whole as a percentage with two decimals; "-" if the whole is 0. */
  public static String percent(long part, long whole) {
    return whole == 0 ? "-" : String.format(Locale.ROOT, "%.2f%%", 100.0 * part / whole);
  }

  /** Seconds with one decimal: 12.3 s */
  public static String seconds(double s) {
    return String.format(Locale.ROOT, "%.1f s", s);
  }
}
