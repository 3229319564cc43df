package stampede.core;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The two clocks. Everything in one process (CaffeineStore's entries and eviction, breaker open time, rate-limit
 * refill, counting windows, backoff, the refresh and load bounds) defaults to {@link Ticker#system()}; before the
 * reshape that was the wall clock, so a step of the system clock reached all of it at once (1 h back: every
 * rate-limited load refused and the breaker open for an hour; forward past TTL + retention: every Caffeine entry
 * expired together, a mass stampede). Only entries shared across nodes are timed on {@link Ticker#wall()}.
 */
class TickerTest {

  @Test
  void systemIsTheMonotonicClockNotTheWallClock() {
    long before = System.nanoTime();
    long read = Ticker.system().read();
    long after = System.nanoTime();
    assertTrue(before <= read && read <= after, "Ticker.system() reads System.nanoTime(): " + read + " not in ["
        + before + ", " + after + "]");
  }

  @Test
  void wallIsNanosecondsSinceTheEpoch() {
    long millis = System.currentTimeMillis();
    long read = Ticker.wall().read();
    assertTrue(Math.abs(TimeUnit.NANOSECONDS.toMillis(read) - millis) < 1000, read + " vs " + millis + " ms");
  }
}
