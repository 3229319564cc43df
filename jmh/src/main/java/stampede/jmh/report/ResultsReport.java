package stampede.jmh.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import stampede.core.Nullable;
import stampede.fixtures.StoreType;
import stampede.fixtures.StrategyType;
import stampede.report.MachineInfo;

/**
 * Turns a JMH JSON result file into one Markdown table per scenario ({@code hot-key.md},
 * {@code spread-keys.md}, {@code mass-expiry.md}, {@code failing-database.md}, {@code hit-path.md}), each
 * stamped with the machine and JVM from {@code run-info.json} (next to the tables) when present.
 *
 * <p>The JSON is read with Jackson, and {@link stampede.jmh.BenchmarkRunner} builds its tables from the file it
 * just wrote, so a table regenerated from a saved result is the table the run printed. Regenerate tables from an
 * existing result:
 * <pre>java -cp jmh/target/benchmarks.jar stampede.jmh.report.ResultsReport results/jmh-result.json results</pre>
 *
 * <p>Counters come from {@link stampede.jmh.Outcome} (AuxCounters, also counted during ramp-up/down), so only
 * ratios are printed: loads / episodes, errors / calls, stale / calls; loads/s divides the loads by the
 * measured time (forks x iterations x iteration time) and is approximate for the same reason.
 */
public final class ResultsReport {
  /** Reads JMH's result files and reads and writes {@code run-info.json}. */
  static final ObjectMapper JSON = new ObjectMapper();

  /** One scenario: which benchmark class feeds it, its file and title. */
  record Scenario(String benchmarkClass, String file, String title, String description) { }

  static final List<Scenario> SCENARIOS = List.of(
      new Scenario("HotKeyBenchmark", "hot-key.md", "Hot key",
          "One key, many concurrent callers, repeated expiry episodes."),
      new Scenario("SpreadKeysBenchmark", "spread-keys.md", "Spread keys",
          "Many keys (Zipf or uniform), many callers: the cost when most keys are not contended."),
      new Scenario("MassExpiryBenchmark", "mass-expiry.md", "Mass expiry (\"midnight\")",
          "All keys written at once with the same TTL, then read at random: the load spike at expiry."),
      new Scenario("FailingDatabaseBenchmark", "failing-database.md", "Failing / slow database",
          "The database fails (or slows 10x) for part of every period: errors vs stale served."),
      new Scenario("HitPathBenchmark", "hit-path.md", "Hit path overhead",
          "A fresh cached key read by one thread (time and bytes per hit) and by 8 threads at once (throughput),"
              + " against the same read done by Caffeine alone and by a raw Lettuce GET."));

  /** Results of this class go into the hit path's table too: its 8-thread column. */
  static final String CONTENTION = "ContentionBenchmark";

  /** One benchmark x params result, the parts the tables use. */
  public record Result(String benchmarkClass, String method, String mode, int threads, int forks,
      int iterations, double iterationSeconds, Map<String, String> params, double score, double scoreError,
      String unit, Map<String, Double> percentiles, Map<String, List<Double>> secondaryRaw) {

    String param(String name) {
      return params.getOrDefault(name, "");
    }

    /** Sum of a secondary metric over every fork and iteration (NaN if absent). */
    double sum(String metric) {
      List<Double> raw = secondaryRaw.get(metric);
      if (raw == null) {
        return Double.NaN;
      }
      double s = 0;
      for (double d : raw) {
        s += d;
      }
      return s;
    }

    /** Mean of a secondary metric over every fork and iteration (NaN if absent): e.g. gc.alloc.rate.norm. */
    double mean(String metric) {
      List<Double> raw = secondaryRaw.get(metric);
      return raw == null || raw.isEmpty() ? Double.NaN : sum(metric) / raw.size();
    }

    double max(String metric) {
      List<Double> raw = secondaryRaw.get(metric);
      if (raw == null || raw.isEmpty()) {
        return Double.NaN;
      }
      return raw.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
    }

    /** Milliseconds per unit of the primary score's time unit (ms/op, us/op, ns/op, s/op). */
    double millisPerUnit() {
      String u = unit.split("/")[0];
      return switch (u) {
        case "s" -> 1000.0;
        case "ms" -> 1.0;
        case "us" -> 0.001;
        case "ns" -> 0.000001;
        default -> Double.NaN;
      };
    }
  }

