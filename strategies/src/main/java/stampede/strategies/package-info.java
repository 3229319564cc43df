/**
 * One copyable final class per stampede-prevention technique, each compiled against {@code stampede.core} (the SPI)
 * alone.
 *
 * <p>{@link stampede.strategies.CacheAside} is the one read path: it decides when to load through a
 * {@link stampede.strategies.CacheAside.Policy} ({@link stampede.strategies.StaleWhileRevalidate},
 * {@link stampede.strategies.ProbabilisticEarlyExpiration}, {@link stampede.strategies.HotKeyProtection},
 * {@link stampede.strategies.BackgroundRefresh}). Who loads and whether are {@link stampede.core.Fill}s under it
 * ({@link stampede.strategies.SingleFlight}, {@link stampede.strategies.DistributedLock},
 * {@link stampede.strategies.TwoLevelCoalescing}, {@link stampede.strategies.CircuitBreaker},
 * {@link stampede.strategies.LoadShedder}, {@link stampede.strategies.PriorityShedder} with its
 * {@link stampede.strategies.PrioritySlots} and {@link stampede.strategies.AdaptiveLimit},
 * {@link stampede.strategies.RateLimited}); how long a value lives is a
 * {@link stampede.core.Ttl} ({@link stampede.strategies.TtlJitter}). {@link stampede.strategies.Monitoring} wraps
 * the metrics of any of them, {@link stampede.strategies.StoreGuard} stands between any of them and a shared store
 * that may fail, and {@link stampede.strategies.LayeredStack} builds the recommended combination.
 *
 * <p>Each class's javadoc ends with its copy set: every file to copy with it so that it runs as a cache (the class,
 * {@code CacheAside}, {@code StoreFill} and what they import). A test checks each list against the sources.
 */
package stampede.strategies;
