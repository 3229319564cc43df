package stampede.jmh;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
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
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatFactory;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import stampede.report.MachineInfo;
import stampede.jmh.report.ResultsReport;
import stampede.fixtures.StoreType;
import stampede.fixtures.StrategyType;

/**
 * Runs a benchmark profile and writes the results: {@code jmh-result.json} (JMH's JSON of every run, written by
 * JMH's own formatter from the {@link RunResult}s), {@code run-info.json} (machine, JVM, date, profile, estimated
 * and actual wall time) and the Markdown tables of {@link ResultsReport}, read back from that JSON exactly as the
 * regenerate command reads it.
 *
 * <p><b>Where the run settings live.</b> Each benchmark's mode, time unit, threads, forks (and heap), warm-up and
 * measurement are written once, in the JMH annotations of its class (or method): those are what
 * {@code java -jar benchmarks.jar <Benchmark>} runs, and they are the quick profile. This class never restates
 * them; it reads them ({@link Settings#of}) and a profile may only transform them all by one rule:
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
 * <p>Subsets: {@code -Dbench.only=<regex>} keeps the benchmarks whose {@code Class.method} matches (find);
 * {@code -Dbench.strategies=A,B} keeps those strategies. {@code -Dbench.out=<dir>} overrides the output directory;
 * {@code -Dbench.dryRun=true} prints the plan and its estimated time only.
 *
 * <p>The estimate counts, per JMH run (one fork of one parameter combination), an overhead for the JVM fork and trial
 * setup (an embedded Redis start on the Redis store; a benchmark may declare its own, measured, as
 * {@code static final double FORK_SECONDS}) plus warm-up and measurement time, plus the per-iteration setup a
 * benchmark declares as {@code static final double SETUP_SECONDS_PER_ITERATION}.
 */
public final class BenchmarkRunner {
  /**
   * JVM fork + trial setup + teardown (+ JMH's iteration ramp-up/down), measured at about 3.7 s per run on the 2-core
   * dev machine (hot-key quick: 30 runs estimated at 3 s overhead took 202 s instead of 180 s).
   */
  static final double FORK_OVERHEAD_SECONDS = 3.7;

  static final List<StrategyType> ALL = List.of(StrategyType.values());

  private BenchmarkRunner() {
  }

  /** Forks, warm-up and measurement of a benchmark method. */
  record Settings(int forks, int warmupIterations, Duration warmupTime, int iterations, Duration iterationTime) {

    /** What the annotations of {@code method} (else of its class) say; all three must be there. */
    static Settings of(Method method) {
      Fork fork = annotation(method, Fork.class);
      Warmup warmup = annotation(method, Warmup.class);
      Measurement measurement = annotation(method, Measurement.class);
      if (fork.value() < 1 || warmup.iterations() < 0 || measurement.iterations() < 1 || warmup.time() < 1
          || measurement.time() < 1) {
        throw new IllegalStateException(method + ": set forks, iterations and times explicitly in its annotations");
      }
      return new Settings(fork.value(), warmup.iterations(), duration(warmup.time(), warmup.timeUnit()),
          measurement.iterations(), duration(measurement.time(), measurement.timeUnit()));
    }

    private static <A extends java.lang.annotation.Annotation> A annotation(Method method, Class<A> type) {
      A a = method.getAnnotation(type);
      if (a == null) {
        a = method.getDeclaringClass().getAnnotation(type);
      }
      if (a == null) {
        throw new IllegalStateException(method.getDeclaringClass().getSimpleName() + "." + method.getName()
            + " has no @" + type.getSimpleName() + ": its run settings belong in its annotations");
      }
      return a;
    }

    private static Duration duration(int time, TimeUnit unit) {
      return Duration.ofNanos(unit.toNanos(time));
    }
  }

  /** The profiles and their one rule each on the annotated settings. */
  enum Profile {
    SMOKE, QUICK, FULL;

    Settings apply(Settings s) {
      return switch (this) {
        case SMOKE -> new Settings(1, 0, s.warmupTime(), 1, Duration.ofSeconds(1));
        case QUICK -> s;
        case FULL -> new Settings(Math.max(2, s.forks()), Math.max(2, s.warmupIterations()), s.warmupTime(),
            Math.max(5, s.iterations()), s.iterationTime());
      };
    }