  public static void main(String[] args) throws IOException {
    if (args.length != 2) {
      System.err.println("usage: ResultsReport <jmh-result.json> <output dir>");
      System.exit(2);
    }
    List<Path> written = write(Path.of(args[0]), Path.of(args[1]));
    written.forEach(p -> System.out.println("wrote " + p));
  }

  /**
   * Reads the JSON, writes one table per scenario present into {@code outDir} and deletes the tables of
   * scenarios absent from it (left by an earlier run); returns the files written.
   */
  public static List<Path> write(Path json, Path outDir) throws IOException {
    List<Result> results = parse(Files.readString(json, StandardCharsets.UTF_8));
    Map<String, Object> info = runInfo(outDir.resolve("run-info.json"));
    Files.createDirectories(outDir);
    Map<String, String> tables = render(results, info);
    for (Scenario sc : SCENARIOS) {
      if (!tables.containsKey(sc.file())) {
        Files.deleteIfExists(outDir.resolve(sc.file())); // a table of an earlier run would not match the JSON
      }
    }
    List<Path> written = new ArrayList<>();
    for (Map.Entry<String, String> e : tables.entrySet()) {
      Path p = outDir.resolve(e.getKey());
      Files.writeString(p, e.getValue(), StandardCharsets.UTF_8);
      written.add(p);
    }
    return written;
  }

  /** The run's {@code run-info.json} if there is one, else this machine (a table always says where it ran). */
  static Map<String, Object> runInfo(Path file) throws IOException {
    return Files.isReadable(file) ? MachineInfo.read(file) : MachineInfo.collect();
  }

  /** Reads JMH's JSON result format: what {@code -rf json} writes, and {@link stampede.jmh.BenchmarkRunner}. */
  public static List<Result> parse(String json) throws IOException {
    JsonNode root = JSON.readTree(json);
    if (root == null || !root.isArray()) {
      throw new IOException("not a JMH JSON result: expected an array of results");
    }
    List<Result> out = new ArrayList<>();
    for (JsonNode r : root) {
      String benchmark = r.path("benchmark").asText();
      String[] parts = benchmark.split("\\.");
      String cls = parts.length >= 2 ? parts[parts.length - 2] : benchmark;
      String method = parts[parts.length - 1];
      Map<String, String> params = new LinkedHashMap<>();
      r.path("params").properties().forEach(e -> params.put(e.getKey(), e.getValue().asText()));
      JsonNode primary = r.path("primaryMetric");
      Map<String, Double> pct = new TreeMap<>();
      primary.path("scorePercentiles").properties().forEach(e -> pct.put(e.getKey(), num(e.getValue())));
      Map<String, List<Double>> secondary = new LinkedHashMap<>();
      r.path("secondaryMetrics").properties().forEach(e -> {
        List<Double> raw = new ArrayList<>();
        for (JsonNode fork : e.getValue().path("rawData")) {
          fork.forEach(v -> raw.add(num(v)));
        }
        secondary.put(e.getKey(), raw);
      });
      out.add(new Result(cls, method, r.path("mode").asText(), r.path("threads").asInt(), r.path("forks").asInt(),
          r.path("measurementIterations").asInt(), seconds(r.path("measurementTime").asText()), params,
          num(primary.path("score")), num(primary.path("scoreError")), primary.path("scoreUnit").asText(), pct,
          secondary));
    }
    return out;
  }

  /** A number from JMH's JSON: a number, or one of the strings JMH writes for "NaN" and the infinities; else NaN. */
  static double num(JsonNode v) {
    if (v.isNumber()) {
      return v.doubleValue();
    }
    if (v.isTextual()) {
      try {
        return Double.parseDouble(v.asText());
      } catch (NumberFormatException e) {
        return Double.NaN;
      }
    }
    return Double.NaN;
  }

