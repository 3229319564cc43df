package stampede.jmh;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Hits on one hot key from 8 threads at once, in calls per microsecond (Mode.Throughput, all threads together),
 * with bytes allocated per call ({@code -prof gc}): what a strategy's hit path costs when every thread reads the same
 * key, so any write to shared state on a hit (a lock, a counter on one cache line) shows. It is
 * {@link HitPathBenchmark}'s read with the same states: {@code strategyGet} through a strategy and its store, and
 * the same baselines, Caffeine's {@code LoadingCache.get} and {@code AsyncLoadingCache.get(key).join()} with the
 * in-process store's expiry, read by the same 8 threads. Caffeine's own benchmarks measure a cache this way:
 * {@code GetPutBenchmark}'s {@code read_only} group is 8 threads reading in {@code Mode.Throughput}, and
 * {@code ComputeBenchmark} contrasts one key ({@code compute_sameKey}) with spread keys; here every thread reads the
 * same key, the worst case for contention.
 *
 * <p>On 2 cores, 8 threads time-share the cores: the score is the throughput of the whole machine, and a lock shows
 * as threads parked and woken. Only the in-process store runs (on Redis the loopback round trip dominates, see
 * {@link HitPathBenchmark}).
 *
 * <p>Run settings: the annotations are the only place they are written; they are the quick profile's (see
 * {@link BenchmarkRunner}).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Threads(8)
@Fork(value = 1, jvmArgsAppend = {"-Xms256m", "-Xmx1g"})
@Warmup(iterations = 2, time = 400, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 5, time = 400, timeUnit = TimeUnit.MILLISECONDS)
public class ContentionBenchmark {
  @Benchmark
  public String strategyGet(HitPathBenchmark.Hit s) {
    return s.cache.get(HitPathBenchmark.KEY);
  }

  @Benchmark
  public String caffeineLoadingGet(HitPathBenchmark.SameExpiry s) {
    return s.loading.get(HitPathBenchmark.KEY).value();
  }

  @Benchmark
  public String caffeineAsyncLoadingGet(HitPathBenchmark.SameExpiry s) {
    return s.async.get(HitPathBenchmark.KEY).join().value();
  }

  /*
   * ============================== HOW TO RUN THIS BENCHMARK ==============================
   *
   * Build the shaded jar once (mvn -B -ntp -pl jmh -am package -DskipTests), then, with the settings above:
   *
   *   java -jar jmh/target/benchmarks.jar ContentionBenchmark -prof gc -p strategy=CACHE_ASIDE,HOT_KEY_PROTECTION \
   *       -p store=CAFFEINE
   *
   * With the tables of the report (results/hit-path.md, with HitPathBenchmark):
   *
   *   mvn -B -ntp -P bench -pl jmh -am verify -DskipTests -Dbench.only='HitPath|Contention'
   *
   * Or run main() below from an IDE (after one Maven build, which runs JMH's annotation processor).
   */
  public static void main(String[] args) throws RunnerException {
    new Runner(new OptionsBuilder().include(ContentionBenchmark.class.getSimpleName())
        .param("strategy", "CACHE_ASIDE", "HOT_KEY_PROTECTION").param("store", "CAFFEINE")
        .addProfiler(GCProfiler.class).build()).run();
  }
}
