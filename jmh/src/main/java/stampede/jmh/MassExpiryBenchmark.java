package stampede.jmh;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
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
 * "Midnight": before every iteration all {@code keys} (200) keys are dropped and rewritten at the same instant
 * through the strategy itself (the database answers instantly during that warm-up), so without jitter they all
 * expire together {@code ttlMs} (500 ms) later. 16 callers then read uniformly random keys; loads take
 * {@code dbLatencyMs} (1-10 ms: a database that refills the whole key set in well under a TTL).
 *
 * <p>What to read: {@code peakLoads} (the most loads the database saw at once: the spike jitter is meant to
 * flatten) and loads per second (loads / measured time, computed by the report); also loads per expiry (per key)
 * and caller latency (p99/p99.9: callers blocked behind the refill). The clean comparison is SINGLE_FLIGHT (no
 * jitter) against SINGLE_FLIGHT_JITTER (the same with +-20% TTL jitter: expiries spread over 200 ms); CACHE_ASIDE
 * against TTL_JITTER shows that jitter alone does not coalesce (a key that expires alone is still stampeded by every
 * caller that reads it meanwhile). Only the first expiry after the rewrite is synchronised, so iterations are short.
 *
 * <p>The peak is bounded by the callers (16) plus the background loaders: jitter can only lower it when the
 * spread-out expiry rate times the load time is below that bound (here 200 keys / 200 ms x ~5.5 ms = ~6 loads at
 * once, against 16 without jitter). With thousands of keys and slow loads both cases saturate the callers; raise
 * {@code keys} and {@code dbLatencyMs} to see that.
 *
 * <p>Run settings: the annotations on this class are the only place they are written; they are the quick
 * profile's (see {@link HotKeyBenchmark} and {@link BenchmarkRunner}). The rewrite before each iteration is not
 * measured but takes wall time, about 1.2 s (the runner's time estimate counts
 * it: {@code BenchmarkRunner.Bench}).
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Threads(16)
@Fork(value = 1, jvmArgsAppend = {"-Xms256m", "-Xmx1g"})
@Warmup(iterations = 1, time = 1)
@Measurement(iterations = 2, time = 1)
public class MassExpiryBenchmark {
  @State(Scope.Benchmark)
  public static class Midnight {
    @Param
    public StrategyType strategy;
    @Param({"CAFFEINE", "REDIS"})
    public StoreType store;
    @Param("1-10")
    public String dbLatencyMs;
    @Param("500")
    public int ttlMs;
    @Param("200")
    public int keys;

    Env env;
    BenchCache cache;
    Keys keySpace;
    /** Writes the keys in parallel (Redis round trips dominate on a busy machine). */
    ExecutorService warmers;

    @Setup(Level.Trial)
    public void setUp() {
      env = Env.open(strategy, store, dbLatencyMs, ttlMs);
      cache = strategy.create(env);
      keySpace = new Keys("m", keys, "UNIFORM");
      warmers = Executors.newFixedThreadPool(8, Env.daemons("mass-expiry-warm"));
    }

    /** Everything written at once: drop every key, then load each one with an instant database. */
    @Setup(Level.Iteration)
    public void writeAllAtOnce() throws InterruptedException, ExecutionException {
      String[] all = keySpace.all();
      env.db.setFast(true);
      try {
        List<Future<?>> done = new ArrayList<>();
        for (String k : all) {
          done.add(warmers.submit(() -> {
            cache.invalidate(k);
            try {
              cache.get(k);
            } catch (RuntimeException e) {
              // a rejected warm-up load (rate limit, shedding) stays a miss
            }
          }));
        }
        for (Future<?> f : done) {
          f.get();
        }
      } finally {
        env.db.setFast(false);
        env.db.resetEpisodes();
      }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      if (warmers != null) {
        warmers.shutdownNow();
      }
      if (env != null) {
        env.close();
      }
    }
  }

  @Benchmark
  public @Nullable String get(Midnight s, Outcome out) {
    return out.call(s.cache, s.keySpace.next(), s.env);
  }

  /*
   * ============================== HOW TO RUN THIS BENCHMARK ==============================
   *
   * Build the shaded jar once (mvn -B -ntp -pl jmh -am package -DskipTests), then, with the settings above:
   *
   *   java -jar jmh/target/benchmarks.jar MassExpiryBenchmark -p strategy=SINGLE_FLIGHT,SINGLE_FLIGHT_JITTER \
   *       -p store=CAFFEINE
   *
   * With the tables of the report:
   *
   *   mvn -B -ntp -P bench -pl jmh -am verify -DskipTests -Dbench.only=MassExpiry -Dbench.profile=smoke
   *
   * Or run main() below from an IDE (after one Maven build, which runs JMH's annotation processor).
   */
  public static void main(String[] args) throws RunnerException {
    new Runner(new OptionsBuilder().include(MassExpiryBenchmark.class.getSimpleName())
        .param("strategy", "SINGLE_FLIGHT", "SINGLE_FLIGHT_JITTER").param("store", "CAFFEINE").build()).run();
  }
}
