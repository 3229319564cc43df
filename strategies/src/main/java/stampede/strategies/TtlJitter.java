package stampede.strategies;

import java.time.Duration;
import java.util.Objects;
import java.util.function.DoubleSupplier;
import stampede.core.Ttl;

/**
 * TTL jitter, a {@link Ttl}: every loaded value stays fresh for {@code base} plus or minus a uniformly random
 * {@code fraction * base}, so keys loaded together do not expire together.
 *
 * <pre>
 *   Ttl&lt;K&gt; ttl = new TtlJitter&lt;&gt;(Duration.ofMinutes(5), 0.1, () -&gt; random.nextDouble());
 *   new StoreFill&lt;&gt;(store, metrics, ttl)
 * </pre>
 *
 * <p><b>Prevents:</b> synchronised expiry. With a fixed TTL, keys filled at the same moment (a cold start, a deploy,
 * a batch job, a flush) all expire at the same instant and all miss at once: a stampede across many keys. Jitter
 * spreads their expiries uniformly over {@code [base(1-f), base(1+f)]}. It does nothing for many callers on ONE hot
 * key: put a {@link SingleFlight} or a lock in the fill for that.
 *
 * <p><b>Pick it when</b> many keys are written in bursts, or many nodes fill the same keys at the same time, and a
 * little uncertainty in how long a value lives is acceptable.
 *
 * <p><b>Costs:</b> one random draw per load; values live {@code base} on average, but some up to
 * {@code fraction * base} longer (staler). {@code random} must be thread-safe, e.g.
 * {@code () -> ThreadLocalRandom.current().nextDouble()}.
 *
 * <p><b>Source:</b> Amazon ElastiCache, "Caching strategies" (add a random jitter to the TTL against the thundering
 * herd); sturdyc's randomised early refreshes (github.com/viccon/sturdyc); Caffeine issue #504 (users asking for
 * jittered expiry).
 *
 * <p><b>Copy with it:</b> CacheAside.java, CacheStore.java, Entry.java, Event.java, Fill.java,
 * InterruptedLoadException.java, LoadException.java, Loader.java, LoadingStrategy.java, Metrics.java, Nullable.java,
 * RejectedException.java, StoreException.java, StoreFill.java, Ticker.java, Ttl.java.
 */
public final class TtlJitter<K> implements Ttl<K> {
  /** The longest TTL: an expiry time ({@code now + ttl}) still fits in a long. About 146 years. */
  private static final Duration MAX_TTL = Duration.ofNanos(Long.MAX_VALUE / 2);
  private final long baseNanos;
  private final double fraction;
  private final DoubleSupplier random;

  /**
   * @param base     the mean TTL; the longest, {@code base x (1 + fraction)}, at most 146 years
   * @param fraction the half-width of the jitter as a fraction of {@code base}, in [0, 1)
   * @param random   uniform draws in [0, 1); thread-safe
   */
  public TtlJitter(Duration base, double fraction, DoubleSupplier random) {
    this.random = Objects.requireNonNull(random, "random");
    if (!(fraction >= 0 && fraction < 1)) {
      throw new IllegalArgumentException("fraction must be in [0, 1): " + fraction);
    }
    if (Objects.requireNonNull(base, "base").isNegative() || base.isZero() || base.compareTo(MAX_TTL) > 0
        || base.toNanos() + (long) (base.toNanos() * fraction) > MAX_TTL.toNanos()) {
      throw new IllegalArgumentException("base must be positive, and base x (1 + fraction) at most 146 years, or an "
          + "expiry time overflows: " + base + " x (1 + " + fraction + ")");
    }
    this.baseNanos = base.toNanos();
    this.fraction = fraction;
  }

  @Override
  public long nanos(K key) {
    return jitteredTtlNanos(baseNanos, fraction, random.getAsDouble());
  }

  /**
   * The jittered TTL: {@code base - spread + 2 * spread * u}, {@code spread = floor(base * fraction)}, so uniform
   * over {@code [base(1-f), base(1+f)]} for {@code u} uniform in [0, 1); {@code u = 0} gives the low end.
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
}
