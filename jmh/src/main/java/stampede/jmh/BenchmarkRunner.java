package stampede.jmh;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatFactory;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.BenchmarkList;
import org.openjdk.jmh.runner.BenchmarkListEntry;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import stampede.core.Nullable;
import stampede.fixtures.StoreType;
import stampede.fixtures.StrategyType;
import stampede.jmh.report.ResultsReport;
import stampede.report.MachineInfo;
import stampede.settings.BenchSettings;
import stampede.settings.Profile;

/**
 * Runs a benchmark profile and writes the results: {@code jmh-result.json} (JMH's JSON of every run, written by
 * JMH's own formatter from the {@link RunResult}s), {@code run-info.json} (machine, JVM, date, profile, estimated
 * and actual wall time) and the Markdown tables of {@link ResultsReport}, read back from that JSON exactly as the
 * regenerate command reads it.
 *
 * <p><b>Where the run settings live.</b> Each benchmark's mode, time unit, threads, forks (and heap), warm-up and
 * measurement are written once, in the JMH annotations of its class (or method): those are what
 * {@code java -jar benchmarks.jar <Benchmark>} runs, and they are the quick profile. This class never restates
 * them; it reads them from the list JMH's annotation processor generates ({@code META-INF/BenchmarkList}, see
 * {@link Iterations#of}), and a profile may only transform them all by one rule:
 * <ul>
 *   <li>{@code smoke}: 1 fork, no warm-up, one 1 s iteration; one strategy (SINGLE_FLIGHT on Caffeine) per scenario;
 *       writes to {@code jmh/target/bench-smoke} (CI);</li>
 *   <li>{@code quick} (default): the annotations as written; every strategy on Caffeine and a subset on Redis for
 *       the hit path (1 and 8 threads), a representative subset for the spread keys; about 7 minutes on 2 cores;
 *       writes to {@code results/};</li>
 *   <li>{@code full}: at least 2 forks, 2 warm-up and 5 measured iterations (iteration times as annotated); every
 *       strategy, store and parameter value, and the closed-loop hot-key, mass-expiry and failing-database
 *       benchmarks.</li>
 * </ul>
 * The closed-loop {@link HotKeyBenchmark}, {@link MassExpiryBenchmark} and {@link FailingDatabaseBenchmark} are in
 * the full profile only (and in smoke, which keeps them running): their questions are answered better by the
 * open-loop scenarios ({@code stampede.scenarios}: one hot key at 100,000 requests/s, midnight, the database outage),
 * which the bench command runs after this runner. In a closed loop a blocked caller sends nothing, so their stampede
 * is capped by their 8 or 16 threads.
 * What a profile does choose is the combinations: which strategies, stores and parameter values ({@link #profile}).
 *
 * <p>Its settings are {@link BenchSettings} (documented in {@code reference.conf}): the profile, subsets
 * ({@code -Dbench.only=<regex>} keeps the benchmarks whose {@code Class.method} matches (find),
 * {@code -Dbench.strategies=A,B} keeps those strategies), the output directory and {@code -Dbench.dryRun=true}
 * (prints the plan and its estimated time only).
 *
 * <p>The estimate counts, per JMH run (one fork of one parameter combination), an overhead for the JVM fork and trial
 * setup (an embedded Redis start on the Redis store) plus warm-up and measurement time, plus a per-iteration setup;
 * what JMH's annotations cannot say of a benchmark (its measured fork time, its per-iteration setup, whether its
 * runs add {@code -prof gc}) is declared here, once per benchmark class, in {@link Bench}.
 */
public final class BenchmarkRunner {
  /**
   * JVM fork + trial setup + teardown (+ JMH's iteration ramp-up/down), measured at about 3.7 s per run on the 2-core
   * dev machine (hot-key quick: 30 runs estimated at 3 s overhead took 202 s instead of 180 s).
   */
  static final double FORK_OVERHEAD_SECONDS = 3.7;
  /** Where JMH's annotation processor lists every benchmark with the settings of its annotations. */
  static final String BENCHMARK_LIST = "/META-INF/BenchmarkList";

  static final List<StrategyType> ALL = List.of(StrategyType.values());

  private BenchmarkRunner() {
  }