  /** "2 s", "500 ms", "1 min" to seconds. */
  static double seconds(String time) {
    String[] p = time.trim().split("\\s+");
    if (p.length != 2) {
      return Double.NaN;
    }
    double v = Double.parseDouble(p[0]);
    return switch (p[1]) {
      case "ns" -> v / 1e9;
      case "us" -> v / 1e6;
      case "ms" -> v / 1e3;
      case "s" -> v;
      case "min" -> v * 60;
      case "hr" -> v * 3600;
      default -> Double.NaN;
    };
  }

  /** File name to Markdown, for every scenario with at least one result. */
  public static Map<String, String> render(List<Result> results, Map<String, Object> info) {
    Map<String, String> files = new LinkedHashMap<>();
    for (Scenario sc : SCENARIOS) {
      boolean hitPath = sc.benchmarkClass().equals("HitPathBenchmark");
      List<Result> rs = results.stream().filter(r -> r.benchmarkClass().equals(sc.benchmarkClass())
          || (hitPath && r.benchmarkClass().equals(CONTENTION))).toList();
      if (rs.isEmpty()) {
        continue;
      }
      StringBuilder md = new StringBuilder();
      md.append("# ").append(sc.title()).append("\n\n").append(sc.description()).append("\n\n");
      md.append(stamp(info)).append("\n");
      md.append(hitPath ? hitPathTable(rs) : sampledTable(rs));
      md.append("\nGenerated by `stampede.jmh.report.ResultsReport` from `jmh-result.json`; see README.md for how"
          + " to read the columns.\n");
      files.put(sc.file(), md.toString());
    }
    return files;
  }

  static String stamp(Map<String, Object> info) {
    Object cores = info.getOrDefault("cores", "?");
    if (cores instanceof Number n) {
      cores = n.longValue();
    }
    return "Machine: " + cores + " cores, " + info.getOrDefault("os", "?") + ", CPU "
        + info.getOrDefault("cpuModel", "?") + ". JVM: " + info.getOrDefault("jvmVersion", "?") + ", "
        + info.getOrDefault("jvmVendor", "?") + ". Date: " + info.getOrDefault("date", "?") + ". Profile: "
        + info.getOrDefault("profile", "?") + ".\n";
  }

  /** Columns for the SampleTime scenarios (hot key, spread keys, mass expiry, failing database). */
  static String sampledTable(List<Result> rs) {
    List<String> varying = varyingParams(rs);
    StringBuilder b = new StringBuilder();
    String constant = constantParams(rs);
    if (!constant.isEmpty()) {
      b.append("Parameters: ").append(constant).append(". Threads: ").append(rs.get(0).threads()).append(".\n\n");
    }
    List<String> head = new ArrayList<>(List.of("strategy", "store"));
    head.addAll(varying);
    head.addAll(List.of("loader calls per expiry", "throughput (calls/s)", "p50 (ms)", "p99 (ms)",
        "p99.9 (ms)", "stale served", "errors", "peak concurrent loads", "loads/s"));
    row(b, head);
    row(b, head.stream().map(h -> "---").toList());
    for (Result r : sorted(rs)) {
      List<String> cells = new ArrayList<>(List.of(r.param("strategy"), r.param("store")));
      varying.forEach(v -> cells.add(r.param(v)));
      double loads = r.sum("loads");
      double calls = r.sum("calls");
      double meanMs = r.score() * r.millisPerUnit();
      double measured = r.forks() * r.iterations() * r.iterationSeconds();
      cells.add(fmt(loads / r.sum("episodes"), 2));
      cells.add(fmt(r.threads() * 1000.0 / meanMs, 0));
      cells.add(fmtMs(r.percentiles().get("50.0"), r));
      cells.add(fmtMs(r.percentiles().get("99.0"), r));
      cells.add(fmtMs(r.percentiles().get("99.9"), r));
      cells.add(pct(r.sum("staleServed"), calls));
      cells.add(pct(r.sum("errors"), calls));
      cells.add(fmt(r.max("peakLoads"), 0));
      cells.add(fmt(loads / measured, 1));
      row(b, cells);
    }
    naRows(b, rs, head.size() - 2 - varying.size(), varying.size());
    return b.toString();
  }

