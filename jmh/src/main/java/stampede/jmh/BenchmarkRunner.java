package stampede.jmh;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import stampede.jmh.report.MachineInfo;
import stampede.jmh.report.ResultsReport;

/**
 * Runs a benchmark profile and writes the results: {@code jmh-result.json} (JMH's JSON, all runs merged),
 * {@code run-info.json} (machine, JVM, date, profile, estimated and actual wall time) and the Markdown tables of
 * {@link ResultsReport}.
 *
 * <p>Profiles ({@code -Dbench.profile=}):
 * <ul>
 *   <li>{@code smoke}: one 1 s iteration of one benchmark (SINGLE_FLIGHT on Caffeine) per scenario, no warm-up;
 *       writes to {@code jmh/target/bench-smoke} (CI);</li>
 *   <li>{@code quick} (default): every strategy and peer on both stores for hot key and hit path, a
 *       representative subset for the other scenarios, 1 fork, short iterations; under 12 minutes on 2 cores;
 *       writes to {@code results/};</li>
 *   <li>{@code full}: every strategy, store and parameter value, 2 forks, longer iterations.</li>
 * </ul>
 * Subsets: {@code -Dbench.only=<regex>} keeps the benchmarks whose {@code Class.method} matches (find);
 * {@code -Dbench.strategies=A,B} keeps those strategies. {@code -Dbench.out=<dir>} overrides the output
 * directory; {@code -Dbench.dryRun=true} prints the plan and its estimated time only.
 *
 * <p>The estimate counts, per JMH run (one fork of one parameter combination), a fixed overhead for the JVM
 * fork and trial setup (an embedded Redis start on the Redis store) plus warm-up and measurement time.
 */
public final class BenchmarkRunner {
  /**
   * JVM fork + trial setup + teardown (+ JMH's iteration ramp-up/down), measured at about 3.7 s per run on the
   * 2-core dev machine (hot-key quick: 30 runs estimated at 3 s overhead took 202 s instead of 180 s).
   */
  static final double FORK_OVERHEAD_SECONDS = 3.7;

  /** One benchmark method over a set of strategies, stores and extra parameters, with its run lengths. */
  record Plan(String benchmark, String method, List<StrategyType> strategies, List<StoreType> stores,
      Map<String, String[]> params, int warmupIterations, Duration warmupTime, int iterations,
      Duration iterationTime, int forks, double extraSecondsPerIteration) {

    String name() {
      return benchmark + "." + method;
    }

    /** Parameter combinations this plan runs on {@code store}. */
    int combinations(List<StrategyType> strategies) {
      // a strategy-less plan is the hit path's two raw baselines ("raw.*")
      int n = strategies.isEmpty() ? (method.contains("*") ? 2 : 1) : strategies.size();
      for (String[] v : params.values()) {
        n *= v.length;
      }
      return n;
    }

    double secondsPerCombination() {
      int its = warmupIterations + iterations;
      return forks * (FORK_OVERHEAD_SECONDS + warmupIterations * warmupTime.toMillis() / 1000.0
          + iterations * iterationTime.toMillis() / 1000.0 + its * extraSecondsPerIteration);
    }
  }

  private BenchmarkRunner() {
  }

  static final List<StrategyType> ALL = List.of(StrategyType.values());

  static List<StrategyType> of(String... names) {
    return Arrays.stream(names).map(StrategyType::valueOf).toList();
  }

