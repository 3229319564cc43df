package stampede.strategies;

import java.time.Duration;
import java.util.Objects;
import stampede.core.Ticker;

/**
 * A concurrency limit that follows the database's latency, a gradient rule: per window of loads, the average load
 * time is compared with the no-load time (the lowest window average seen); while it stays within
 * {@code tolerance} times that, the limit grows by one (if the window used at least half of it), and beyond, it
 * shrinks in proportion ({@code limit x tolerance x noLoad / average}, at most halved per window). It never exceeds
 * {@code ceiling} (the database's real pool size) nor goes under {@code minLimit}, and it climbs back to the ceiling,
 * one slot a window, once the latency is back.
 *
 * <p><b>Prevents:</b> guessing the pool size: a fixed bound is too high when the database slows down (every load
 * queues behind the others) and too low when it is fast. This one backs off as soon as load times grow.
 *
 * <p><b>Pick it when</b> the database's capacity moves (a shared database, a failover, a cold buffer pool); with a
 * database that always serves its pool size at the same speed, a fixed limit equal to the pool does as well.
 *
 * <p><b>Costs:</b> a short {@code synchronized} section per load (a sum and a comparison; the arithmetic once per
 * window). The no-load time drifts up by 1/64 of the gap per window above it, so a database that became slower for
 * good is followed after a while rather than held at {@code minLimit} forever; a database slow from the first window
 * is taken as its normal speed. Only loads that reached the database count: the caller's interrupt and a refused load
 * are no samples.
 *
 * <p><b>Source:</b> Netflix {@code concurrency-limits}, {@code Gradient2Limit.java} (gradient {@code tolerance x
 * longRtt / shortRtt} clamped to [0.5, 1], tolerance 1.5, the long-term RTT's drift) and {@code AIMDLimit.java}
 * (additive increase only while the limit is in use); TCP Vegas (Brakmo and Peterson, IEEE JSAC 13(8), 1995:
 * base RTT as the minimum, back off when the RTT grows over it).
 *
 * <p><b>Copy with it:</b> CacheAside.java, CacheStore.java, Entry.java, Event.java, Fill.java,
 * InterruptedLoadException.java, LoadException.java, Loader.java, LoadingStrategy.java, Metrics.java,
 * Nullable.java, RejectedException.java, StoreException.java, StoreFill.java, Ticker.java, Ttl.java.
 */
public final class AdaptiveLimit {
  private final int ceiling;
  private final int minLimit;
  private final double tolerance;
  private final long windowNanos;
  private final int minSamples;
  private final Ticker ticker;
  private double limit;      // guarded by this
  private double noLoad;     // nanoseconds, 0 before the first window
  private long windowStart;
  private long sum;
  private int count;
  private int maxInFlight;

  private AdaptiveLimit(Builder b) {
    this.ceiling = b.ceiling;
    this.minLimit = b.minLimit;
    this.tolerance = b.tolerance;
    this.windowNanos = b.window.toNanos();
    this.minSamples = b.minSamples;
    this.ticker = b.ticker;
    this.limit = b.initial == 0 ? ceiling : b.initial;
    this.windowStart = ticker.read();
  }

  /** A limit of at most {@code ceiling} loads at once (the database's pool size), at least 1. */
  public static Builder builder(int ceiling) {
    return new Builder(ceiling);
  }

  /** The limit now. */
  public synchronized int limit() {
    return (int) limit;
  }

  /** The no-load time, nanoseconds (0 before the first window). */
  public synchronized long noLoadNanos() {
    return (long) noLoad;
  }

  /**
   * One load that reached the database took {@code latencyNanos}, with {@code inFlight} loads running as it started.
   *
   * @return the limit after it
   */
  public synchronized int sample(long latencyNanos, int inFlight) {
    long now = ticker.read();
    sum += Math.max(0, latencyNanos);
    count++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    if (count >= minSamples && now - windowStart >= windowNanos) {
      double average = (double) sum / count;
      noLoad = noLoad == 0 || average < noLoad ? average : noLoad + (average - noLoad) / 64;
      double gradient = Math.max(0.5, Math.min(1.0, tolerance * noLoad / Math.max(1, average)));
      if (gradient < 1) {
        limit = Math.max(minLimit, limit * gradient);
      } else if (maxInFlight * 2 >= limit) {
        limit = Math.min(ceiling, Math.floor(limit) + 1);
      }
      windowStart = now;
      sum = 0;
      count = 0;
      maxInFlight = 0;
    }
    return (int) limit;
  }

  /** Settings of an {@link AdaptiveLimit}, with their defaults. */
  public static final class Builder {
    private final int ceiling;
    private int initial;
    private int minLimit = 1;
    private double tolerance = 1.5;
    private Duration window = Duration.ofSeconds(1);
    private int minSamples = 10;
    private Ticker ticker = Ticker.system();

    private Builder(int ceiling) {
      if (ceiling < 1) {
        throw new IllegalArgumentException("ceiling must be at least 1: " + ceiling);
      }
      this.ceiling = ceiling;
    }

    /** The limit before the first window, between {@code minLimit} and the ceiling; default the ceiling. */
    public Builder initial(int initial) {
      if (initial < 1 || initial > ceiling) {
        throw new IllegalArgumentException("initial limit must be between 1 and the ceiling " + ceiling + ": "
            + initial);
      }
      this.initial = initial;
      return this;
    }

    /** The lowest the limit goes, between 1 and the ceiling; default 1. */
    public Builder minLimit(int minLimit) {
      if (minLimit < 1 || minLimit > ceiling) {
        throw new IllegalArgumentException("minLimit must be between 1 and the ceiling " + ceiling + ": " + minLimit);
      }
      this.minLimit = minLimit;
      return this;
    }

    /** How many times the no-load time a window's average may reach before the limit shrinks, at least 1; 1.5. */
    public Builder tolerance(double tolerance) {
      if (!(tolerance >= 1) || Double.isInfinite(tolerance)) {
        throw new IllegalArgumentException("tolerance must be a finite number at least 1: " + tolerance);
      }
      this.tolerance = tolerance;
      return this;
    }

    /** A window: at least {@code minSamples} loads over at least {@code window}; defaults 10 loads, 1 s. */
    public Builder window(Duration window, int minSamples) {
      if (window.isNegative() || window.compareTo(Duration.ofNanos(Long.MAX_VALUE)) > 0) {
        throw new IllegalArgumentException("window must be at least 0 and at most 292 years: " + window);
      }
      if (minSamples < 1) {
        throw new IllegalArgumentException("minSamples must be at least 1: " + minSamples);
      }
      this.window = window;
      this.minSamples = minSamples;
      return this;
    }

    /** The windows' clock, monotonic; default {@link Ticker#system()}. */
    public Builder ticker(Ticker ticker) {
      this.ticker = Objects.requireNonNull(ticker, "ticker");
      return this;
    }

    public AdaptiveLimit build() {
      if (initial != 0 && initial < minLimit) {
        throw new IllegalArgumentException("initial limit must be at least minLimit " + minLimit + ": " + initial);
      }
      return new AdaptiveLimit(this);
    }
  }
}
