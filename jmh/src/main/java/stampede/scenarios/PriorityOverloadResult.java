package stampede.scenarios;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import stampede.core.Nullable;
import stampede.report.ChartSpec;
import stampede.report.Table;

/**
 * What {@link PriorityOverload} measured: a row per strategy, class and phase; per strategy the answered misses per
 * 500 ms by class and the offered loads (the chart); the phases, what the generator did per strategy, the floor.
 */
record PriorityOverloadResult(List<PriorityOverloadResult.Row> rows, List<PriorityOverloadResult.Series> series,
    PriorityOverload.Phases phases, List<Generated> generated, Floor floor) implements Measured {

  /**
   * One strategy, class and phase: the calls answered fresh, answered stale, refused (load shed) and failed
   * otherwise; their latency from the intended start; the database's loads at once (waiting for a connection
   * included) and load times (the wait included) in that phase, all classes.
   */
  record Row(String strategy, String priority, String phase, long fresh, long stale, long refused, long failed,
      double p50ms, double p99ms, int dbMaxConcurrency, double dbP50ms, double dbP99ms) {

    long requests() {
      return fresh + stale + refused + failed;
    }
  }

  /**
   * A strategy's answered misses per 500 ms, per class (CRITICAL, DEFAULT, BULK), the misses offered, and the errors
   * its callers got by kind.
   */
  // ArrayRecordComponent: a measured series, written to JSON and charts; records of it are never compared or hashed
  @SuppressWarnings("ArrayRecordComponent")
  record Series(String strategy, long[][] answeredPer500ms, long[] offeredPer500ms, Map<String, Long> errorKinds) { }

  /** The strategy's row of {@code priority} at the peak, or null. */
  @Nullable Row peak(String strategy, String priority) {
    return rows.stream().filter(r -> r.strategy().equals(strategy) && r.priority().equals(priority)
        && r.phase().equals(PriorityOverload.PHASES[1])).findFirst().orElse(null);
  }

  @Override
  public Map<String, Object> data() {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("requestsPerSecond", PriorityOverload.RATE);
    d.put("connections", PriorityOverload.CONNECTIONS);
    d.put("loadMs", PriorityOverload.LOAD_MS);
    d.put("capacityLoadsPerSecond", PriorityOverload.CAPACITY);
    d.put("phasesMs", List.of(phases.warmMs(), phases.upMs(), phases.peakMs(), phases.downMs()));
    List<Map<String, Object>> gens = new ArrayList<>();
    for (int i = 0; i < generated.size(); i++) {
      Map<String, Object> g = generated.get(i).data();
      g.put("strategy", series.get(i).strategy());
      gens.add(g);
    }
    d.put("generator", gens);
    d.put("series", series);
    d.put("floor", floor.data());
    return d;
  }

  @Override
  public Map<String, Object> view() {
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("floor", floor.view());
    v.put("errorKinds", ErrorKinds.view(series.stream().map(x -> Map.entry(x.strategy(), x.errorKinds())).toList()));
    v.put("warmS", Table.seconds(phases.warmMs() / 1000.0));
    v.put("upS", Table.seconds(phases.upMs() / 1000.0));
    v.put("peakS", Table.seconds(phases.peakMs() / 1000.0));
    v.put("downS", Table.seconds(phases.downMs() / 1000.0));
    v.put("rate", Table.rate(PriorityOverload.RATE));
    v.put("capacity", Table.rate(PriorityOverload.CAPACITY));
    List<String> achieved = new ArrayList<>();
    for (int i = 0; i < generated.size(); i++) {
      achieved.add(series.get(i).strategy() + " " + generated.get(i).achieved() + "/s");
    }
    v.put("achieved", String.join(", ", achieved));
    List<Map<String, Object>> tables = new ArrayList<>();
    for (String phase : PriorityOverload.PHASES) {
      tables.add(Map.of("phase", phase, "table", table(phase)));
    }
    v.put("phases", tables);
    v.put("verdicts", verdicts());
    return v;
  }

  private Table table(String phase) {
    Table t = new Table("strategy", "class", ">answered fresh", ">answered stale", ">refused", ">answered",
        ">p50 ms", ">p99 ms", ">database: loads at once, max", ">database: load ms p50 / p99");
    for (Row r : rows) {
      if (r.phase().equals(phase)) {
        boolean first = r.priority().equals(PriorityOverload.CLASSES[0]);
        t.row(r.strategy(), r.priority(), Table.count(r.fresh()), Table.count(r.stale()),
            Table.count(r.refused()) + (r.failed() > 0 ? " (+" + Table.count(r.failed()) + " failed)" : ""),
            Table.percent(r.fresh() + r.stale(), r.requests()), Table.ms(r.p50ms()), floor.p99(r.p99ms()),
            first ? Table.count(r.dbMaxConcurrency()) : "",
            first ? Table.ms(r.dbP50ms()) + " / " + Table.ms(r.dbP99ms()) : "");
      }
    }
    return t;
  }

  /** Per strategy, the test at 3x: CRITICAL at least 99% answered, the database within its connections. */
  private List<String> verdicts() {
    List<String> out = new ArrayList<>();
    for (Series s : series) {
      Row critical = peak(s.strategy(), "CRITICAL");
      Row bulk = peak(s.strategy(), "BULK");
      if (critical == null || bulk == null || critical.requests() == 0) {
        continue;
      }
      double answered = 100.0 * (critical.fresh() + critical.stale()) / critical.requests();
      boolean ok = answered >= 99 && critical.dbMaxConcurrency() <= PriorityOverload.CONNECTIONS;
      out.add(String.format(Locale.ROOT, "%s: CRITICAL %.2f%% answered, BULK %s refused, at most %d loads at the "
          + "database: %s", s.strategy(), answered, Table.percent(bulk.refused(), bulk.requests()),
          critical.dbMaxConcurrency(), ok ? "meets it" : "does not"));
    }
    return out;
  }

  /** Misses offered per second, and answered per class for the adaptive priority shedder and the flat shedder. */
  @Override
  public ChartSpec chart() {
    ChartSpec chart = ChartSpec.lines("Misses answered per second by class, offered 0.5x to 3x capacity and back",
        "seconds", "misses per second", false, false);
    double perSecond = 1000.0 / PriorityOverload.BUCKET_MS;
    int buckets = (int) (phases.totalMs() / PriorityOverload.BUCKET_MS);
    boolean offered = false;
    for (Series s : series) {
      if (!offered) {
        chart.line("offered loads (all classes)", x(buckets), y(s.offeredPer500ms(), buckets, perSecond), false);
        offered = true;
      }
      for (int c = 0; c < 3; c++) {
        boolean shown = s.strategy().equals("PRIORITY_SHEDDER_ADAPTIVE")
            || (c != 1 && (s.strategy().equals("LOAD_SHEDDER") || s.strategy().equals("NETFLIX_PARTITIONED")));
        if (shown) {
          chart.line(s.strategy() + " " + PriorityOverload.CLASSES[c], x(buckets),
              y(s.answeredPer500ms()[c], buckets, perSecond), false);
        }
      }
    }
    double warm = phases.warmMs() / 1000.0;
    return chart.vertical(warm).vertical(warm + phases.upMs() / 1000.0)
        .vertical(warm + (phases.upMs() + phases.peakMs()) / 1000.0);
  }

  private static double[] x(int n) {
    double[] x = new double[n];
    for (int i = 0; i < n; i++) {
      x[i] = i * PriorityOverload.BUCKET_MS / 1000.0;
    }
    return x;
  }

  private static double[] y(long[] counts, int n, double scale) {
    double[] y = new double[n];
    for (int i = 0; i < n; i++) {
      y[i] = i < counts.length ? counts[i] * scale : 0;
    }
    return y;
  }
}
