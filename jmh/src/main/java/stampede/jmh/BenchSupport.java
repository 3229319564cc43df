package stampede.jmh;

import java.time.Duration;

/** Shared setup: one {@link Env} and one strategy facade per trial. */
final class BenchSupport {
  private BenchSupport() {
  }

  /**
   * Opens the store and builds the strategy. Episodes are separated by half a TTL (see {@link Database}).
   * Throws for a Caffeine peer on Redis: JMH reports that combination as failed (not applicable).
   */
  static Env open(StrategyType strategy, StoreType store, String dbLatencyMs, int ttlMs) {
    if (!strategy.runsOn(store)) {
      throw new IllegalArgumentException("N/A: " + strategy + " runs only on the CAFFEINE store");
    }
    long[] latency = Database.parseMillisRange(dbLatencyMs);
    Database db = new Database(latency[0], latency[1], Duration.ofMillis(ttlMs).toNanos() / 2);
    return new Env(store, db, Duration.ofMillis(ttlMs));
  }

  /** Trial teardown: stops the strategy's background work, then closes the store (and its Redis, if any). */
  static void close(BenchCache cache, Env env) {
    if (cache != null) {
      cache.close();
    }
    if (env != null) {
      env.close();
    }
  }
}