  /** The Caffeine baseline the ratios of the in-process rows are taken against. */
  static final String CAFFEINE_BASELINE = "caffeineLoadingGet";
  static final String ALLOC = "gc.alloc.rate.norm";
  /** The targets of the hit path: a hit within 1.1x of its baseline's time, 8 threads at 0.9x its throughput. */
  static final double MAX_TIME_RATIO = 1.10;
  static final double MIN_THROUGHPUT_RATIO = 0.90;

  /**
   * The hit path: per strategy and store, time and bytes per hit (1 thread), throughput with 8 threads on one key,
   * each against its store's baseline. In process the baseline is Caffeine's {@code LoadingCache.get} with the store's
   * expiry; on Redis, the raw {@code GET} of a value the size of the entry that strategy writes.
   */
  static String hitPathTable(List<Result> rs) {
    StringBuilder b = new StringBuilder(HIT_PATH_INTRO);
    HitPath h = HitPath.of(rs);
    List<String> head = List.of("strategy", "store", "time per hit (ns)", "bytes per hit", "baseline (ns)",
        "vs baseline", "8 threads (calls/us)", "vs baseline, 8 threads", "target");
    row(b, head);
    row(b, head.stream().map(x -> "---").toList());
    Result base = h.caffeine().get(CAFFEINE_BASELINE);
    Result base8 = h.caffeine8().get(CAFFEINE_BASELINE);
    for (String m : List.of("caffeineLoadingGet", "caffeineAsyncLoadingGet")) {
      Result r = h.caffeine().get(m);
      Result r8 = h.caffeine8().get(m);
      if (r == null && r8 == null) {
        continue;
      }
      String name = m.equals(CAFFEINE_BASELINE) ? "Caffeine `LoadingCache.get`, same expiry"
          : "Caffeine `AsyncLoadingCache.get(key).join()`, same expiry";
      row(b, List.of(name, "CAFFEINE", time(r), bytes(r), time(base), ratio(r, base), throughput(r8),
          ratio(r8, base8), "baseline"));
    }
    for (String k : h.strategyKeys()) {
      String strategy = k.split("\\|")[0];
      String store = k.split("\\|")[1];
      Result r = h.single().get(k);
      Result r8 = h.eight().get(k);
      Result b1 = store.equals("REDIS") ? h.redisBase().get(strategy) : base;
      Result b8 = store.equals("REDIS") ? null : base8;
      boolean peer = ordinal(strategy) != Integer.MAX_VALUE && !StrategyType.valueOf(strategy).runsOn(StoreType.REDIS);
      row(b, List.of(strategy, store, time(r), bytes(r), time(b1), ratio(r, b1), throughput(r8), ratio(r8, b8),
          peer ? "peer" : verdict(r, b1, r8, b8)));
    }
    naRows(b, rs.stream().filter(r -> r.method().equals("strategyGet")).toList(), head.size() - 2, 0);
    return b.toString();
  }

  /** What the hit path's table says first: its baselines, its columns and its targets. */
  static final String HIT_PATH_INTRO = "Baselines, each doing the work of the store under the strategies:\n\n"
      + "- in process (CAFFEINE): `LoadingCache.get(key)` and `AsyncLoadingCache.get(key).join()` on a Caffeine"
      + " cache configured as `CaffeineStore` configures its own: values are entries expiring at their own"
      + " expire time + retention (`expireAfter`, the same `Expiry`), the same ticker (`System.nanoTime`, read"
      + " once per get by Caffeine), size bound and kind of maintenance executor; it counts its hits"
      + " (`recordStats()`) as the strategies count theirs. Ratios are against `LoadingCache.get`.\n"
      + "- on Redis (REDIS): a raw Lettuce sync `GET` of a string exactly as long as the entry the strategy"
      + " writes (its trial runs the strategy once and sizes the value from what the store stored), one per"
      + " strategy.\n\n"
      + "Time per hit: one thread, mean ± its 99.9% interval. Bytes per hit: `-prof gc`"
      + " (`gc.alloc.rate.norm`), all threads' allocation per call, including Caffeine's maintenance"
      + " hand-offs. 8 threads: calls per microsecond of 8 threads reading the same key. Targets: a hit at most"
      + " " + fmt(MAX_TIME_RATIO, 2) + "x its baseline's time, 8 threads at least " + fmt(MIN_THROUGHPUT_RATIO, 2)
      + "x its throughput; a ratio whose interval includes its target is \"unclear\", not a miss.\n\n";

