package stampede.jmh;

/**
 * What a benchmark calls: one strategy or one Caffeine peer, already bound to its store and to the simulated
 * {@link Database}. The adapters live in {@code stampede.jmh.impl}, one file each; {@link StrategyType} builds them.
 * {@link #get} throws {@link stampede.core.LoadException} or {@link stampede.core.RejectedException} when the
 * strategy does (the benchmark counts them as errors).
 */
public interface BenchCache {

  String get(String key);

  /** Drops {@code key} from the cache (mass-expiry setup rewrites every key at once). */
  void invalidate(String key);
}
