package stampede.strategies;

import java.time.Duration;
import java.util.Objects;
import stampede.core.Entry;
import stampede.core.Event;
import stampede.core.Fill;
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
 * <p><b>Prevents:</b> the retry stampede on a sick database, where every miss calls it again and keeps it down. Open,
 * it costs the database nothing; half-open, one trial load probes it (success closes, failure reopens).
 *
 * <p><b>Pick it when</b> the loader can fail for seconds at a time (overload, failover) and a fast error or a
 * bounded-stale value beats piling up slow calls. Put it under a {@link SingleFlight}, so coalesced waiters share
 * one outcome and the breaker counts loads, not callers.
 *
 * <p><b>Costs:</b> a short {@code synchronized} section per load (not per hit); {@link Event#CIRCUIT_OPEN} per refused
 * call. State is per process, not per key: one breaker per database. Only a {@link LoadException} counts as a
 * failure, not a {@link RejectedException} from an inner protection. Open time is measured on a monotonic
 * {@link Ticker}.
 *
 * <p><b>Source:</b> Nygard, "Release It!" (2007; closed, open, half-open); Failsafe's {@code CircuitBreaker}.
 *
 * <p><b>Copy with it:</b> CacheAside.java, CacheStore.java, Entry.java, Event.java,
 * Fill.java, LoadException.java, Loader.java, LoadingStrategy.java, Metrics.java, RejectedException.java,
 * StoreException.java, StoreFill.java, Ticker.java, Ttl.java.
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
  private boolean trialInFlight;

  /**
   * @param fill             the miss path it guards (e.g. a {@code StoreFill})
   * @param failureThreshold consecutive failed loads that open the circuit, at least 1
   * @param openFor          how long the circuit stays open before a trial load
   * @param metrics          receives {@link Event#CIRCUIT_OPEN}
   * @param ticker           a monotonic clock: {@link Ticker#system()} outside tests
   */
  public CircuitBreaker(Fill<K, V> fill, int failureThreshold, Duration openFor, Metrics metrics, Ticker ticker) {
    this.fill = Objects.requireNonNull(fill, "fill");
    this.metrics = Objects.requireNonNull(metrics, "metrics");
    this.ticker = Objects.requireNonNull(ticker, "ticker");
    this.failureThreshold = failureThreshold;
    this.openForNanos = openFor.toNanos();
    if (failureThreshold < 1 || openForNanos <= 0) {
      throw new IllegalArgumentException("need failureThreshold >= 1 and openFor > 0: " + failureThreshold + ", "
          + openFor);
    }
  }

  @Override
  public V fill(K key, Entry<V> seen, long fence, Loader<K, V> loader) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(loader, "loader");
    State admittedAs = admit();
    if (admittedAs == State.OPEN) {
      metrics.record(Event.CIRCUIT_OPEN, key);
      throw new RejectedException(key, "circuit open");
    }
    boolean trial = admittedAs == State.HALF_OPEN;
    Boolean ok = null; // null: no verdict on the database (e.g. rejected by an inner protection)
    try {
      V value = fill.fill(key, seen, fence, loader);
      ok = true;
      return value;
    } catch (LoadException e) {
      ok = false;
      throw e;
    } finally {
      record(trial, ok);
    }
  }

  /** The current state: HALF_OPEN once {@code openFor} has passed, until the trial load's outcome. */
  public synchronized State state() {
    return state == State.OPEN && ticker.read() - openedAt >= openForNanos ? State.HALF_OPEN : state;
  }

  /** CLOSED: load; HALF_OPEN: this call is the one trial load; OPEN: do not load. */
  private synchronized State admit() {
    if (state == State.OPEN && ticker.read() - openedAt >= openForNanos) {
      state = State.HALF_OPEN;
    }
    if (state == State.HALF_OPEN && !trialInFlight) {
      trialInFlight = true;
      return State.HALF_OPEN;
    }
    return state == State.CLOSED ? State.CLOSED : State.OPEN;
  }

  private synchronized void record(boolean trial, Boolean ok) {
    if (trial) {
      trialInFlight = false;
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
}
