package stampede.scenarios;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Pattern;
import stampede.core.LoadException;
import stampede.core.RejectedException;
import stampede.report.Table;

/**
 * The errors callers saw, counted by kind: the exception's class and its reason, so that a row's errors say what
 * they were ("RejectedException: too many requests" 480, "LoadException: DatabaseDownException: database down while
 * loading" 300) and not only how many. The reason is {@link RejectedException#reason()} for a refusal; else the
 * message without the key it names (a {@link LoadException}'s "load of key '...' failed: " prefix dropped, and a
 * {@code LoadException} that only wraps its cause described by the cause), so the same fault on different keys is
 * one kind. Lock-free; the counts are a snapshot ({@link #counts()}).
 */
public final class ErrorKinds {
  private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();

  /** Counts {@code error} under its kind. */
  public void record(Throwable error) {
    counts.computeIfAbsent(kind(error), k -> new LongAdder()).increment();
  }

  /** Kind to count, the most frequent first (then by name). */
  public Map<String, Long> counts() {
    Map<String, Long> out = new LinkedHashMap<>();
    counts.entrySet().stream()
        .map(e -> Map.entry(e.getKey(), e.getValue().sum()))
        .sorted(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder())
            .thenComparing(Map.Entry.comparingByKey()))
        .forEach(e -> out.put(e.getKey(), e.getValue()));
    return out;
  }

  /** The kind of {@code error}: its class's simple name, a colon, its reason. */
  public static String kind(Throwable error) {
    return error.getClass().getSimpleName() + ": " + reason(error);
  }

  /** What went wrong, the same for every key: see the class comment. */
  static String reason(Throwable error) {
    if (error instanceof RejectedException r) {
      return r.reason();
    }
    String message = String.valueOf(error.getMessage());
    if (error instanceof LoadException l) {
      String prefix = "load of key '" + l.key() + "' failed: ";
      if (message.startsWith(prefix)) {
        message = message.substring(prefix.length());
      }
      Throwable cause = error.getCause();
      if (cause != null && message.equals(String.valueOf(cause))) {
        return cause.getClass().getSimpleName() + ": " + withoutKey(String.valueOf(cause.getMessage()), l.key());
      }
      return withoutKey(message, l.key());
    }
    return message;
  }

  /** {@code message} without the text of {@code key} (and the separators it leaves at the end). */
  static String withoutKey(String message, Object key) {
    String k = String.valueOf(key);
    String m = k.isEmpty() ? message : message.replace("'" + k + "'", "")
        .replaceAll("(?<![\\w-])" + Pattern.quote(k) + "(?![\\w-])", "");
    return m.replaceAll("\\s+", " ").replaceAll("[\\s:;,]+$", "").trim();
  }

  /**
   * The page's "errors by kind" block ({@code error-kinds.mustache}): one line per labelled row that had errors, its
   * kinds with their counts; empty (no block) when no row had one.
   */
  public static List<Map<String, Object>> view(List<? extends Map.Entry<String, Map<String, Long>>> rows) {
    List<Map<String, Object>> lines = new ArrayList<>();
    for (Map.Entry<String, Map<String, Long>> row : rows) {
      if (row.getValue().isEmpty()) {
        continue;
      }
      List<Map<String, Object>> kinds = new ArrayList<>();
      row.getValue().forEach((kind, count) -> kinds.add(Map.of("first", kinds.isEmpty(), "kind", kind, "count",
          Table.count(count))));
      lines.add(Map.of("label", row.getKey(), "kinds", kinds));
    }
    return lines.isEmpty() ? List.of() : List.of(Map.of("rows", lines));
  }
}
