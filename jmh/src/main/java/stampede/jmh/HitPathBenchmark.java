package stampede.jmh;

import com.github.benmanes.caffeine.cache.AsyncLoadingCache;
import com.github.benmanes.caffeine.cache.LoadingCache;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
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
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import stampede.core.Entry;
import stampede.core.Nullable;
import stampede.core.Ticker;
import stampede.fixtures.BenchCache;
import stampede.fixtures.Env;
import stampede.fixtures.StoreType;
import stampede.fixtures.StrategyType;
import stampede.fixtures.peers.CaffeineSameExpiry;
import stampede.fixtures.peers.RawRedisGet;

/**
 * The price of protection when nothing is expiring: one thread reads one cached, fresh key (TTL 1 h), in nanoseconds
 * per call (Mode.AverageTime), with the bytes it allocates per call ({@code -prof gc}, {@code gc.alloc.rate.norm}).
 * {@code strategyGet} goes through a strategy and its store. Each store has a baseline that does the same work, so
 * the ratio says what the strategy adds:
 * <ul>
 *   <li>in process, {@code caffeineLoadingGet} ({@code LoadingCache.get}) and {@code caffeineAsyncLoadingGet}
 *       ({@code AsyncLoadingCache.get(key).join()}) on a Caffeine cache configured as {@code CaffeineStore}
 *       configures its own: the same per-entry {@code expireAfter} expiry, ticker, size bound and kind of
 *       maintenance executor, and hits counted as the strategies count theirs ({@link CaffeineSameExpiry});</li>
 *   <li>on Redis, {@code redisGetSameSize}: a raw Lettuce {@code GET} of a string exactly as long as the entry the
 *       strategy writes: its trial runs the strategy once and sizes the value from what the store stored
 *       ({@link RawRedisGet}). It runs for each strategy on Redis, since entries differ by a few bytes (a fencing
 *       token, a load time).</li>
 * </ul>
 * Redis hits are dominated by the loopback round trip (tens of microseconds): there the question is whether a hit
 * makes one round trip of one command, and how much decoding adds. {@link ContentionBenchmark} is the same read with
 * 8 threads on one key.
 *
 * <p>Run settings: the annotations are the only place they are written; they are the quick profile's (see
 * {@link BenchmarkRunner}): 5 measured iterations, so each score has an error interval. On 2 shared cores, compare
 * rows within one run.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Threads(1)
@Fork(value = 1, jvmArgsAppend = {"-Xms256m", "-Xmx1g"})
@Warmup(iterations = 3, time = 400, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 5, time = 400, timeUnit = TimeUnit.MILLISECONDS)
public class HitPathBenchmark {
  static final String KEY = "cached";

  /** A strategy over its store, the key written once; on Redis, the baseline sized by that entry. */
  @State(Scope.Benchmark)
  public static class Hit {
    @Param
    public StrategyType strategy;
    @Param({"CAFFEINE", "REDIS"})
    public StoreType store;

    Env env;
    BenchCache cache;
    @Nullable RawRedisGet raw;

    @Setup(Level.Trial)
    public void setUp() {
      env = Env.open(strategy, store, "1", 3_600_000);
      cache = strategy.create(env);
      cache.get(KEY);
      if (store == StoreType.REDIS) {
        raw = new RawRedisGet(Objects.requireNonNull(env.redisUri()), Objects.requireNonNull(env.redisKeys).entry(KEY));
        System.out.println("[hit-path] " + strategy + " on REDIS: " + raw);
      }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      if (raw != null) {
        raw.close();
      }
      if (env != null) {
        env.close();
      }
    }

    byte[] rawGet() {
      if (raw == null) {
        throw new IllegalArgumentException("N/A: the raw GET is the Redis baseline (run it with -p store=REDIS)");
      }
      return raw.get();
    }
  }

  /** Caffeine with the in-process store's expiry, the key loaded once (see {@link CaffeineSameExpiry}). */
  @State(Scope.Benchmark)
  public static class SameExpiry {
    ExecutorService executor;
    LoadingCache<String, Entry<String>> loading;
    AsyncLoadingCache<String, Entry<String>> async;

    @Setup(Level.Trial)
    public void setUp() {
      executor = Executors.newSingleThreadExecutor(Env.daemons("baseline-caffeine"));
      Duration ttl = Duration.ofHours(1);
      loading = CaffeineSameExpiry.loading(Ticker.system(), executor, Env.MAXIMUM_SIZE, Env.RETENTION, ttl,
          key -> "value");
      async = CaffeineSameExpiry.async(Ticker.system(), executor, Env.MAXIMUM_SIZE, Env.RETENTION, ttl,
          key -> "value");
      var unused = loading.get(KEY); // warms the cache; the value is known
      async.get(KEY).join();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      executor.shutdownNow();
    }
  }

  @Benchmark
  public String strategyGet(Hit s) {
    return s.cache.get(KEY);
  }

  @Benchmark
  public byte[] redisGetSameSize(Hit s) {
    return s.rawGet();
  }

  @Benchmark
  public String caffeineLoadingGet(SameExpiry s) {
    return s.loading.get(KEY).value();
  }

  @Benchmark
  public String caffeineAsyncLoadingGet(SameExpiry s) {
    return s.async.get(KEY).join().value();
  }

  /*
   * ============================== HOW TO RUN THIS BENCHMARK ==============================
   *
   * Build the shaded jar once (mvn -B -ntp -pl jmh -am package -DskipTests), then, with the settings above:
   *
   *   java -jar jmh/target/benchmarks.jar 'HitPathBenchmark.(strategyGet|caffeine.*)' -prof gc \
   *       -p strategy=CACHE_ASIDE,HOT_KEY_PROTECTION -p store=CAFFEINE
   *   java -jar jmh/target/benchmarks.jar 'HitPathBenchmark.(strategyGet|redisGetSameSize)' -prof gc \
   *       -p strategy=CACHE_ASIDE -p store=REDIS
   *
   * With the tables of the report (results/hit-path.md, with ContentionBenchmark):
   *
   *   mvn -B -ntp -P bench -pl jmh -am verify -DskipTests -Dbench.only='HitPath|Contention'
   *
   * Or run main() below from an IDE (after one Maven build, which runs JMH's annotation processor).
   */
  public static void main(String[] args) throws RunnerException {
    new Runner(new OptionsBuilder()
        .include(HitPathBenchmark.class.getSimpleName() + ".(strategyGet|caffeine.*)")
        .param("strategy", "CACHE_ASIDE", "HOT_KEY_PROTECTION").param("store", "CAFFEINE")
        .addProfiler(GCProfiler.class).build()).run();
  }
}
