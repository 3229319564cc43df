package stampede.strategies;

import java.time.Duration;
import java.util.Objects;
import java.util.function.DoubleSupplier;
import stampede.core.CacheStore;
import stampede.core.Entry;
import stampede.core.Event;
import stampede.core.Fill;
import stampede.core.LoadException;
import stampede.core.Loader;
import stampede.core.LoadingStrategy;
import stampede.core.Metrics;
import stampede.core.RejectedException;
import stampede.core.StoreFill;
import stampede.core.Ticker;
import stampede.core.Ttl;

/**
 * Probabilistic early expiration (XFetch): each read of a fresh entry recomputes it early with a probability
 * that rises as expiry nears, so one caller refreshes the value before it expires and the others keep hitting.
 *
 * <p><b>Prevents:</b> the expiry stampede on a hot key, with no lock and no coordination, across any number of
 * nodes: a caller recomputes when {@code now - delta * beta * ln(u) >= expiry}, {@code u} uniform in (0, 1],
 * {@code delta} the last load's duration (stored with the entry by {@code StoreFill}). At remaining time
 * {@code r} one read recomputes with probability {@code exp(-r / (delta * beta))}, so a read rate of a few per
 * {@code delta} makes some read recompute shortly before expiry; at much higher rates the small chances add up
 * and recomputes start earlier and more often (see Costs).
 *
 * <p><b>Pick it when</b> keys are hot (many reads per {@code delta}) and you want no lock, no background thread
 * and no extra store round trip.
 *
 * <p><b>Costs:</b> one random draw and a logarithm per hit; the caller that draws a recompute pays the load in line
 * (as in the paper). Early recomputes are not coalesced: on a key read many times per {@code delta}, several
 * callers may draw a recompute before the first one has written, and each of them loads. Give it a
 * {@link SingleFlight} as its fill to make those one load per process (a {@code DistributedLock} behind it for one
 * across nodes). A key read rarely may still expire and miss. {@code beta > 1} favours earlier recomputes,
 * {@code beta < 1} later ones; an entry with {@code delta = 0} is never recomputed early. If an early recompute
 * fails (or is rejected), the caller gets the cached value, which is still fresh ({@link Event#REFRESH_FAILED});
 * nothing is cached. An early recompute counts as {@link Event#REFRESH_STARTED}, not as a hit or a miss.
 *
 * <p><b>Source:</b> Vattani, Chierichetti, Lowenstein, "Optimal Probabilistic Cache Stampede Prevention",
 * VLDB 2015 (XFetch, {@code beta} defaults to 1), as summarised in ANCHORS.md.
 *
 * <p>Composition: decides <em>when</em> to fill, outermost: {@code ProbabilisticEarlyExpiration(fill)}, best
 * {@code ProbabilisticEarlyExpiration(SingleFlight(TtlJitter(Loader)))}, so that simultaneous early recomputes
 * and a real expiry each cost one load per node.
 */
public final class ProbabilisticEarlyExpiration<K, V> implements LoadingStrategy<K, V> {
  private final CacheStore<K, V> store;
  private final Ticker ticker;
  private final DoubleSupplier random;
  private final Metrics metrics;
  private final Fill<K, V> fill;
  private final double beta;

  /**
   * @param random uniform draws in [0, 1), thread-safe
   * @param fill   the miss path, which must store the load's duration in {@link Entry#loadNanos()}
   *               (as {@link StoreFill} does)
   * @param beta   positive; 1 is the paper's default
   */
  public ProbabilisticEarlyExpiration(CacheStore<K, V> store, Ticker ticker, DoubleSupplier random,
      Metrics metrics, Fill<K, V> fill, double beta) {
    this.store = Objects.requireNonNull(store, "store");
    this.ticker = Objects.requireNonNull(ticker, "ticker");
    this.random = Objects.requireNonNull(random, "random");
    this.metrics = Objects.requireNonNull(metrics, "metrics");
    this.fill = Objects.requireNonNull(fill, "fill");
    if (!(beta > 0) || Double.isInfinite(beta)) {
      throw new IllegalArgumentException("beta must be positive and finite: " + beta);
    }
    this.beta = beta;
  }

  /** Loads and writes values fresh for {@code ttl}. */
  public ProbabilisticEarlyExpiration(CacheStore<K, V> store, Ticker ticker, DoubleSupplier random,
      Metrics metrics, Duration ttl, double beta) {
    this(store, ticker, random, metrics, new StoreFill<>(store, ticker, metrics, Ttl.fixed(ttl)), beta);
  }

  /**
   * XFetch's test, {@code now - delta * beta * ln(u) >= expireTime}, computed on the remaining time so large
   * ticker readings lose no precision. True once expired.
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
  public V get(K key, Loader<K, V> loader) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(loader, "loader");
    Entry<V> entry = store.getOrMiss(key, metrics);
    long now = ticker.read();
    if (entry != null && entry.isFresh(now)) {
      double u = 1 - random.getAsDouble();
      if (!shouldRecomputeEarly(now, entry.loadNanos(), beta, entry.expireTime(), u)) {
        metrics.record(Event.HIT, key);
        return entry.value();
      }
      metrics.record(Event.REFRESH_STARTED, key);
      try {
        return fill.fill(key, entry, 0, loader);
      } catch (LoadException | RejectedException e) {
        metrics.record(Event.REFRESH_FAILED, key);
        return entry.value();
      }
    }
    metrics.record(Event.MISS, key);
    return fill.fill(key, entry, 0, loader);
  }
}
