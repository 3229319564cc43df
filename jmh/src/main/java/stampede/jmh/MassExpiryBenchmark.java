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

/**
 * "Midnight": before every iteration all {@code keys} (1000) keys are dropped and rewritten at the same
 * instant through the strategy itself (the database answers instantly during that warm-up), so without jitter
 * they all expire together {@code ttlMs} (500 ms) later. 16 callers then read uniformly random keys.
 *
 * <p>What to read: {@code peakLoads} (the most loads the database saw at once: the spike the jitter is meant to
 * flatten; bounded by the 16 callers plus background refreshers) and loads per second (loads / measured
 * time, computed by the report); also loads per expiry (per key) and caller latency. Compare CACHE_ASIDE (no
 * jitter) with TTL_JITTER and LAYERED_STACK (+-20% jitter: same number of loads, spread over 200 ms), and the
 * refresh strategies. Only the first expiry after the warm-up is synchronised, so iterations are short.
 *
 * <p>Run it alone:
 * <pre>
 * java -jar jmh/target/benchmarks.jar MassExpiryBenchmark -p strategy=CACHE_ASIDE,TTL_JITTER -p store=CAFFEINE \
 *     -f 1 -wi 1 -i 3 -r 1s
 * </pre>
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Threads(16)
@Fork(1)
@Warmup(iterations = 1, time = 1)
@Measurement(iterations = 3, time = 1)
public class MassExpiryBenchmark {

  @State(Scope.Benchmark)
  public static class Midnight {
    @Param
    public StrategyType strategy;
    @Param({"CAFFEINE", "REDIS"})
    public StoreType store;
    @Param("5-50")
    public String dbLatencyMs;
    @Param("500")
    public int ttlMs;
    @Param("1000")
    public int keys;

    Env env;
    BenchCache cache;
    Keys keySpace;

    @Setup(Level.Trial)
    public void setUp() {
      env = BenchSupport.open(strategy, store, dbLatencyMs, ttlMs);
      cache = strategy.create(env);
      keySpace = new Keys("m", keys, "UNIFORM");
    }

    /** Everything written at once: drop every key, then load each one with an instant database. */
    @Setup(Level.Iteration)
    public void writeAllAtOnce() {
      String[] all = keySpace.all();
      for (String k : all) {
        cache.invalidate(k);
      }
      env.db.setFast(true);
      try {
        for (String k : all) {
          try {
            cache.get(k);
          } catch (RuntimeException e) {
            // a rejected warm-up load (rate limit, shedding) stays a miss
          }
        }
      } finally {
        env.db.setFast(false);
        env.db.resetEpisodes();
      }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      if (cache != null) {
        cache.close();
      }
      if (env != null) {
        env.close();
      }
    }
  }

  @Benchmark
  public String get(Midnight s, Outcome out) {
    return out.call(s.cache, s.keySpace.next(), s.env);
  }
}
// Run alone: java -jar jmh/target/benchmarks.jar MassExpiryBenchmark -p strategy=TTL_JITTER -p store=REDIS