    static Profile of(String name) {
      try {
        return valueOf(name.trim().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("bench.profile must be smoke, quick or full: " + name, e);
      }
    }

    String id() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * The benchmark methods of {@code benchmark} whose names match {@code method} (a regex) over a set of strategies,
   * stores and parameter values. No stores: the methods have no strategy (the Caffeine baselines of the hit path).
   */
  record Plan(Class<?> benchmark, String method, List<StrategyType> strategies, List<StoreType> stores,
      Map<String, String[]> params) {

    String name() {
      return benchmark.getSimpleName() + "." + method;
    }

    /** The {@code @Benchmark} methods this plan runs, by name; at least one. */
    List<Method> methods() {
      Pattern p = Pattern.compile(method);
      List<Method> ms = Arrays.stream(benchmark.getMethods())
          .filter(m -> m.isAnnotationPresent(Benchmark.class) && p.matcher(m.getName()).matches())
          .sorted(Comparator.comparing(Method::getName)).toList();
      if (ms.isEmpty()) {
        throw new IllegalStateException("no @Benchmark method of " + benchmark.getSimpleName() + " matches " + method);
      }
      return ms;
    }

    /** The annotated settings, the same for every method of the plan (a plan mixing settings is a mistake). */
    Settings settings() {
      List<Settings> all = methods().stream().map(Settings::of).distinct().toList();
      if (all.size() != 1) {
        throw new IllegalStateException(name() + " matches methods with different settings: " + all);
      }
      return all.get(0);
    }

    /**
     * True if the benchmark declares {@code static final boolean GC_PROFILE = true}: its runs add JMH's {@code -prof gc}
     * (bytes allocated per operation, for the tables).
     */
    boolean gcProfile() {
      try {
        Field f = benchmark.getDeclaredField("GC_PROFILE");
        if (Modifier.isStatic(f.getModifiers()) && f.getType() == boolean.class) {
          f.setAccessible(true);
          return f.getBoolean(null);
        }
      } catch (NoSuchFieldException | IllegalAccessException e) {
        // none declared
      }
      return false;
    }

    /**
     * JVM fork and trial setup per run, as the benchmark declares it ({@code static final double
     * FORK_SECONDS}, measured), else {@link #FORK_OVERHEAD_SECONDS}.
     */
    double forkSeconds() {
      try {
        Field f = benchmark.getDeclaredField("FORK_SECONDS");
        if (Modifier.isStatic(f.getModifiers()) && f.getType() == double.class) {
          f.setAccessible(true);
          return f.getDouble(null);
        }
      } catch (NoSuchFieldException | IllegalAccessException e) {
        // none declared
      }
      return FORK_OVERHEAD_SECONDS;
    }

    /** Wall time a benchmark spends in its per-iteration setup, as it declares it (0 if it does not). */
    double setupSecondsPerIteration() {
      try {
        Field f = benchmark.getDeclaredField("SETUP_SECONDS_PER_ITERATION");
        if (Modifier.isStatic(f.getModifiers()) && f.getType() == double.class) {
          f.setAccessible(true);
          return f.getDouble(null);
        }
      } catch (NoSuchFieldException | IllegalAccessException e) {
        // none declared
      }
      return 0;
    }
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
    List<StoreType> both = List.of(StoreType.CAFFEINE, StoreType.REDIS);
    List<StoreType> caffeine = List.of(StoreType.CAFFEINE);
    List<StoreType> redis = List.of(StoreType.REDIS);
    Class<?> hot = HotKeyBenchmark.class;
    Class<?> spread = SpreadKeysBenchmark.class;
    Class<?> mass = MassExpiryBenchmark.class;
    Class<?> failing = FailingDatabaseBenchmark.class;
    Class<?> hit = HitPathBenchmark.class;
    Class<?> contention = ContentionBenchmark.class;
    String hitRedisMethods = "(strategyGet|redisGetSameSize)"; // a raw GET sized by each strategy's entry
    switch (profile) {
      case SMOKE: {
        List<StrategyType> one = of("SINGLE_FLIGHT");
        return List.of(
            new Plan(hot, "get", one, caffeine, params()),
            new Plan(spread, "get", one, caffeine, params("distribution", "ZIPF")),
            new Plan(mass, "get", one, caffeine, params()),
            new Plan(failing, "get", one, caffeine, params("failure", "FAIL", "periodMs", "1000", "failForMs", "500")),
            new Plan(hit, "strategyGet", one, caffeine, params()),
            new Plan(contention, "strategyGet", one, caffeine, params()));
      }
      case QUICK: {
        // budget (printed at start): about 7 min on 2 cores, of which the hit path and contention about 4.5; the
        // open-loop scenarios take the rest of the bench command's 20 minutes. The hit path covers every strategy,
        // the spread keys a representative subset. The hot key, mass expiry and failing database are the scenarios'
        // now (full profile only here).
        List<StrategyType> spreadCaffeine = of("CACHE_ASIDE", "SINGLE_FLIGHT", "TWO_LEVEL_COALESCING", "XFETCH",
            "STALE_WHILE_REVALIDATE", "LAYERED_STACK", "CAFFEINE_ASYNC_GET", "CAFFEINE_REFRESH_AFTER_WRITE");
        List<StrategyType> spreadRedis = of("CACHE_ASIDE", "SINGLE_FLIGHT", "XFETCH", "LAYERED_STACK");
        // on Redis the loopback round trip dominates a hit: a subset (one per policy, the plain path, the stack)
        // shows whether any strategy adds a round trip or much decoding, each against a raw GET of its entry's size
        List<StrategyType> hitRedis = of("CACHE_ASIDE", "SINGLE_FLIGHT", "XFETCH", "STALE_WHILE_REVALIDATE",
            "HOT_KEY_PROTECTION", "LAYERED_STACK");
        // SINGLE_FLIGHT_JITTER only differs from SINGLE_FLIGHT at a mass expiry
        List<StrategyType> all = ALL.stream().filter(t -> t != StrategyType.SINGLE_FLIGHT_JITTER).toList();
        return List.of(
            new Plan(spread, "get", spreadCaffeine, caffeine, params("distribution", "ZIPF")),
            new Plan(spread, "get", spreadRedis, redis, params("distribution", "ZIPF")),
            new Plan(hit, "strategyGet", all, caffeine, params()),
            new Plan(hit, "caffeine.*", List.of(), List.of(), params()),
            new Plan(hit, hitRedisMethods, hitRedis, redis, params()),
            new Plan(contention, "strategyGet", all, caffeine, params()),
            new Plan(contention, "caffeine.*", List.of(), List.of(), params()));
      }
      case FULL: {
        return List.of(
            new Plan(hot, "get", ALL, both, params("dbLatencyMs", "5-50,1-5")),
            new Plan(spread, "get", ALL, both, params("distribution", "ZIPF,UNIFORM")),
            new Plan(mass, "get", ALL, both, params()),
            new Plan(failing, "get", ALL, both, params("failure", "FAIL,SLOW")),
            new Plan(hit, "strategyGet", ALL, caffeine, params()),
            new Plan(hit, "caffeine.*", List.of(), List.of(), params()),
            new Plan(hit, hitRedisMethods, ALL, redis, params()),
            new Plan(contention, "strategyGet", ALL, caffeine, params()),
            new Plan(contention, "caffeine.*", List.of(), List.of(), params()));
      }
      default:
        throw new AssertionError(profile);
    }
  }

  /** One JMH invocation: a plan on one store (or the store-less raw baselines), with the profile's settings. */
  record Job(Plan plan, StoreType store, List<StrategyType> strategies, Settings settings) {

    /** Parameter combinations: strategies x values of every other parameter x methods. */
    int combinations() {
      int n = (strategies.isEmpty() ? 1 : strategies.size()) * plan.methods().size();
      for (String[] v : plan.params().values()) {
        n *= v.length;
      }
      return n;
    }

    double seconds() {
      Settings s = settings;
      double setup = plan.setupSecondsPerIteration();
      return combinations() * s.forks() * (plan.forkSeconds()
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
      Settings settings = profile.apply(p.settings());
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

  public static void main(String[] args) throws IOException, RunnerException {
    String profileName = System.getProperty("bench.profile", "quick").trim();
    Profile profile = Profile.of(profileName.isEmpty() ? "quick" : profileName);
    String only = System.getProperty("bench.only", "");
    String strategiesProp = System.getProperty("bench.strategies", "").trim();
    List<StrategyType> keep = strategiesProp.isEmpty() ? List.of()
        : Arrays.stream(strategiesProp.split(",")).map(String::trim).map(StrategyType::valueOf).toList();
    Path out = Path.of(System.getProperty("bench.out", profile == Profile.SMOKE
        ? System.getProperty("bench.smokeDir", "jmh/target/bench-smoke")
        : System.getProperty("bench.resultsDir", "results")));
    boolean dryRun = Boolean.parseBoolean(System.getProperty("bench.dryRun", "false"));

    List<Job> jobs = jobs(profile, only, keep);
    double estimate = 0;
    System.out.printf(Locale.ROOT, "[bench] profile %s, output %s%n", profile.id(), out.toAbsolutePath());
    for (Job j : jobs) {
      Settings s = j.settings();
      System.out.printf(Locale.ROOT, "[bench]   %-30s %-8s %2d combination(s) x %d fork(s) x (%.1f s overhead + %d x %s"
              + " warm-up + %d x %s measured + %.1f s setup per iteration) = %4.0f s%n", j.plan().name(),
          j.store() == null ? "-" : j.store(), j.combinations(), s.forks(), j.plan().forkSeconds(),
          s.warmupIterations(), human(s.warmupTime()), s.iterations(), human(s.iterationTime()),
          j.plan().setupSecondsPerIteration(), j.seconds());
      estimate += j.seconds();
    }
    System.out.printf(Locale.ROOT, "[bench] estimated wall time: %.0f s (%.1f min) for %d JMH run(s)%n", estimate,
        estimate / 60, jobs.size());
    if (dryRun || jobs.isEmpty()) {
      return;
    }

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
    info.put("profile", profile.id());
    info.put("command", "mvn -B -ntp -P bench -pl jmh -am verify -DskipTests -Dbench.profile=" + profile.id()
        + (only.isBlank() ? "" : " -Dbench.only=" + only)
        + (strategiesProp.isEmpty() ? "" : " -Dbench.strategies=" + strategiesProp));
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
    Settings s = j.settings();
    ChainedOptionsBuilder o = new OptionsBuilder()
        .include("^" + Pattern.quote(p.benchmark().getName() + ".") + p.method() + "$")
        .forks(s.forks())
        .warmupIterations(s.warmupIterations())
        .warmupTime(TimeValue.milliseconds(s.warmupTime().toMillis()))
        .measurementIterations(s.iterations())
        .measurementTime(TimeValue.milliseconds(s.iterationTime().toMillis()));
    if (p.gcProfile()) {
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
