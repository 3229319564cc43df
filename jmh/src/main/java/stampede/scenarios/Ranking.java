package stampede.scenarios;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The latency ranking a repeated page prints: its rows by p99, the machine-bound ones left out (listed apart), each
 * p99 the range over repeats; between two neighbours {@code <} when their ranges do not overlap (a difference above
 * the noise of repeats) and {@code ~} when they do (no order can be claimed). Rendered by {@code ranking.mustache}.
 */
public final class Ranking {

  /** One row: its label, its p99 over repeats, and whether (why) it is machine-bound. */
  public record Entry(String label, Spread p99, MachineBound.Why bound) { }

  private final List<Entry> ranked;
  private final List<Entry> unranked;

  public Ranking(List<Entry> entries) {
    this.ranked = entries.stream().filter(e -> e.bound() == MachineBound.Why.NO && !Double.isNaN(e.p99().min()))
        .sorted(Comparator.comparingDouble((Entry e) -> e.p99().min() + e.p99().max())).toList();
    this.unranked = entries.stream().filter(e -> !ranked.contains(e)).toList();
  }

  /** The rows ranked, fastest first. */
  public List<Entry> ranked() {
    return ranked;
  }

  /** The rows left out: machine-bound, or with no latency. */
  public List<Entry> unranked() {
    return unranked;
  }

  /** The separators between ranked neighbours: "<" above the noise, "~" within it. */
  public List<String> separators() {
    List<String> seps = new ArrayList<>();
    for (int i = 1; i < ranked.size(); i++) {
      seps.add(ranked.get(i - 1).p99().separatedFrom(ranked.get(i).p99()) ? "<" : "~");
    }
    return seps;
  }

  /** The values of {@code ranking.mustache} under {@code ranking}; empty (no block) with no row. */
  public List<Map<String, Object>> view() {
    if (ranked.isEmpty() && unranked.isEmpty()) {
      return List.of();
    }
    List<String> seps = separators();
    List<Map<String, Object>> rows = new ArrayList<>();
    for (int i = 0; i < ranked.size(); i++) {
      Entry e = ranked.get(i);
      rows.add(Map.of("first", i == 0, "sep", i == 0 ? "" : seps.get(i - 1), "label", e.label(), "p99",
          e.p99().ms()));
    }
    List<Map<String, Object>> out = new ArrayList<>();
    for (int i = 0; i < unranked.size(); i++) {
      out.add(Map.of("first", i == 0, "label", unranked.get(i).label()));
    }
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("ranked", rows);
    v.put("none", ranked.isEmpty());
    v.put("unranked", out.isEmpty() ? List.of() : List.of(Map.of("rows", out)));
    v.put("repeats", ranked.isEmpty() && unranked.isEmpty() ? 1 : (ranked.isEmpty() ? unranked : ranked).get(0)
        .p99().repeats());
    return List.of(v);
  }
}
