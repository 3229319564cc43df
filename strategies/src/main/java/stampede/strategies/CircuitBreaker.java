package stampede.strategies;

import java.time.Duration;
import java.util.Objects;
import stampede.core.Entry;
import stampede.core.Event;
import stampede.core.Fill;
import stampede.core.InterruptedLoadException;
import stampede.core.LoadException;
import stampede.core.Loader;
import stampede.core.Metrics;
import stampede.core.RejectedException;
import stampede.core.Ticker;

/**
 * Circuit breaker, a {@link Fill} around the loader: after {@code failureThreshold} consecutive failed loads it
 * stops calling the database for {@code openFor} and fails fast with {@link RejectedException} ("circuit open");
 * the read path's {@code staleIfError} turns that into a bounded-stale value where it has one.
 *
 * <pre>
 *   CircuitBreaker.builder(storeFill).failureThreshold(5).openFor(Duration.ofSeconds(5)).metrics(metrics).build();
 * </pre>
 *
 * <p><b>Prevents:</b> the retry stampede on a sick database, where every miss calls it again and keeps it down. Open,
 * it costs the database nothing; half-open, one trial load probes it (success closes, failure reopens).
 *
 * <p><b>Pick it when</b> the loader can fail for seconds at a time (overload, failover) and a fast error or a
 * bounded-stale value beats piling up slow calls. Put it under a {@link SingleFlight}, so coalesced waiters share
 * one outcome and the breaker counts loads, not callers.
 *
 * <p><b>Costs:</b> a short {@code synchronized} section per load (not per hit); {@link Event#CIRCUIT_OPEN} per refused
 * call. State is per process, not per key: one breaker per database. Only a {@link LoadException} counts as a
 * failure, not a {@link RejectedException} from an inner protection, nor a caller's cancellation
 * ({@link InterruptedLoadException#isInterrupt}: an {@code InterruptedLoadException}, or any error while the caller's
 * thread is interrupted): it says nothing of the database, so an interrupted trial leaves the circuit half open and
 * the next call is the trial. A trial that has not ended within {@code openFor} is presumed hung: the next call is a
 * new trial (the hung one's outcome is ignored), so a hung load keeps the circuit from closing for {@code openFor} at
 * most. Open time is measured on a monotonic {@link Ticker}; should it step back anyway, the circuit stays open
 * {@code openFor} from the step, not longer.
 *
 * <p><b>Source:</b> Nygard, "Release It!" (2007; closed, open, half-open); Failsafe's {@code CircuitBreaker}.
 *
 * <p><b>Copy with it:</b> CacheAside.java, CacheStore.java, Entry.java, Event.java, Fill.java,
 * InterruptedLoadException.java, LoadException.java, Loader.java, LoadingStrategy.java, Metrics.java,
 * RejectedException.java, StoreException.java, StoreFill.java, Ticker.java, Ttl.java.
 */
public final class CircuitBreaker<K, V> implements Fill<K, V> {
  /** The breaker's state. */
  public enum State { CLOSED, OPEN, HALF_OPEN }

  private final Fill<K, V> fill;
  private final Metrics metrics;
  private final Ticker ticker;
  private final int failureThreshold;
  private final long openForNanos;
  private State state = State.CLOSED; // guarded by this
  private int failures;               // consecutive, while closed
  private long openedAt;
  private long trial;                 // the trial in flight (its number), 0 if none
  private long trials;
  private long trialStartedAt;

  private CircuitBreaker(Builder<K, V> b) {
    this.fill = b.fill;
    this.metrics = b.metrics;
    this.ticker = b.ticker;
    this.failureThreshold = b.failureThreshold;
    this.openForNanos = b.openFor.toNanos();
  }

  /** Guards {@code fill}, the miss path (e.g. a {@code StoreFill}); one breaker per database. */
  public static <K, V> Builder<K, V> builder(Fill<K, V> fill) {
    return new Builder<>(fill);
  }

