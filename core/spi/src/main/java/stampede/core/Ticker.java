package stampede.core;

import java.time.Clock;
import java.time.Instant;

/**
 * A source of time in nanoseconds, injected into every store and strategy so tests can drive time by hand and
 * stay deterministic (the test kit's {@code ManualTicker}).
 *
 * <p>Two clocks, for two jobs:
 * <ul>
 *   <li>{@link #system()} is monotonic ({@link System#nanoTime()}): a step of the wall clock never moves it. Every
 *       interval measured in one process uses it (breaker open time, rate-limit refill, counting windows), and
 *       so does an in-process store, whose entries never leave the process.</li>
 *   <li>{@link #wall()} reads the wall clock: entries in a store shared by several processes (Redis) carry times
 *       that other processes compare with their own clock, so they must agree within the nodes' clock skew.</li>
 * </ul>
 * A store says which clock its entries are timed on ({@link CacheStore#ticker()}); strategies read that one, once
 * per call.
 */
@FunctionalInterface
public interface Ticker {

  /** Current time in nanoseconds. Only differences and comparisons between readings are meaningful. */
  long read();

  /** Monotonic nanoseconds ({@link System#nanoTime()}): for one process. */
  static Ticker system() {
    return System::nanoTime;
  }

  /** Nanoseconds since the Unix epoch, from the system clock: comparable across nodes, within their skew. */
  static Ticker wall() {
    Clock clock = Clock.systemUTC();
    return () -> {
      Instant now = clock.instant();
      return Math.addExact(Math.multiplyExact(now.getEpochSecond(), 1_000_000_000L), now.getNano());
    };
  }
}
