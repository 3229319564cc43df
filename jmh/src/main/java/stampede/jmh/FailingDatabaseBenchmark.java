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
import stampede.fixtures.Keys;
import stampede.fixtures.StoreType;
import stampede.fixtures.StrategyType;

/**
 * The database misbehaves for {@code failForMs} (1 s) out of every {@code periodMs} (2 s): with {@code failure=FAIL}
 * every load started in that window throws after its usual latency; with {@code SLOW} loads take 10x longer. 8
 * callers read 10 keys (TTL 300 ms), so entries expire during the outage.
 *
 * <p>What to read: errors (fraction of calls that got an exception: what users see), stale served (fraction of
 * calls answered with an expired value: the graceful alternative), loads per expiry (does the strategy hammer the
 * failing database or back off?) and p99/p99.9 latency (does a slow database hold callers?). The strategies whose
 * read path has a stale-if-error bound (the lock strategies, stale-while-revalidate, the circuit breaker, the
 * shedder, the layered stack; see {@link StrategyType}) and Caffeine's refreshAfterWrite can serve stale;
 * cache-aside and single flight can only pass the error on.
 *
 * <p>Run settings: the annotations on this class are the only place they are written; they are the quick
 * profile's (see {@link HotKeyBenchmark} and {@link BenchmarkRunner}).
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Threads(8)
@Fork(value = 1, jvmArgsAppend = {"-Xms256m", "-Xmx1g"})
@Warmup(iterations = 1, time = 1)
@Measurement(iterations = 2, time = 2)
public class FailingDatabaseBenchmark {

  @State(Scope.Benchmark)
  public static class Failing {
    @Param
    public StrategyType strategy;
    @Param({"CAFFEINE", "REDIS"})
    public StoreType store;
    @Param("5-50")
    public String dbLatencyMs;
    @Param("300")
    public int ttlMs;
    @Param({"FAIL", "SLOW"})
    public Database.FailureMode failure;
    @Param("2000")
    public int periodMs;
    @Param("1000")
    public int failForMs;
    @Param("10")
    public int keys;

    Env env;
    BenchCache cache;
    Keys keySpace;

    @Setup(Level.Trial)
    public void setUp() {
      env = Env.open(strategy, store, dbLatencyMs, ttlMs);
      cache = strategy.create(env);
      keySpace = new Keys("f", keys, "UNIFORM");
      for (String k : keySpace.all()) {
        cache.get(k); // start with a value, so there is something stale to serve
      }
      // from now on: an outage of failForMs, then healthy until the period ends, and again
      env.db.failures(failure, TimeUnit.MILLISECONDS.toNanos(periodMs), TimeUnit.MILLISECONDS.toNanos(failForMs),
          10);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      if (env != null) {
        env.close();
      }
    }
  }

  @Benchmark
  public @Nullable String get(Failing s, Outcome out) {
    return out.call(s.cache, s.keySpace.next(), s.env);
  }

  /*
   * ============================== HOW TO RUN THIS BENCHMARK ==============================
   *
   * Build the shaded jar once (mvn -B -ntp -pl jmh -am package -DskipTests), then, with the settings above:
   *
   *   java -jar jmh/target/benchmarks.jar FailingDatabaseBenchmark -p strategy=SINGLE_FLIGHT,STALE_WHILE_REVALIDATE \
   *       -p store=CAFFEINE -p failure=FAIL
   *
   * With the tables of the report:
   *
   *   mvn -B -ntp -P bench -pl jmh -am verify -DskipTests -Dbench.only=FailingDatabase -Dbench.profile=smoke
   *
   * Or run main() below from an IDE (after one Maven build, which runs JMH's annotation processor).
   */
  public static void main(String[] args) throws RunnerException {
    new Runner(new OptionsBuilder().include(FailingDatabaseBenchmark.class.getSimpleName())
        .param("strategy", "SINGLE_FLIGHT", "STALE_WHILE_REVALIDATE").param("store", "CAFFEINE")
        .param("failure", "FAIL").build()).run();
  }
}
