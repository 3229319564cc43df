package stampede.jmh;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
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
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import stampede.redis.RedisStore;
import stampede.testkit.EmbeddedRedis;

/**
 * The price of protection when nothing is expiring: one thread reads one cached, fresh key (TTL 1 h), in
 * microseconds per call (Mode.AverageTime). {@code strategyGet} goes through the strategy and its store; the two
 * baselines are what the store costs by itself:
 * <ul>
 *   <li>{@code rawCaffeineGetIfPresent}: {@code Cache.getIfPresent} on a plain Caffeine cache;</li>
 *   <li>{@code rawLettuceGet}: a Lettuce sync {@code GET} of a string key on the same kind of embedded Redis.</li>
 * </ul>
 * A strategy's overhead is its score minus the baseline of its store; the report prints the ratio. Redis hits are
 * dominated by the loopback round trip (tens of microseconds), so differences there are mostly noise unless a
 * strategy makes more than one round trip per hit.
 *
 * <p>Run settings: the annotations are the only place they are written; they are the quick profile's (see
 * {@link HotKeyBenchmark} and {@link BenchmarkRunner}). The two baselines measure two iterations, the strategies
 * one: there are only two baselines and about thirty strategy runs.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Threads(1)
@Fork(value = 1, jvmArgsAppend = {"-Xms256m", "-Xmx1g"})
@Warmup(iterations = 1, time = 300, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 1, time = 700, timeUnit = TimeUnit.MILLISECONDS)
public class HitPathBenchmark {
  static final String KEY = "cached";

  @State(Scope.Benchmark)
  public static class Hit {
    @Param
    public StrategyType strategy;
    @Param({"CAFFEINE", "REDIS"})
    public StoreType store;

    Env env;
    BenchCache cache;

    @Setup(Level.Trial)
    public void setUp() {
      env = Env.open(strategy, store, "1", 3_600_000);
      cache = strategy.create(env);
      cache.get(KEY);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      if (env != null) {
        env.close();
      }
    }
  }

  /** A plain Caffeine cache holding the key, its maintenance on its own executor. */
  @State(Scope.Benchmark)
  public static class RawCaffeine {
    ExecutorService executor;
    Cache<String, String> cache;

    @Setup(Level.Trial)
    public void setUp() {
      executor = Executors.newSingleThreadExecutor(Env.daemons("raw-caffeine"));
      cache = Caffeine.newBuilder().executor(executor).maximumSize(1_000_000).build();
      cache.put(KEY, "value");
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      executor.shutdownNow();
    }
  }

  /** An embedded Redis holding the key, read by Lettuce's sync API. */
  @State(Scope.Benchmark)
  public static class RawRedis {
    EmbeddedRedis redis;
    RedisClient client;
    StatefulRedisConnection<String, String> connection;
    RedisCommands<String, String> commands;

    @Setup(Level.Trial)
    public void setUp() {
      redis = EmbeddedRedis.start();
      client = RedisStore.client(redis.uri(), Duration.ofSeconds(2));
      connection = client.connect();
      commands = connection.sync();
      commands.set(KEY, "value");
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      if (connection != null) {
        connection.close();
      }
      if (client != null) {
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
      }
      if (redis != null) {
        redis.close();
      }
    }
  }

  @Benchmark
  public String strategyGet(Hit s) {
    return s.cache.get(KEY);
  }

  @Benchmark
  @Measurement(iterations = 2, time = 700, timeUnit = TimeUnit.MILLISECONDS)
  public String rawCaffeineGetIfPresent(RawCaffeine s) {
    return s.cache.getIfPresent(KEY);
  }

  @Benchmark
  @Measurement(iterations = 2, time = 700, timeUnit = TimeUnit.MILLISECONDS)
  public String rawLettuceGet(RawRedis s) {
    return s.commands.get(KEY);
  }

  /*
   * ============================== HOW TO RUN THIS BENCHMARK ==============================
   *
   * Build the shaded jar once (mvn -B -ntp -pl jmh -am package -DskipTests), then, with the settings above:
   *
   *   java -jar jmh/target/benchmarks.jar HitPathBenchmark.strategyGet -p strategy=CACHE_ASIDE,LAYERED_STACK \
   *       -p store=CAFFEINE
   *   java -jar jmh/target/benchmarks.jar 'HitPathBenchmark.raw.*'      (the two baselines only)
   *
   * With the tables of the report:
   *
   *   mvn -B -ntp -P bench -pl jmh -am verify -DskipTests -Dbench.only=HitPath -Dbench.profile=smoke
   *
   * Or run main() below from an IDE (after one Maven build, which runs JMH's annotation processor).
   */
  public static void main(String[] args) throws RunnerException {
    new Runner(new OptionsBuilder().include(HitPathBenchmark.class.getSimpleName() + ".(strategyGet|rawCaffeine.*)")
        .param("strategy", "CACHE_ASIDE", "LAYERED_STACK").param("store", "CAFFEINE").build()).run();
  }
}
