/**
 * JMH benchmarks of every strategy and the Caffeine peers, side by side: {@link stampede.jmh.StrategyType} builds
 * each one from an {@link stampede.jmh.Env} (store, locks, executors, the simulated {@link stampede.jmh.Database}),
 * {@link stampede.jmh.BenchmarkRunner} runs a profile (smoke, quick, full) from the shaded {@code benchmarks.jar}
 * and writes {@code results/}. Each benchmark class explains itself and ends with how to run it alone.
 */
package stampede.jmh;
