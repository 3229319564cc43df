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
import stampede.fixtures.Env;
import stampede.fixtures.Keys;
import stampede.fixtures.StoreType;
import stampede.fixtures.StrategyType;

/**
 * The hot-key benchmark's neighbour: 8 callers read {@code keys} (1000) keys, Zipf-distributed (a few hot keys, a
 * long cold tail) or uniform, TTL 2 s, loads of 1-10 ms (so the database can refill the key set within a TTL and
 * most calls hit; with a 300 ms TTL and 5-50 ms loads nearly every call would be a blocked miss).
 *
 * <p>It shows what a strategy costs when most keys are NOT contended: loads per expiry should be close to 1 for
 * every strategy on cold keys, and the hot head of the Zipf law is where stampedes still happen. Same outputs as
 * {@link HotKeyBenchmark} (loads / episodes counted per key, SampleTime latency, calls/s = threads / mean, stale
 * and error fractions).
 *
 * <p>Run settings: the annotations on this class are the only place they are written; they are the quick
 * profile's (see {@link HotKeyBenchmark} and {@link BenchmarkRunner}).
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Threads(8)
@Fork(value = 1, jvmArgsAppend = {"-Xms256m", "-Xmx1g"})
@Warmup(iterations = 1, time = 1)
@Measurement(iterations = 2, time = 1)
public class SpreadKeysBenchmark {

  @State(Scope.Benchmark)
  public static class Spread {
    @Param
    public StrategyType strategy;
    @Param({"CAFFEINE", "REDIS"})
    public StoreType store;
    @Param("1-10")
    public String dbLatencyMs;
    @Param("2000")
    public int ttlMs;
    @Param("1000")
    public int keys;
    @Param({"ZIPF", "UNIFORM"})
    public String distribution;

    Env env;
    BenchCache cache;
    Keys keySpace;

    @Setup(Level.Trial)
    public void setUp() {
      env = Env.open(strategy, store, dbLatencyMs, ttlMs);
      cache = strategy.create(env);
      keySpace = new Keys("k", keys, distribution);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      if (env != null) {
        env.close();
      }
    }
  }

  @Benchmark
  public @Nullable String get(Spread s, Outcome out) {
    return out.call(s.cache, s.keySpace.next(), s.env);
  }

  /*
   * ============================== HOW TO RUN THIS BENCHMARK ==============================
   *
   * Build the shaded jar once (mvn -B -ntp -pl jmh -am package -DskipTests), then, with the settings above:
   *
   *   java -jar jmh/target/benchmarks.jar SpreadKeysBenchmark -p strategy=CACHE_ASIDE,SINGLE_FLIGHT \
   *       -p store=CAFFEINE -p distribution=ZIPF
   *
   * With the tables of the report:
   *
   *   mvn -B -ntp -P bench -pl jmh -am verify -DskipTests -Dbench.only=SpreadKeys -Dbench.profile=smoke
   *
   * Or run main() below from an IDE (after one Maven build, which runs JMH's annotation processor).
   */
  public static void main(String[] args) throws RunnerException {
    new Runner(new OptionsBuilder().include(SpreadKeysBenchmark.class.getSimpleName())
        .param("strategy", "CACHE_ASIDE", "SINGLE_FLIGHT").param("store", "CAFFEINE").param("distribution", "ZIPF")
        .build()).run();
  }
}
