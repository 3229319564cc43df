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
 * The hot-key stampede: 8 callers read ONE key in a loop. The key expires every {@code ttlMs} (300 ms), so a
 * 2 s iteration sees about 6 expiry episodes; each load parks {@code dbLatencyMs} (5-50 ms) in the simulated
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
 * <p>Run it alone (after {@code mvn -B -ntp -pl jmh -am package -DskipTests}):
 * <pre>
 * java -jar jmh/target/benchmarks.jar HotKeyBenchmark -p strategy=CACHE_ASIDE,SINGLE_FLIGHT -p store=CAFFEINE \
 *     -f 1 -wi 1 -w 1s -i 2 -r 2s
 * </pre>
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Threads(8)
@Fork(1)
@Warmup(iterations = 1, time = 1)
@Measurement(iterations = 2, time = 2)
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
      env = BenchSupport.open(strategy, store, dbLatencyMs, ttlMs);
      cache = strategy.create(env);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      BenchSupport.close(cache, env);
    }
  }

  @Benchmark
  public String get(HotKey s, Outcome out) {
    return out.call(s.cache, KEY, s.env);
  }
}
// Run alone: java -jar jmh/target/benchmarks.jar HotKeyBenchmark -p strategy=SINGLE_FLIGHT -p store=REDIS -f 1 -i 2 -r 2s
