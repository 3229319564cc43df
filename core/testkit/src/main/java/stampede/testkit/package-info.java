/**
 * Test fixtures shared by the strategies' tests, the property tests and the benchmarks (a test-scope dependency,
 * never part of a strategy's copy set): {@link stampede.testkit.ManualTicker}, {@link stampede.testkit.ManualExecutor},
 * {@link stampede.testkit.LocalLocks}, {@link stampede.testkit.RacingStore}, {@link stampede.testkit.EmbeddedRedis}
 * and {@link stampede.testkit.SharedRedis}, the store fixtures ({@link stampede.testkit.StoreKind},
 * {@link stampede.testkit.StoreFixture}), the caller race ({@link stampede.testkit.Callers}) and the
 * {@link stampede.testkit.CountingLoader}.
 */
package stampede.testkit;
