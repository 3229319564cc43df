package stampede.strategies;

import java.time.Duration;
import java.util.Objects;
import java.util.function.DoubleSupplier;
import stampede.core.CacheStore;
import stampede.core.Entry;
import stampede.core.Event;
import stampede.core.Fill;
import stampede.core.Loader;
import stampede.core.LoadingStrategy;
import stampede.core.Metrics;
import stampede.core.StoreFill;
import stampede.core.Ticker;

/**
 * TTL jitter: every loaded value stays fresh for {@code base} plus or minus a uniformly random
 * {@code fraction * base}, so keys loaded together do not expire together.
 *
 * <p><b>Prevents:</b> synchronised expiry. With a fixed TTL, keys filled at the same moment (a cold start, a
 * deploy, a batch job, a flush) all expire at the same instant and all miss at once: a stampede across many
 * keys. Jitter spreads their expiries uniformly over {@code [base(1-f), base(1+f)]}. It does nothing for many
 * callers on ONE hot key: put a {@code SingleFlight} or a lock in front of it for that.
 *
 * <p><b>Pick it when</b> many keys are written in bursts, or many nodes fill the same keys at the same time,
 * and a little uncertainty in how long a value lives is acceptable.
 *
 * <p><b>Costs:</b> one random draw per load; values live {@code base} on average, but some up to
 * {@code fraction * base} longer (staler). {@code random} must be thread-safe, e.g.
 * {@code () -> ThreadLocalRandom.current().nextDouble()}.
 *
 * <p><b>Source:</b> the jittered TTL of cache guides (Amazon ElastiCache's caching strategies: add some
 * randomness to the TTL against the thundering herd); per ANCHORS.md, sturdyc's randomised refreshes that
 * keep containers from refreshing in step, and Caffeine issue #504 (users asking for jittered refresh).
 *
 * <p>Composition: the innermost writer, in place of {@code StoreFill}:
 * {@code StaleWhileRevalidate(SingleFlight(TtlJitter(Loader)))}. Used as a strategy on its own it is
 * cache-aside with a jittered TTL: {@code TtlJitter(Loader)}.
 */
public final class TtlJitter<K, V> implements LoadingStrategy<K, V>, Fill<K, V> {
  private final CacheStore<K, V> store;
  private final Ticker ticker;
  private final Metrics metrics;
  private final Fill<K, V> fill;

  /**
   * @param random   uniform draws in [0, 1); thread-safe
   * @param base     the mean TTL
   * @param fraction the half-width of the jitter as a fraction of {@code base}, in [0, 1)
   */
  public TtlJitter(CacheStore<K, V> store, Ticker ticker, DoubleSupplier random, Metrics metrics,
      Duration base, double fraction) {
    this.store = Objects.requireNonNull(store, "store");
    this.ticker = Objects.requireNonNull(ticker, "ticker");
    Objects.requireNonNull(random, "random");
    this.metrics = Objects.requireNonNull(metrics, "metrics");
    long baseNanos = base.toNanos();
    jitteredTtlNanos(baseNanos, fraction, 0); // validates base and fraction
    this.fill = new StoreFill<>(store, ticker, metrics,
        key -> jitteredTtlNanos(baseNanos, fraction, random.getAsDouble()));
  }

  /**
   * The jittered TTL: {@code base - spread + 2 * spread * u}, {@code spread = floor(base * fraction)}, so
   * uniform over {@code [base(1-f), base(1+f)]} for {@code u} uniform in [0, 1); {@code u = 0} gives the low end.
   *
   * @param baseNanos positive, at most {@code Long.MAX_VALUE / 2}
   * @param fraction  in [0, 1)
   * @param u         a uniform draw in [0, 1)
   */
  public static long jitteredTtlNanos(long baseNanos, double fraction, double u) {
    if (baseNanos <= 0 || baseNanos > Long.MAX_VALUE / 2) {
      throw new IllegalArgumentException("base must be in (0, Long.MAX_VALUE / 2] nanos: " + baseNanos);
    }
    if (!(fraction >= 0 && fraction < 1)) {
      throw new IllegalArgumentException("fraction must be in [0, 1): " + fraction);
    }
    if (!(u >= 0 && u < 1)) {
      throw new IllegalArgumentException("u must be in [0, 1): " + u);
    }
    long spread = (long) (baseNanos * fraction);
    return baseNanos - spread + Math.min(2 * spread, (long) (2.0 * spread * u));
  }

  @Override
  public V get(K key, Loader<K, V> loader) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(loader, "loader");
    Entry<V> entry = store.getOrMiss(key, metrics);
    if (entry != null && entry.isFresh(ticker.read())) {
      metrics.record(Event.HIT, key);
      return entry.value();
    }
    metrics.record(Event.MISS, key);
    return fill(key, entry, 0, loader);
  }

  /** Loads through the loader and writes an entry fresh for a jittered TTL. */
  @Override
  public V fill(K key, Entry<V> seen, long fence, Loader<K, V> loader) {
    return fill.fill(key, seen, fence, loader);
  }
}
