/**
 * The JMH benchmarks of every strategy and the Caffeine peers, side by side, built from the shared fixtures of
 * {@code stampede.fixtures} ({@link stampede.fixtures.StrategyType}, {@link stampede.fixtures.Env},
 * {@link stampede.fixtures.Database}); {@link stampede.jmh.BenchmarkRunner} runs a profile (smoke, quick, full) from
 * the shaded {@code benchmarks.jar} and writes {@code results/}. Each benchmark class explains itself and ends with
 * how to run it alone.
 */
package stampede.jmh;