  /**
   * A benchmark class the runner plans, and what the runner needs to know of it that JMH's annotations do not say:
   * {@code forkSeconds}, JVM fork, trial setup and teardown per run, for the estimate (measured on the 2-core
   * machine); {@code setupSeconds}, wall time of its per-iteration setup, for the estimate (mass expiry rewrites its
   * keys); {@code gcProfile}, its runs add JMH's {@code -prof gc} (bytes allocated per operation, for the tables).
   */
  enum Bench {
    HOT_KEY(HotKeyBenchmark.class, FORK_OVERHEAD_SECONDS, 0, false),
    SPREAD_KEYS(SpreadKeysBenchmark.class, FORK_OVERHEAD_SECONDS, 0, false),
    /** Setup: its {@code writeAllAtOnce} plus JMH's iteration set-up, about 1.2 s on the 2-core machine. */
    MASS_EXPIRY(MassExpiryBenchmark.class, FORK_OVERHEAD_SECONDS, 1.2, false),
    FAILING_DATABASE(FailingDatabaseBenchmark.class, FORK_OVERHEAD_SECONDS, 0, false),
    /** About 2 s per fork on Caffeine, more on Redis (an embedded redis-server starts and stops). */
    HIT_PATH(HitPathBenchmark.class, 3.0, 0, true),
    CONTENTION(ContentionBenchmark.class, 2.3, 0, true);

    final String className;
    final String simpleName;
    final double forkSeconds;
    final double setupSeconds;
    final boolean gcProfile;

    Bench(Class<?> benchmark, double forkSeconds, double setupSeconds, boolean gcProfile) {
      this.className = benchmark.getName();
      this.simpleName = benchmark.getSimpleName();
      this.forkSeconds = forkSeconds;
      this.setupSeconds = setupSeconds;
      this.gcProfile = gcProfile;
    }
  }

  /** Forks, warm-up and measurement of a benchmark method. */
  record Iterations(int forks, int warmupIterations, Duration warmupTime, int iterations, Duration iterationTime) {

    /** What the annotations of a benchmark method (else of its class) say, as JMH lists them; all must be set. */
    static Iterations of(BenchmarkListEntry e) {
      int forks = e.getForks().orElse(-1);
      int warmups = e.getWarmupIterations().orElse(-1);
      int measured = e.getMeasurementIterations().orElse(-1);
      if (forks < 1 || warmups < 0 || measured < 1 || !e.getWarmupTime().hasValue()
          || !e.getMeasurementTime().hasValue()) {
        throw new IllegalStateException(e.getUsername() + ": set @Fork, @Warmup and @Measurement (iterations and"
            + " time) explicitly: its run settings belong in its annotations");
      }
      return new Iterations(forks, warmups, duration(e.getWarmupTime().get()), measured,
          duration(e.getMeasurementTime().get()));
    }

    private static Duration duration(TimeValue t) {
      return Duration.ofNanos(t.convertTo(TimeUnit.NANOSECONDS));
    }
  }

  /** The profiles' one rule each on the annotated settings. */
  static Iterations apply(Profile profile, Iterations s) {
    return switch (profile) {
      case SMOKE -> new Iterations(1, 0, s.warmupTime(), 1, Duration.ofSeconds(1));
      case QUICK -> s;
      case FULL -> new Iterations(Math.max(2, s.forks()), Math.max(2, s.warmupIterations()), s.warmupTime(),
          Math.max(5, s.iterations()), s.iterationTime());
    };
  }