  @Override
  public V fill(K key, Entry<V> seen, long fence, Loader<K, V> loader) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(loader, "loader");
    long admitted = admit();
    if (admitted < 0) {
      metrics.record(Event.CIRCUIT_OPEN, key);
      throw new RejectedException(key, "circuit open");
    }
    Boolean ok = null; // null: no verdict on the database (e.g. rejected by an inner protection)
    try {
      V value = fill.fill(key, seen, fence, loader);
      ok = true;
      return value;
    } catch (LoadException e) {
      ok = InterruptedLoadException.isInterrupt(e) ? null : false; // a caller's cancellation: no verdict
      throw e;
    } finally {
      record(admitted, ok);
    }
  }

  /** The current state: HALF_OPEN once {@code openFor} has passed, until the trial load's outcome. */
  public synchronized State state() {
    return state == State.OPEN && since(openedAt) >= openForNanos ? State.HALF_OPEN : state;
  }

  /**
   * 0: closed, load; n > 0: this call is trial n (none in flight, or the one in flight has run for {@code openFor}
   * and is presumed hung); -1: open, do not load.
   */
  private synchronized long admit() {
    if (state == State.OPEN && since(openedAt) >= openForNanos) {
      state = State.HALF_OPEN;
    }
    if (state == State.CLOSED) {
      return 0;
    }
    if (state == State.HALF_OPEN && (trial == 0 || since(trialStartedAt) >= openForNanos)) {
      trial = ++trials;
      trialStartedAt = ticker.read();
      return trial;
    }
    return -1;
  }

  private synchronized void record(long admitted, Boolean ok) {
    if (admitted > 0) {
      if (admitted != trial) {
        return; // a trial presumed hung that ended after all: a newer trial decides
      }
      trial = 0;
      if (ok != null) {
        failures = 0;
        state = ok ? State.CLOSED : State.OPEN;
        openedAt = ticker.read();
      }
    } else if (state == State.CLOSED && ok != null) { // a late outcome of a call admitted before opening is ignored
      failures = ok ? 0 : failures + 1;
      if (failures >= failureThreshold) {
        failures = 0;
        state = State.OPEN;
        openedAt = ticker.read();
      }
    }
  }

  /** Ticker time since {@code start}; a clock that stepped back to before it restarts the interval from now. */
  private long since(long start) {
    long now = ticker.read();
    if (now - start < 0) {
      openedAt = Math.min(openedAt, now);
      trialStartedAt = Math.min(trialStartedAt, now);
      return 0;
    }
    return now - start;
  }

  /** Settings of a {@link CircuitBreaker}, with their defaults; checked in {@link #build()}. */
  public static final class Builder<K, V> {
    private final Fill<K, V> fill;
    private Metrics metrics = Metrics.none();
    private Ticker ticker = Ticker.system();
    private int failureThreshold = 5;
    private Duration openFor = Duration.ofSeconds(5);

    private Builder(Fill<K, V> fill) {
      this.fill = Objects.requireNonNull(fill, "fill");
    }

    /** Consecutive failed loads that open the circuit, at least 1; default 5. */
    public Builder<K, V> failureThreshold(int failureThreshold) {
      this.failureThreshold = failureThreshold;
      return this;
    }

    /** How long the circuit stays open before a trial load, and how long a trial may run; default 5 s. */
    public Builder<K, V> openFor(Duration openFor) {
      this.openFor = Objects.requireNonNull(openFor, "openFor");
      return this;
    }

    /** Receives {@link Event#CIRCUIT_OPEN}; default none. */
    public Builder<K, V> metrics(Metrics metrics) {
      this.metrics = Objects.requireNonNull(metrics, "metrics");
      return this;
    }

    /** The clock of {@code openFor}, monotonic; default {@link Ticker#system()}. */
    public Builder<K, V> ticker(Ticker ticker) {
      this.ticker = Objects.requireNonNull(ticker, "ticker");
      return this;
    }

    /** The breaker; an {@link IllegalArgumentException} naming the first setting that cannot work. */
    public CircuitBreaker<K, V> build() {
      if (failureThreshold < 1) {
        throw new IllegalArgumentException("failureThreshold must be at least 1: " + failureThreshold);
      }
      if (openFor.isNegative() || openFor.isZero() || openFor.compareTo(Duration.ofNanos(Long.MAX_VALUE)) > 0) {
        throw new IllegalArgumentException("openFor must be positive and at most 292 years: " + openFor);
      }
      return new CircuitBreaker<>(this);
    }
  }
}
