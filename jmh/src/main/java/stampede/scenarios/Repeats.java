package stampede.scenarios;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.ToDoubleFunction;
import java.util.function.ToLongFunction;

/**
 * The runs of one row over the repeats of a scenario (the same strategy, store and sizes, run at different moments
 * of one bench run): what a page shows of them, a count summed, a worst figure, a latency's {@link Spread}.
 */
record Repeats<T>(List<T> runs) {

  /** {@code rows} grouped by {@code key}, in the order each key first appears. */
  static <T> List<Repeats<T>> group(List<T> rows, Function<T, String> key) {
    Map<String, List<T>> by = new LinkedHashMap<>();
    rows.forEach(r -> by.computeIfAbsent(key.apply(r), k -> new ArrayList<>()).add(r));
    return by.values().stream().map(Repeats::new).toList();
  }

  T first() {
    return runs.get(0);
  }

  long sum(ToLongFunction<T> f) {
    return runs.stream().mapToLong(f).sum();
  }

  /** The highest value (NaN if none). */
  double max(ToDoubleFunction<T> f) {
    return runs.stream().mapToDouble(f).max().orElse(Double.NaN);
  }

  boolean any(Predicate<T> f) {
    return runs.stream().anyMatch(f);
  }

  Spread spread(ToDoubleFunction<T> f) {
    return Spread.of(runs, f);
  }

  /** Counts by name summed over the runs, the largest first. */
  Map<String, Long> merged(Function<T, Map<String, Long>> f) {
    Map<String, Long> sum = new LinkedHashMap<>();
    runs.forEach(r -> f.apply(r).forEach((k, n) -> sum.merge(k, n, Long::sum)));
    Map<String, Long> out = new LinkedHashMap<>();
    sum.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()
        .thenComparing(Map.Entry.comparingByKey())).forEach(e -> out.put(e.getKey(), e.getValue()));
    return out;
  }
}