  /**
   * The hit path's results by role: the Caffeine baselines at 1 and 8 threads (by method), the strategies at 1 and
   * 8 threads (by {@code strategy|store}), the raw Redis GET sized by each strategy's entry (by strategy).
   */
  record HitPath(Map<String, Result> caffeine, Map<String, Result> caffeine8, Map<String, Result> single,
      Map<String, Result> redisBase, Map<String, Result> eight) {

    static HitPath of(List<Result> rs) {
      HitPath h = new HitPath(new LinkedHashMap<>(), new LinkedHashMap<>(), new LinkedHashMap<>(),
          new LinkedHashMap<>(), new LinkedHashMap<>());
      for (Result r : rs) {
        boolean contention = r.benchmarkClass().equals(CONTENTION);
        if (r.method().startsWith("caffeine")) {
          (contention ? h.caffeine8 : h.caffeine).put(r.method(), r);
        } else if (r.method().equals("redisGetSameSize")) {
          h.redisBase.put(r.param("strategy"), r);
        } else if (r.method().equals("strategyGet")) {
          (contention ? h.eight : h.single).put(r.param("strategy") + "|" + r.param("store"), r);
        }
      }
      return h;
    }

    /** Every {@code strategy|store} measured, in the strategies' declaration order, then by store. */
    List<String> strategyKeys() {
      Set<String> keys = new LinkedHashSet<>(single.keySet());
      keys.addAll(eight.keySet());
      return keys.stream().sorted(Comparator.comparingInt((String k) -> ordinal(k.split("\\|")[0]))
          .thenComparing(k -> k.split("\\|")[1])).toList();
    }
  }

  /** "123.4 ± 5.6" in nanoseconds, from a result in any time unit per operation. */
  static String time(@Nullable Result r) {
    if (r == null) {
      return "-";
    }
    double ns = r.millisPerUnit() * 1e6;
    return fmt(r.score() * ns, 1) + " ± " + fmt(r.scoreError() * ns, 1);
  }

  static String throughput(@Nullable Result r) {
    return r == null ? "-" : fmt(r.score(), 2) + " ± " + fmt(r.scoreError(), 2);
  }

  static String bytes(@Nullable Result r) {
    return r == null ? "-" : fmt(r.mean(ALLOC), 2);
  }

  /** score / baseline, with the interval of the ratio from both intervals (relative errors added in quadrature). */
  static String ratio(@Nullable Result r, @Nullable Result base) {
    if (r == null || base == null) {
      return "-";
    }
    double q = r.score() / base.score();
    double e = q * Math.hypot(r.scoreError() / r.score(), base.scoreError() / base.score());
    return fmt(q, 2) + "x ± " + fmt(e, 2);
  }

  /**
   * Whether a row meets the targets: "met" when each ratio is on the right side of its target, "missed" (by how
   * much) when a ratio's whole interval is on the wrong side, else "unclear" with the ratio: its interval includes
   * the target, so this run cannot tell.
   */
  static String verdict(@Nullable Result r, @Nullable Result base, @Nullable Result r8, @Nullable Result base8) {
    if ((r == null || base == null) && (r8 == null || base8 == null)) {
      return "-";
    }
    List<String> missed = new ArrayList<>();
    List<String> unclear = new ArrayList<>();
    if (r != null && base != null) {
      double q = r.score() / base.score();
      double e = q * Math.hypot(r.scoreError() / r.score(), base.scoreError() / base.score());
      String s = "1 thread " + fmt(q, 2) + "x";
      if (q > MAX_TIME_RATIO) {
        (q - e > MAX_TIME_RATIO ? missed : unclear).add(s);
      }
    }
    if (r8 != null && base8 != null) {
      double q = r8.score() / base8.score();
      double e = q * Math.hypot(r8.scoreError() / r8.score(), base8.scoreError() / base8.score());
      String s = "8 threads " + fmt(q, 2) + "x";
      if (q < MIN_THROUGHPUT_RATIO) {
        (q + e < MIN_THROUGHPUT_RATIO ? missed : unclear).add(s);
      }
    }
    List<String> parts = new ArrayList<>();
    if (!missed.isEmpty()) {
      parts.add("missed: " + String.join(", ", missed));
    }
    if (!unclear.isEmpty()) {
      parts.add("unclear (within the interval): " + String.join(", ", unclear));
    }
    return parts.isEmpty() ? "met" : String.join("; ", parts);
  }

