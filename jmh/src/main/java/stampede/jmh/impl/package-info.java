/**
 * The adapters behind {@link stampede.jmh.BenchCache}, one file per cache a benchmark drives:
 * {@link stampede.jmh.impl.StrategyCache} for every strategy of this project (a {@code LoadingStrategy} over a
 * store), and one per Caffeine peer, the cache a user would configure instead of a strategy
 * ({@link stampede.jmh.impl.CaffeineAsyncGet}, {@link stampede.jmh.impl.CaffeineRefreshAfterWrite}).
 * {@link stampede.jmh.StrategyType} builds them; each peer gets an explicit executor for its loads and maintenance.
 */
package stampede.jmh.impl;