  /** Every benchmark method of the jar, as JMH's annotation processor listed it. */
  static List<BenchmarkListEntry> benchmarkList() {
    try (InputStream in = BenchmarkRunner.class.getResourceAsStream(BENCHMARK_LIST)) {
      if (in == null) {
        throw new IllegalStateException(BENCHMARK_LIST + " is missing: JMH's annotation processor did not run");
      }
      return BenchmarkList.readBenchmarkList(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The benchmark methods of {@code bench} whose names match {@code method} (a regex) over a set of strategies,
   * stores and parameter values. No stores: the methods have no strategy (the Caffeine baselines of the hit path).
   */
  record Plan(Bench bench, String method, List<StrategyType> strategies, List<StoreType> stores,
      Map<String, String[]> params) {

    String name() {
      return bench.simpleName + "." + method;
    }

    /** The benchmark methods this plan runs, as JMH lists them, by name; at least one. */
    List<BenchmarkListEntry> entries() {
      Pattern p = Pattern.compile(method);
      List<BenchmarkListEntry> es = benchmarkList().stream()
          .filter(e -> e.getUserClassQName().equals(bench.className) && p.matcher(methodName(e)).matches())
          .sorted(Comparator.comparing(BenchmarkRunner::methodName)).toList();
      if (es.isEmpty()) {
        throw new IllegalStateException("no @Benchmark method of " + bench.simpleName + " matches " + method);
      }
      return es;
    }

    /** The names of the methods this plan runs. */
    List<String> methods() {
      return entries().stream().map(BenchmarkRunner::methodName).toList();
    }

    /** The annotated settings, the same for every method of the plan (a plan mixing settings is a mistake). */
    Iterations settings() {
      List<Iterations> all = entries().stream().map(Iterations::of).distinct().toList();
      if (all.size() != 1) {
        throw new IllegalStateException(name() + " matches methods with different settings: " + all);
      }
      return all.get(0);
    }
  }

  /** The method name of a listed benchmark ({@code get} of {@code stampede.jmh.HotKeyBenchmark.get}). */
  static String methodName(BenchmarkListEntry e) {
    return e.getUsername().substring(e.getUserClassQName().length() + 1);
  }

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

  /** What a profile runs: the combinations only (the run settings come from the annotations, see above). */
  static List<Plan> profile(Profile profile) {
    return switch (profile) {
      case SMOKE -> smoke();
      case QUICK -> quick();
      case FULL -> full();
    };
  }

  private static final List<StoreType> BOTH = List.of(StoreType.CAFFEINE, StoreType.REDIS);
  private static final List<StoreType> CAFFEINE = List.of(StoreType.CAFFEINE);
  private static final List<StoreType> REDIS = List.of(StoreType.REDIS);
  /** The hit path on Redis: each strategy against a raw GET sized by its entry. */
  private static final String HIT_REDIS_METHODS = "(strategyGet|redisGetSameSize)";

  /** One strategy (SINGLE_FLIGHT on Caffeine) per benchmark class. */
  private static List<Plan> smoke() {
    List<StrategyType> one = of("SINGLE_FLIGHT");
    return List.of(
        new Plan(Bench.HOT_KEY, "get", one, CAFFEINE, params()),
        new Plan(Bench.SPREAD_KEYS, "get", one, CAFFEINE, params("distribution", "ZIPF")),
        new Plan(Bench.MASS_EXPIRY, "get", one, CAFFEINE, params()),
        new Plan(Bench.FAILING_DATABASE, "get", one, CAFFEINE,
            params("failure", "FAIL", "periodMs", "1000", "failForMs", "500")),
        new Plan(Bench.HIT_PATH, "strategyGet", one, CAFFEINE, params()),
        new Plan(Bench.CONTENTION, "strategyGet", one, CAFFEINE, params()));
  }

  /**
   * Budget (printed at start): about 7 min on 2 cores, of which the hit path and contention about 4.5; the open-loop
   * scenarios take the rest of the bench command's 20 minutes. The hit path covers every strategy, the spread keys a
   * representative subset. The hot key, mass expiry and failing database are the scenarios' now (full profile only
   * here).
   */
  private static List<Plan> quick() {
    List<StrategyType> spreadCaffeine = of("CACHE_ASIDE", "SINGLE_FLIGHT", "TWO_LEVEL_COALESCING", "XFETCH",
        "STALE_WHILE_REVALIDATE", "LAYERED_STACK", "CAFFEINE_ASYNC_GET", "CAFFEINE_REFRESH_AFTER_WRITE");
    List<StrategyType> spreadRedis = of("CACHE_ASIDE", "SINGLE_FLIGHT", "XFETCH", "LAYERED_STACK");
    // on Redis the loopback round trip dominates a hit: a subset (one per policy, the plain path, the stack) shows
    // whether any strategy adds a round trip or much decoding, each against a raw GET of its entry's size
    List<StrategyType> hitRedis = of("CACHE_ASIDE", "SINGLE_FLIGHT", "XFETCH", "STALE_WHILE_REVALIDATE",
        "HOT_KEY_PROTECTION", "LAYERED_STACK");
    // SINGLE_FLIGHT_JITTER only differs from SINGLE_FLIGHT at a mass expiry, STALE_WHILE_REVALIDATE_SINGLE_FLIGHT from
    // STALE_WHILE_REVALIDATE on a miss, the priority shedders from cache-aside only on a miss (their scenario is
    // priority-overload): none of them on a hit, and the 5-minute share of the hit path has no room left
    List<StrategyType> all = ALL.stream().filter(t -> t != StrategyType.SINGLE_FLIGHT_JITTER
        && t != StrategyType.STALE_WHILE_REVALIDATE_SINGLE_FLIGHT && t != StrategyType.PRIORITY_SHEDDER
        && t != StrategyType.PRIORITY_SHEDDER_ADAPTIVE).toList();
    return List.of(
        new Plan(Bench.SPREAD_KEYS, "get", spreadCaffeine, CAFFEINE, params("distribution", "ZIPF")),
        new Plan(Bench.SPREAD_KEYS, "get", spreadRedis, REDIS, params("distribution", "ZIPF")),
        new Plan(Bench.HIT_PATH, "strategyGet", all, CAFFEINE, params()),
        new Plan(Bench.HIT_PATH, "caffeine.*", List.of(), List.of(), params()),
        new Plan(Bench.HIT_PATH, HIT_REDIS_METHODS, hitRedis, REDIS, params()),
        new Plan(Bench.CONTENTION, "strategyGet", all, CAFFEINE, params()),
        new Plan(Bench.CONTENTION, "caffeine.*", List.of(), List.of(), params()));
  }

  /** Every strategy, store and parameter value. */
  private static List<Plan> full() {
    return List.of(
        new Plan(Bench.HOT_KEY, "get", ALL, BOTH, params("dbLatencyMs", "5-50,1-5")),
        new Plan(Bench.SPREAD_KEYS, "get", ALL, BOTH, params("distribution", "ZIPF,UNIFORM")),
        new Plan(Bench.MASS_EXPIRY, "get", ALL, BOTH, params()),
        new Plan(Bench.FAILING_DATABASE, "get", ALL, BOTH, params("failure", "FAIL,SLOW")),
        new Plan(Bench.HIT_PATH, "strategyGet", ALL, CAFFEINE, params()),
        new Plan(Bench.HIT_PATH, "caffeine.*", List.of(), List.of(), params()),
        new Plan(Bench.HIT_PATH, HIT_REDIS_METHODS, ALL, REDIS, params()),
        new Plan(Bench.CONTENTION, "strategyGet", ALL, CAFFEINE, params()),
        new Plan(Bench.CONTENTION, "caffeine.*", List.of(), List.of(), params()));
  }

  /** One JMH invocation: a plan on one store (or the store-less raw baselines), with the profile's settings. */
  record Job(Plan plan, @Nullable StoreType store, List<StrategyType> strategies, Iterations settings) {

    /** Parameter combinations: strategies x values of every other parameter x methods. */
    int combinations() {
      int n = (strategies.isEmpty() ? 1 : strategies.size()) * plan.methods().size();
      for (String[] v : plan.params().values()) {
        n *= v.length;
      }
      return n;
    }

    double seconds() {
      Iterations s = settings;
      double setup = plan.bench().setupSeconds;
      return combinations() * s.forks() * (plan.bench().forkSeconds
          + s.warmupIterations() * (s.warmupTime().toMillis() / 1000.0 + setup)
          + s.iterations() * (s.iterationTime().toMillis() / 1000.0 + setup));
    }
  }

  static List<Job> jobs(Profile profile, String only, List<StrategyType> keep) {
    Pattern pattern = only == null || only.isBlank() ? null : Pattern.compile(only);
    List<Job> jobs = new ArrayList<>();
    for (Plan p : profile(profile)) {
      if (pattern != null && !pattern.matcher(p.name()).find()) {
        continue;
      }
      Iterations settings = apply(profile, p.settings());
      if (p.stores().isEmpty()) {
        jobs.add(new Job(p, null, List.of(), settings));
        continue;
      }
      for (StoreType store : p.stores()) {
        List<StrategyType> ss = p.strategies().stream()
            .filter(s -> s.runsOn(store))
            .filter(s -> keep.isEmpty() || keep.contains(s))
            .toList();
        if (!ss.isEmpty()) {
          jobs.add(new Job(p, store, ss, settings));
        }
      }
    }
    return jobs;
  }

  /** The jobs {@code settings} select: the profile's plans, filtered by {@code bench.only} and the strategies. */
  static List<Job> jobs(BenchSettings settings) {
    return jobs(settings.profile(), settings.jmhOnly(), settings.strategies().stream().map(StrategyType::valueOf)
        .toList());
  }

  public static void main(String[] args) throws IOException, RunnerException {
    BenchSettings settings = BenchSettings.fromSystem();
    List<Job> jobs = jobs(settings);
    double estimate = printPlan(settings, jobs);
    if (settings.jmhDryRun() || jobs.isEmpty()) {
      return;
    }
    run(settings, jobs, estimate);
  }

  /** Prints the plan, one line per job, and returns its estimated wall time in seconds. */
  static double printPlan(BenchSettings settings, List<Job> jobs) {
    double estimate = 0;
    System.out.printf(Locale.ROOT, "[bench] profile %s, output %s%n", settings.profile().id(),
        settings.out().toAbsolutePath());
    for (Job j : jobs) {
      Iterations s = j.settings();
      System.out.printf(Locale.ROOT, "[bench]   %-30s %-8s %2d combination(s) x %d fork(s) x (%.1f s overhead + %d x %s"
              + " warm-up + %d x %s measured + %.1f s setup per iteration) = %4.0f s%n", j.plan().name(),
          j.store() == null ? "-" : j.store(), j.combinations(), s.forks(), j.plan().bench().forkSeconds,
          s.warmupIterations(), human(s.warmupTime()), s.iterations(), human(s.iterationTime()),
          j.plan().bench().setupSeconds, j.seconds());
      estimate += j.seconds();
    }
    System.out.printf(Locale.ROOT, "[bench] estimated wall time: %.0f s (%.1f min) for %d JMH run(s)%n", estimate,
        estimate / 60, jobs.size());
    return estimate;
  }

  /** Runs every job, writing the JSON after each, then {@code run-info.json} and the tables. */
  static void run(BenchSettings settings, List<Job> jobs, double estimate) throws IOException, RunnerException {
    Path out = settings.out();
    Files.createDirectories(out);
    Path json = out.resolve("jmh-result.json");
    long start = System.nanoTime();
    List<RunResult> results = new ArrayList<>();
    for (Job j : jobs) {
      long jobStart = System.nanoTime();
      results.addAll(new Runner(options(j).build()).run());
      writeJson(results, json); // after every run, so an interrupted profile keeps what it measured
      System.out.printf(Locale.ROOT, "[bench] %s on %s: %.0f s (estimated %.0f s)%n", j.plan().name(),
          j.store() == null ? "-" : j.store(), (System.nanoTime() - jobStart) / 1e9, j.seconds());
    }
    double wall = (System.nanoTime() - start) / 1e9;
    Map<String, Object> info = MachineInfo.collect();
    info.put("profile", settings.profile().id());
    info.put("command", settings.jmhCommand());
    info.put("jmhRuns", jobs.size());
    info.put("estimatedSeconds", Math.round(estimate));
    info.put("wallSeconds", Math.round(wall));
    MachineInfo.write(info, out.resolve("run-info.json"));
    for (Path p : ResultsReport.write(json, out)) {
      System.out.println("[bench] wrote " + p);
    }
    System.out.printf(Locale.ROOT, "[bench] done: %s, wall time %.0f s (estimated %.0f s)%n", json, wall, estimate);
  }

  /** The JMH options of a job: its benchmark methods, parameters and the profile's settings. */
  static ChainedOptionsBuilder options(Job j) {
    Plan p = j.plan();
    Iterations s = j.settings();
    ChainedOptionsBuilder o = new OptionsBuilder()
        .include("^" + Pattern.quote(p.bench().className + ".") + p.method() + "$")
        .forks(s.forks())
        .warmupIterations(s.warmupIterations())
        .warmupTime(TimeValue.milliseconds(s.warmupTime().toMillis()))
        .measurementIterations(s.iterations())
        .measurementTime(TimeValue.milliseconds(s.iterationTime().toMillis()));
    if (p.bench().gcProfile) {
      o.addProfiler(GCProfiler.class);
    }
    if (j.store() != null) {
      o.param("store", j.store().name());
      o.param("strategy", j.strategies().stream().map(Enum::name).toArray(String[]::new));
    }
    p.params().forEach(o::param);
    return o;
  }

  /** Every result so far as one JMH JSON array, by JMH's own formatter. */
  static void writeJson(List<RunResult> results, Path file) throws IOException {
    try (OutputStream os = Files.newOutputStream(file);
         PrintStream ps = new PrintStream(os, true, StandardCharsets.UTF_8)) {
      ResultFormatFactory.getInstance(ResultFormatType.JSON, ps).writeOut(results);
    }
  }

  static String human(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
  }
}
