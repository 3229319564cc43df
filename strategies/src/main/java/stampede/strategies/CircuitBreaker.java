package stampede.strategies;

import java.time.Duration;
import java.util.Objects;
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
 * Circuit breaker around the loader: after {@code failureThreshold} consecutive failed loads it stops calling
 * the database for {@code openFor}, serving stale values (within {@code serveStaleFor}) or failing fast.
 *
 * <p><b>Prevents:</b> the retry stampede on a sick database, where every miss calls it again and keeps it down.
 * Open, it costs the database nothing; half-open, one trial load probes it (success closes, failure reopens).
 *
 * <p><b>Pick it when</b> the loader can fail for seconds at a time (overload, failover) and a fast error or a
 * bounded-stale value beats piling up slow calls.
 *
 * <p><b>Costs:</b> a short {@code synchronized} section per load (not per hit). Open, a miss gets a usable stale
 * value ({@link Event#STALE_SERVED}) or {@link RejectedException} ("circuit open", {@link Event#REJECTED}).
 * State is per process, not per key: one breaker per database. Only a {@link LoadException} counts as a
 * failure, not a {@link RejectedException} from an inner protection. Open time is ticker time.
 *
 * <p><b>Source:</b> Nygard, "Release It!" (closed, open, half-open); Failsafe's {@code CircuitBreaker};
 * FusionCache's fail-safe, which serves stale data on error (ANCHORS.md).
 *
 * <p>Composition: {@code SingleFlight(CircuitBreaker(StoreFill(Loader)))}: coalesced waiters share one
 * outcome, and the breaker counts loads, not callers.
 */
public final class CircuitBreaker<K, V> implements LoadingStrategy<K, V>, Fill<K, V> {
  /** The breaker's state. */
  public enum State { CLOSED, OPEN, HALF_OPEN }

  private final CacheStore<K, V> store;
  private final Ticker ticker;
  private final Metrics metrics;
  private final Fill<K, V> fill;
  private final int failureThreshold;
  private final long openForNanos;
  private final long serveStaleNanos;
  private State state = State.CLOSED; // guarded by this
  private int failures;               // consecutive, while closed
  private long openedAt;
  private boolean trialInFlight;

  /**
   * @param fill             the miss path it guards (e.g. {@link StoreFill})
   * @param failureThreshold consecutive failed loads that open the circuit, at least 1
   * @param openFor          how long the circuit stays open before a trial load (ticker time)
   * @param serveStaleFor    how stale an entry may be and still be served while open (zero: only just-expired)
   */
  public CircuitBreaker(CacheStore<K, V> store, Ticker ticker, Metrics metrics, Fill<K, V> fill,
      int failureThreshold, Duration openFor, Duration serveStaleFor) {
    this.store = Objects.requireNonNull(store, "store");
    this.ticker = Objects.requireNonNull(ticker, "ticker");
    this.metrics = Objects.requireNonNull(metrics, "metrics");
    this.fill = Objects.requireNonNull(fill, "fill");
    this.failureThreshold = failureThreshold;
    this.openForNanos = openFor.toNanos();
    this.serveStaleNanos = serveStaleFor.toNanos();
    if (failureThreshold < 1 || openForNanos <= 0 || serveStaleNanos < 0) {
      throw new IllegalArgumentException("need failureThreshold >= 1, openFor > 0, serveStaleFor >= 0: "
          + failureThreshold + ", " + openFor + ", " + serveStaleFor);
    }
  }

  /** Loads and writes values fresh for {@code ttl}. */
  public CircuitBreaker(CacheStore<K, V> store, Ticker ticker, Metrics metrics, Duration ttl,
      int failureThreshold, Duration openFor, Duration serveStaleFor) {
    this(store, ticker, metrics, new StoreFill<>(store, ticker, metrics, Ttl.fixed(ttl)),
        failureThreshold, openFor, serveStaleFor);
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

  @Override
  public V fill(K key, Entry<V> seen, long fence, Loader<K, V> loader) {
    State admittedAs = admit();
    if (admittedAs == State.OPEN) {
      if (seen != null && seen.staleFor(ticker.read()) <= serveStaleNanos) {
        metrics.record(Event.STALE_SERVED, key);
        return seen.value();
      }
      metrics.record(Event.REJECTED, key);
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
