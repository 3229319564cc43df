package stampede.jmh;

/**
 * The facade a benchmark calls: one strategy (or a Caffeine peer) already bound to its store and to the
 * simulated {@link Database}. {@link #get} throws {@link stampede.core.LoadException} or
 * {@link stampede.core.RejectedException} when the strategy does (the benchmark counts them as errors).
 */
public interface BenchCache {

  String get(String key);

  /** Drops {@code key} from the cache (mass-expiry setup rewrites every key at once). */
  void invalidate(String key);

  /** Stops background work (schedulers) the strategy started. */
  default void close() {
  }
}
