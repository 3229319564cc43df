/**
 * Test fixtures shared by the strategies' tests, the property tests and the benchmarks (a test-scope dependency,
 * never part of a strategy's copy set): {@link stampede.testkit.ManualTicker}, {@link stampede.testkit.ManualExecutor},
 * {@link stampede.testkit.LocalLocks}, {@link stampede.testkit.RacingStore}, {@link stampede.testkit.EmbeddedRedis}
 * and {@link stampede.testkit.SharedRedis}, the store fixtures ({@link stampede.testkit.StoreKind},
 * {@link stampede.testkit.StoreFixture}), the caller race ({@link stampede.testkit.Callers}) and the
 * {@link stampede.testkit.CountingLoader}. {@code EmbeddedRedis}, {@code EmbeddedRedisCluster}, {@code SharedRedisServer}
 * and {@code ManualTicker}, in this package too, come from the stampede-redis-server module (core/redis-server),
 * which needs no store, so that stampede-redis's own tests can start a server without a dependency cycle.
 */
package stampede.testkit;
