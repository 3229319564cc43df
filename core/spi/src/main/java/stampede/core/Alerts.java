package stampede.core;

/**
 * The three alerts of stampede monitoring, as conditions to read and the values behind them. The strategy
 * {@code Monitoring} computes them from the {@link Event}s it sees; a metrics binding ({@code stampede-micrometer})
 * exports any implementation as gauges, so the contract lives here, where both stand.
 *
 * <ul>
 *   <li><b>Hit ratio low:</b> the hit ratio over the last complete window fell below a threshold: the cache stopped
 *       absorbing reads (a mass expiry, a flush, a deploy with a cold cache).</li>
 *   <li><b>Miss storm:</b> one key took many misses within a window: a stampede on that key.</li>
 *   <li><b>Pool exhausted:</b> loads in flight reached (a fraction of) the database connection pool: the next
 *       load waits for a connection, and so does every other query of the service.</li>
 * </ul>
 * Implementations are thread-safe; reads may cost a pass over a bounded set of keys, so read them when metrics are
 * scraped or alerts evaluated, not per request.
 */
public interface Alerts {

  /** Hits / (hits + misses) over the last complete window, or NaN if it had no requests. */
  double windowHitRatio();

  /** True while the last complete window had enough requests and {@link #windowHitRatio} below the threshold. */
  boolean hitRatioLow();

  /** Keys that took at least the storm threshold of misses in the current or the last window. */
  int stormingKeys();

  /** True while {@link #stormingKeys} is above zero. */
  default boolean missStorm() {
    return stormingKeys() > 0;
  }

  /** Loads started and not yet ended ({@link Event#LOAD_STARTED} minus succeeded and failed). */
  long loadsInFlight();

  /** The configured size of the database connection pool the loads use, or 0 if none is configured. */
  int poolSize();

  /** True while {@link #loadsInFlight} is at or above the alert level of {@link #poolSize} (never if it is 0). */
  boolean poolExhausted();
}