  static Map<String, String[]> params(String... kv) {
    Map<String, String[]> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put(kv[i], kv[i + 1].split(","));
    }
    return m;
  }

  /** The plans of a profile. */
  static List<Plan> profile(String name) {
    List<StoreType> both = List.of(StoreType.CAFFEINE, StoreType.REDIS);
    List<StoreType> caffeine = List.of(StoreType.CAFFEINE);
    List<StoreType> redis = List.of(StoreType.REDIS);
    Duration s1 = Duration.ofSeconds(1);
    Duration s2 = Duration.ofSeconds(2);
    switch (name) {
      case "smoke": {
        List<StrategyType> one = of("SINGLE_FLIGHT");
        return List.of(
            new Plan("HotKeyBenchmark", "get", one, caffeine, params(), 0, s1, 1, s1, 1, 0),
            new Plan("SpreadKeysBenchmark", "get", one, caffeine, params("distribution", "ZIPF"), 0, s1, 1, s1, 1, 0),
            new Plan("MassExpiryBenchmark", "get", one, caffeine, params(), 0, s1, 1, s1, 1, 1.2),
            new Plan("FailingDatabaseBenchmark", "get", one, caffeine,
                params("failure", "FAIL", "periodMs", "1000", "failForMs", "500"), 0, s1, 1, s1, 1, 0),
            new Plan("HitPathBenchmark", "strategyGet", one, caffeine, params(), 0, s1, 1, s1, 1, 0));
      }
      case "quick": {
        // budget (printed at start): about 10-11 min on 2 cores; the hot key and the hit path cover every
        // strategy on both stores, the other scenarios a representative subset
        List<StrategyType> spread = of("CACHE_ASIDE", "SINGLE_FLIGHT", "TWO_LEVEL_COALESCING", "XFETCH",
            "STALE_WHILE_REVALIDATE", "LAYERED_STACK", "CAFFEINE_ASYNC_GET", "CAFFEINE_REFRESH_AFTER_WRITE");
        List<StrategyType> spreadRedis = of("CACHE_ASIDE", "SINGLE_FLIGHT", "XFETCH", "LAYERED_STACK");
        List<StrategyType> midnight = of("CACHE_ASIDE", "TTL_JITTER", "SINGLE_FLIGHT", "SINGLE_FLIGHT_JITTER",
            "XFETCH", "LAYERED_STACK", "CAFFEINE_ASYNC_GET");
        List<StrategyType> midnightRedis = of("CACHE_ASIDE", "TTL_JITTER", "SINGLE_FLIGHT", "SINGLE_FLIGHT_JITTER");
        List<StrategyType> failing = of("CACHE_ASIDE", "SINGLE_FLIGHT", "TWO_LEVEL_COALESCING",
            "STALE_WHILE_REVALIDATE", "BACKGROUND_REFRESH", "RATE_LIMITED", "CIRCUIT_BREAKER", "LOAD_SHEDDER",
            "LAYERED_STACK", "CAFFEINE_ASYNC_GET", "CAFFEINE_REFRESH_AFTER_WRITE");
        List<StrategyType> failingRedis = of("CACHE_ASIDE", "SINGLE_FLIGHT", "STALE_WHILE_REVALIDATE",
            "CIRCUIT_BREAKER", "LAYERED_STACK");
        List<StrategyType> hitRedis = of("CACHE_ASIDE", "SINGLE_FLIGHT", "TWO_LEVEL_COALESCING", "XFETCH",
            "STALE_WHILE_REVALIDATE", "HOT_KEY_PROTECTION", "LAYERED_STACK");
        Duration ms300 = Duration.ofMillis(300);
        Duration ms700 = Duration.ofMillis(700);
        // SINGLE_FLIGHT_JITTER only differs from SINGLE_FLIGHT at a mass expiry
        List<StrategyType> all = ALL.stream().filter(t -> t != StrategyType.SINGLE_FLIGHT_JITTER).toList();
        return List.of(
            new Plan("HotKeyBenchmark", "get", all, both, params(), 1, s1, 2, s1, 1, 0),
            new Plan("SpreadKeysBenchmark", "get", spread, caffeine, params("distribution", "ZIPF"), 1, s1, 2, s1, 1,
                0),
            new Plan("SpreadKeysBenchmark", "get", spreadRedis, redis, params("distribution", "ZIPF"), 1, s1, 2, s1,
                1, 0),
            new Plan("MassExpiryBenchmark", "get", midnight, caffeine, params(), 1, s1, 2, s1, 1, 1.2),
            new Plan("MassExpiryBenchmark", "get", midnightRedis, redis, params(), 1, s1, 2, s1, 1, 1.2),
            new Plan("FailingDatabaseBenchmark", "get", failing, caffeine, params("failure", "FAIL"), 1, s1, 2, s2, 1,
                0),
            new Plan("FailingDatabaseBenchmark", "get", failingRedis, redis, params("failure", "FAIL"), 1, s1, 2, s2,
                1, 0),
            new Plan("HitPathBenchmark", "strategyGet", all, caffeine, params(), 1, ms300, 1, ms700, 1, 0),
            // on Redis the loopback round trip dominates a hit: a subset shows whether any strategy adds one
            new Plan("HitPathBenchmark", "strategyGet", hitRedis, redis, params(), 1, ms300, 1, ms700, 1, 0),
            new Plan("HitPathBenchmark", "raw.*", List.of(), List.of(), params(), 1, ms300, 2, ms700, 1, 0));
      }
      case "full": {
        return List.of(
            new Plan("HotKeyBenchmark", "get", ALL, both, params("dbLatencyMs", "5-50,1-5"), 2, s2, 5, s2, 2, 0),
            new Plan("SpreadKeysBenchmark", "get", ALL, both, params("distribution", "ZIPF,UNIFORM"), 2, s2, 5, s2,
                2, 0),
            new Plan("MassExpiryBenchmark", "get", ALL, both, params(), 2, s1, 5, s1, 2, 1.2),
            new Plan("FailingDatabaseBenchmark", "get", ALL, both, params("failure", "FAIL,SLOW"), 1, s2, 4, s2, 2,
                0),
            new Plan("HitPathBenchmark", "strategyGet", ALL, both, params(), 2, s1, 5, s1, 2, 0),
            new Plan("HitPathBenchmark", "raw.*", List.of(), List.of(), params(), 2, s1, 5, s1, 2, 0));
      }
      default:
        throw new IllegalArgumentException("bench.profile must be smoke, quick or full: " + name);
    }
  }

  /** One JMH invocation: a plan on one store (or the store-less raw baselines). */
  record Job(Plan plan, StoreType store, List<StrategyType> strategies) {
    double seconds() {
      return plan.combinations(strategies) * plan.secondsPerCombination();
    }
  }

  static List<Job> jobs(List<Plan> plans, String only, List<StrategyType> keep) {
    Pattern pattern = only == null || only.isBlank() ? null : Pattern.compile(only);
    List<Job> jobs = new ArrayList<>();
    for (Plan p : plans) {
      if (pattern != null && !pattern.matcher(p.name()).find()) {
        continue;
      }
      if (p.stores().isEmpty()) {
        jobs.add(new Job(p, null, List.of()));
        continue;
      }
      for (StoreType store : p.stores()) {
        List<StrategyType> ss = p.strategies().stream()
            .filter(s -> s.runsOn(store))
            .filter(s -> keep.isEmpty() || keep.contains(s))
            .toList();
        if (!ss.isEmpty()) {
          jobs.add(new Job(p, store, ss));
        }
      }
    }
    return jobs;
  }

  public static void main(String[] args) throws IOException, RunnerException {
    String profile = System.getProperty("bench.profile", "quick").trim();
    if (profile.isEmpty()) {
      profile = "quick";
    }
    String only = System.getProperty("bench.only", "");
    String strategiesProp = System.getProperty("bench.strategies", "").trim();
    List<StrategyType> keep = strategiesProp.isEmpty() ? List.of()
        : Arrays.stream(strategiesProp.split(",")).map(String::trim).map(StrategyType::valueOf).toList();
    Path out = Path.of(System.getProperty("bench.out", profile.equals("smoke")
        ? System.getProperty("bench.smokeDir", "jmh/target/bench-smoke")
        : System.getProperty("bench.resultsDir", "results")));
    boolean dryRun = Boolean.parseBoolean(System.getProperty("bench.dryRun", "false"));

    List<Job> jobs = jobs(profile(profile), only, keep);
    double estimate = 0;
    System.out.printf(Locale.ROOT, "[bench] profile %s, output %s%n", profile, out.toAbsolutePath());
    for (Job j : jobs) {
      Plan p = j.plan();
      System.out.printf(Locale.ROOT, "[bench]   %-30s %-8s %2d combination(s) x %d fork(s) x (%.1f s overhead + %d x %s"
              + " warm-up + %d x %s measured + %.1f s setup per iteration) = %4.0f s%n", p.name(),
          j.store() == null ? "-" : j.store(), p.combinations(j.strategies()), p.forks(), FORK_OVERHEAD_SECONDS,
          p.warmupIterations(), human(p.warmupTime()), p.iterations(), human(p.iterationTime()),
          p.extraSecondsPerIteration(), j.seconds());
      estimate += j.seconds();
    }
    System.out.printf(Locale.ROOT, "[bench] estimated wall time: %.0f s (%.1f min) for %d JMH run(s)%n", estimate,
        estimate / 60, jobs.size());
    if (dryRun || jobs.isEmpty()) {
      return;
    }

    Files.createDirectories(out);
    Path parts = Files.createTempDirectory("stampede-jmh-");
    long start = System.nanoTime();
    List<String> jsons = new ArrayList<>();
    int n = 0;
    for (Job j : jobs) {
      Path file = parts.resolve("part-" + (n++) + ".json");
      long jobStart = System.nanoTime();
      new Runner(options(j, file).build()).run();
      System.out.printf(Locale.ROOT, "[bench] %s on %s: %.0f s (estimated %.0f s)%n", j.plan().name(),
          j.store() == null ? "-" : j.store(), (System.nanoTime() - jobStart) / 1e9, j.seconds());
      if (Files.exists(file)) {
        jsons.add(Files.readString(file, StandardCharsets.UTF_8));
      }
    }
    double wall = (System.nanoTime() - start) / 1e9;
    Path json = out.resolve("jmh-result.json");
    Files.writeString(json, merge(jsons), StandardCharsets.UTF_8);

    Map<String, Object> info = MachineInfo.collect();
    info.put("profile", profile);
    info.put("command", "mvn -B -ntp -P bench -pl jmh -am verify -DskipTests -Dbench.profile=" + profile
        + (only.isBlank() ? "" : " -Dbench.only=" + only)
        + (strategiesProp.isEmpty() ? "" : " -Dbench.strategies=" + strategiesProp));
    info.put("jmhRuns", jobs.size());
    info.put("estimatedSeconds", Math.round(estimate));
    info.put("wallSeconds", Math.round(wall));
    Files.writeString(out.resolve("run-info.json"), MachineInfo.toJson(info), StandardCharsets.UTF_8);
    for (Path p : ResultsReport.write(json, out)) {
      System.out.println("[bench] wrote " + p);
    }
    System.out.printf(Locale.ROOT, "[bench] done: %s, wall time %.0f s (estimated %.0f s)%n", json, wall, estimate);
  }

  static ChainedOptionsBuilder options(Job j, Path resultFile) {
    Plan p = j.plan();
    ChainedOptionsBuilder o = new OptionsBuilder()
        .include("stampede\\.jmh\\." + p.benchmark() + "\\." + p.method() + "$")
        .forks(p.forks())
        .warmupIterations(p.warmupIterations())
        .warmupTime(TimeValue.milliseconds(p.warmupTime().toMillis()))
        .measurementIterations(p.iterations())
        .measurementTime(TimeValue.milliseconds(p.iterationTime().toMillis()))
        .jvmArgsAppend("-Xms256m", "-Xmx1g")
        .resultFormat(ResultFormatType.JSON)
        .result(resultFile.toString());
    if (j.store() != null) {
      o.param("store", j.store().name());
      o.param("strategy", j.strategies().stream().map(Enum::name).toArray(String[]::new));
    }
    p.params().forEach(o::param);
    return o;
  }

  static String human(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
  }

  /** Concatenates JMH JSON arrays into one array. */
  static String merge(List<String> arrays) {
    List<String> bodies = new ArrayList<>();
    for (String a : arrays) {
      String t = a.trim();
      if (t.startsWith("[") && t.endsWith("]")) {
        String body = t.substring(1, t.length() - 1).trim();
        if (!body.isEmpty()) {
          bodies.add(body);
        }
      }
    }
    return "[\n" + String.join(",\n", bodies) + "\n]\n";
  }
}