  /** "n/a" rows for strategies that ran on Caffeine but have no Redis variant, when Redis rows exist. */
  static void naRows(StringBuilder b, List<Result> rs, int valueColumns, int paramColumns) {
    boolean anyRedis = rs.stream().anyMatch(r -> r.param("store").equals("REDIS"));
    if (!anyRedis) {
      return;
    }
    Set<String> done = new LinkedHashSet<>();
    for (Result r : sorted(rs)) {
      String s = r.param("strategy");
      if (!done.add(s)) {
        continue;
      }
      boolean runsOnRedis;
      try {
        runsOnRedis = StrategyType.valueOf(s).runsOn(StoreType.REDIS);
      } catch (IllegalArgumentException e) {
        continue;
      }
      if (!runsOnRedis) {
        List<String> cells = new ArrayList<>(List.of(s, "REDIS"));
        for (int i = 0; i < paramColumns + valueColumns; i++) {
          cells.add("n/a");
        }
        row(b, cells);
      }
    }
  }

  static List<Result> sorted(List<Result> rs) {
    return rs.stream().sorted(Comparator.comparingInt((Result r) -> ordinal(r.param("strategy")))
        .thenComparing(r -> r.param("store"))
        .thenComparing(r -> r.params().toString())).toList();
  }

  @SuppressWarnings("EnumOrdinal") // the order of the tables is the declaration order of StrategyType, on purpose
  static int ordinal(String strategy) {
    try {
      return StrategyType.valueOf(strategy).ordinal();
    } catch (IllegalArgumentException e) {
      return Integer.MAX_VALUE;
    }
  }

  static List<String> varyingParams(List<Result> rs) {
    Map<String, Set<String>> values = new LinkedHashMap<>();
    for (Result r : rs) {
      r.params().forEach((k, v) -> values.computeIfAbsent(k, x -> new LinkedHashSet<>()).add(v));
    }
    List<String> out = new ArrayList<>();
    values.forEach((k, v) -> {
      if (v.size() > 1 && !k.equals("strategy") && !k.equals("store")) {
        out.add(k);
      }
    });
    return out;
  }

  static String constantParams(List<Result> rs) {
    Map<String, Set<String>> values = new LinkedHashMap<>();
    for (Result r : rs) {
      r.params().forEach((k, v) -> values.computeIfAbsent(k, x -> new LinkedHashSet<>()).add(v));
    }
    List<String> out = new ArrayList<>();
    values.forEach((k, v) -> {
      if (v.size() == 1 && !k.equals("strategy") && !k.equals("store")) {
        out.add(k + "=" + v.iterator().next());
      }
    });
    return String.join(", ", out);
  }

  static void row(StringBuilder b, List<String> cells) {
    b.append("| ").append(String.join(" | ", cells)).append(" |\n");
  }

  static String fmt(Double v, int decimals) {
    if (v == null || v.isNaN() || v.isInfinite()) {
      return "-";
    }
    return String.format(Locale.ROOT, "%,." + decimals + "f", v);
  }

  static String fmtMs(@Nullable Double v, Result r) {
    if (v == null) {
      return "-";
    }
    double ms = v * r.millisPerUnit();
    return fmt(ms, ms < 0.1 ? 4 : ms < 10 ? 2 : 1);
  }

  static String pct(double part, double whole) {
    if (Double.isNaN(part) || Double.isNaN(whole) || whole == 0) {
      return "-";
    }
    return String.format(Locale.ROOT, "%.2f%%", 100.0 * part / whole);
  }
}
