package stampede.jmh;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import stampede.core.Nullable;
import stampede.fixtures.BenchCache;
import stampede.fixtures.Database;
import stampede.fixtures.Env;
import stampede.fixtures.StoreType;
import stampede.fixtures.StrategyType;

/**
 * The hot-key stampede: 8 callers read ONE key in a loop. The key expires every {@code ttlMs} (300 ms), so a 1 s
 * iteration sees about 3 expiry episodes; each load parks {@code dbLatencyMs} (5-50 ms) in the simulated
 * {@link Database}, long enough for every caller to miss while it runs.
 *
 * <p>What it measures, per strategy and store:
 * <ul>
 *   <li>loader calls per expiry: secondary results {@code loads} / {@code episodes} (see {@link Outcome}). The
 *       baseline CACHE_ASIDE shows about one load per caller (up to 8); coalescing strategies (SINGLE_FLIGHT,
 *       TWO_LEVEL_COALESCING, DISTRIBUTED_LOCK, CAFFEINE_ASYNC_GET) show 1; refresh strategies also 1 with no
 *       caller ever waiting;</li>
 *   <li>caller latency: Mode.SampleTime gives p50/p99/p99.9 in ms; a strategy that makes callers wait for the
 *       load has p99 near the DB latency, one that serves stale has p99 near a cache read;</li>
 *   <li>throughput: calls/s = threads / mean latency (closed loop), computed by the report;</li>
 *   <li>stale served and errors, as fractions of calls.</li>
 * </ul>
 * Callers mostly block (park) on the loader or on each other, so 8 threads on 2 cores measure coordination, not
 * CPU. Compare strategies within one run; absolute numbers move with machine noise.
 *
 * <p>Run settings: the annotations on this class are the only place they are written (mode, unit, threads, forks
 * and heap, warm-up, measurement); they are the quick profile's. {@link BenchmarkRunner}'s profiles choose which
 * parameter values run, and its smoke and full profiles shorten or lengthen every benchmark by one stated rule.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Threads(8)
@Fork(value = 1, jvmArgsAppend = {"-Xms256m", "-Xmx1g"})
@Warmup(iterations = 1, time = 1)
@Measurement(iterations = 2, time = 1)
public class HotKeyBenchmark {
  static final String KEY = "hot";

  @State(Scope.Benchmark)
  public static class HotKey {
    @Param
    public StrategyType strategy;
    @Param({"CAFFEINE", "REDIS"})
    public StoreType store;
    /** Simulated load time, uniform in the range (ms). */
    @Param("5-50")
    public String dbLatencyMs;
    /** TTL of an entry (ms): short, so an iteration sees many expiries. */
    @Param("300")
    public int ttlMs;

    Env env;
    BenchCache cache;

    @Setup(Level.Trial)
    public void setUp() {
      env = Env.open(strategy, store, dbLatencyMs, ttlMs);
      cache = strategy.create(env);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      if (env != null) {
        env.close();
      }
    }
  }

  @Benchmark
  public @Nullable String get(HotKey s, Outcome out) {
    return out.call(s.cache, KEY, s.env);
  }

  /*
   * ============================== HOW TO RUN THIS BENCHMARK ==============================
   *
   * Build the shaded jar once (mvn -B -ntp -pl jmh -am package -DskipTests), then, with the settings above:
   *
   *   java -jar jmh/target/benchmarks.jar HotKeyBenchmark -p strategy=CACHE_ASIDE,SINGLE_FLIGHT -p store=CAFFEINE
   *
   * Every strategy on both stores (the Caffeine peers' REDIS runs fail as "N/A", by design):
   *
   *   java -jar jmh/target/benchmarks.jar HotKeyBenchmark
   *
   * With the tables of the report (jmh/target/bench-smoke/hot-key.md for smoke, results/ for quick and full):
   *
   *   mvn -B -ntp -P bench -pl jmh -am verify -DskipTests -Dbench.only=HotKey -Dbench.profile=smoke
   *
   * Or run main() below from an IDE (after one Maven build, which runs JMH's annotation processor).
   */
  public static void main(String[] args) throws RunnerException {
    new Runner(new OptionsBuilder().include(HotKeyBenchmark.class.getSimpleName())
        .param("strategy", "CACHE_ASIDE", "SINGLE_FLIGHT").param("store", "CAFFEINE").build()).run();
  }
}
