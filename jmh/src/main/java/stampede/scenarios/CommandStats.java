package stampede.scenarios;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The calls per command a Redis server has answered, from {@code INFO commandstats}: a line per command that ran,
 * {@code cmdstat_get:calls=1234,usec=5678,usec_per_call=4.60,rejected_calls=0,failed_calls=0} (Redis 6.2; older
 * servers stop after {@code usec_per_call}). Two readings around a window give the commands the window cost
 * ({@link #minus}); the shared-hot-key scenario divides them by its length.
 *
 * @param calls command name (lower case; a subcommand as {@code client|tracking} on Redis 7) to calls, by name
 */
record CommandStats(Map<String, Long> calls) {

  CommandStats {
    calls = Collections.unmodifiableMap(new TreeMap<>(calls));
  }

  /** Reads the reply of {@code INFO commandstats} (other sections and lines are skipped). */
  static CommandStats parse(String info) {
    Map<String, Long> calls = new TreeMap<>();
    for (String raw : info.split("\r?\n")) {
      String line = raw.trim();
      int colon = line.indexOf(':');
      if (!line.startsWith("cmdstat_") || colon < 0) {
        continue;
      }
      String name = line.substring("cmdstat_".length(), colon).toLowerCase(Locale.ROOT);
      for (String field : line.substring(colon + 1).split(",")) {
        if (field.startsWith("calls=")) {
          calls.put(name, Long.parseLong(field.substring("calls=".length()).trim()));
        }
      }
    }
    return new CommandStats(calls);
  }

  /**
   * The calls made since {@code before}: per command, this reading minus that one (a command new since then counts
   * from 0; a counter that went down, after a {@code CONFIG RESETSTAT} or a restart, counts from 0 too).
   */
  CommandStats minus(CommandStats before) {
    Map<String, Long> d = new TreeMap<>();
    calls.forEach((name, n) -> {
      long was = before.calls.getOrDefault(name, 0L);
      long delta = n >= was ? n - was : n;
      if (delta > 0) {
        d.put(name, delta);
      }
    });
    return new CommandStats(d);
  }

  /** Every call, all commands together. */
  long total() {
    return calls.values().stream().mapToLong(Long::longValue).sum();
  }

  /** The same without the commands named (the scenario's own {@code info} readings). */
  CommandStats without(String... names) {
    Map<String, Long> d = new TreeMap<>(calls);
    for (String n : names) {
      d.remove(n);
    }
    return new CommandStats(d);
  }

  /** The {@code n} commands with the most calls, most first (ties by name), as name to calls. */
  Map<String, Long> top(int n) {
    Map<String, Long> top = new LinkedHashMap<>();
    List<Map.Entry<String, Long>> sorted = calls.entrySet().stream()
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
        .limit(n).toList();
    sorted.forEach(e -> top.put(e.getKey(), e.getValue()));
    return top;
  }
}
