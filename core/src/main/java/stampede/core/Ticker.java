package stampede.core;

import java.time.Clock;
import java.time.Instant;

/**
 * A source of time in nanoseconds, injected into every store and strategy so tests can drive time by hand
 * (see {@link ManualTicker}) and stay deterministic.
 *
 * <p>Entry times ({@link Entry#writeTime()}, {@link Entry#expireTime()}) are ticker readings. Entries kept in a
 * shared store (Redis) are compared across processes, so the default ticker reads the wall clock, not
 * {@link System#nanoTime()}: two nodes agree on an entry's expiry within their clock skew.
 */
@FunctionalInterface
public interface Ticker {

  /** Current time in nanoseconds. Only differences and comparisons between readings are meaningful. */
  long read();

  /** Nanoseconds since the Unix epoch, from the system clock (comparable across nodes). */
  static Ticker system() {
    Clock clock = Clock.systemUTC();
    return () -> {
      Instant now = clock.instant();
      return Math.addExact(Math.multiplyExact(now.getEpochSecond(), 1_000_000_000L), now.getNano());
    };
  }
}
