package stampede.strategies;

import java.util.function.DoubleSupplier;
import stampede.core.Entry;
import stampede.core.Nullable;

/**
 * Probabilistic early expiration (XFetch), a {@link CacheAside.Policy}: each read of a fresh entry refreshes it
 * early with a probability that rises as expiry nears, so one caller refreshes the value before it expires and the
 * others keep hitting.
 *
 * <p><b>Prevents:</b> the expiry stampede on a hot key with no lock and no coordination, across any number of
 * nodes: a read refreshes when {@code now - delta * beta * ln(u) >= expiry}, {@code u} uniform in (0, 1],
 * {@code delta} the last load's duration (stored with the entry by {@code StoreFill}). At remaining time {@code r}
 * one read refreshes with probability {@code exp(-r / (delta * beta))}, so a read rate of a few per {@code delta}
 * makes some read refresh shortly before expiry.
 *
 * <p><b>Pick it when</b> keys are hot (many reads per {@code delta}) and you want no lock and no extra store round
 * trip.
 *
 * <p><b>Costs:</b> one random draw and a logarithm per hit within {@code 37 x delta x beta} of expiry, when a draw can
 * refresh (farther from expiry, none can: a hit costs a comparison). The early refresh runs through the read path's
 * refresher (see {@link CacheAside}): at most one per key in this process, and a reader holding a fresh value never
 * waits for it (with {@code Runnable::run} the reader that draws it refreshes in line, as in the paper). Across nodes
 * refreshes are not coalesced: at very high read rates the small chances add up and several nodes may each refresh
 * early. A key read rarely may still expire and miss: give the read path a {@link SingleFlight} fill. {@code beta > 1}
 * favours earlier refreshes; an entry with {@code delta = 0} is never refreshed early.
 *
 * <p><b>Source:</b> Vattani, Chierichetti, Lowenstein, "Optimal Probabilistic Cache Stampede Prevention", PVLDB
 * 8(8), 2015 (XFetch; {@code beta} defaults to 1).
 *
 * <p><b>Copy with it:</b> CacheAside.java, CacheStore.java, Entry.java, Event.java, Fill.java,
 * InterruptedLoadException.java, LoadException.java, Loader.java, LoadingStrategy.java, Metrics.java, Nullable.java,
 * RejectedException.java, StoreException.java, StoreFill.java, Ticker.java, Ttl.java.
 */
public final class ProbabilisticEarlyExpiration<K, V> implements CacheAside.Policy<K, V> {
  /**
   * The largest {@code -ln(u)} a draw can give: {@code u = 1 - random} is at least {@code 2^-53} for a double in
   * [0, 1), so a read more than {@code delta * beta * 53 ln 2} before expiry never refreshes.
   */
  private static final double MAX_DRAWN = 53 * Math.log(2);

  private final DoubleSupplier random;
  private final double beta;

  /**
   * @param random uniform draws in [0, 1), thread-safe, e.g. {@code () -> ThreadLocalRandom.current().nextDouble()}
   * @param beta   positive; 1 is the paper's default
   */
  public ProbabilisticEarlyExpiration(DoubleSupplier random, double beta) {
    if (random == null) {
      throw new IllegalArgumentException("random must not be null");
    }
    if (!(beta > 0) || Double.isInfinite(beta)) {
      throw new IllegalArgumentException("beta must be positive and finite: " + beta);
    }
    this.random = random;
    this.beta = beta;
  }

  /**
   * XFetch's test, {@code now - delta * beta * ln(u) >= expireTime}, computed on the remaining time so large clock
   * readings lose no precision. True once expired.
   *
   * @param u a uniform draw in (0, 1] (not [0, 1): {@code ln(0)} is infinite); pass {@code 1 - random}
   */
  public static boolean shouldRecomputeEarly(long now, long deltaNanos, double beta, long expireTime, double u) {
    if (!(u > 0 && u <= 1)) {
      throw new IllegalArgumentException("u must be in (0, 1]: " + u);
    }
    long remaining = expireTime - now;
    return remaining <= 0 || deltaNanos * beta * -Math.log(u) >= remaining;
  }

  @Override
  public CacheAside.Action decide(K key, @Nullable Entry<V> entry, long now) {
    if (entry == null || !entry.isFresh(now)) {
      return CacheAside.Action.LOAD;
    }
    if (entry.expireTime() - now > entry.loadNanos() * beta * MAX_DRAWN) {
      return CacheAside.Action.HIT; // so far from expiry that no draw can refresh: skip the draw and the logarithm
    }
    double u = 1 - random.getAsDouble();
    return shouldRecomputeEarly(now, entry.loadNanos(), beta, entry.expireTime(), u)
        ? CacheAside.Action.HIT_AND_REFRESH : CacheAside.Action.HIT;
  }
}
