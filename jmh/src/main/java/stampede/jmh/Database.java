package stampede.jmh;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import stampede.core.Loader;

/**
 * The simulated system of record every benchmark loads from. A load parks (never spins) for a uniform random
 * time in {@code [minLatency, maxLatency]}, so on a 2-core machine blocked callers cost nothing but wall time.
 *
 * <p>It counts what the strategies are meant to minimise:
 * <ul>
 *   <li>{@link #loads()}: loader calls;</li>
 *   <li>{@link #episodes()}: expiry episodes. Per key, a load that starts more than {@code episodeGap} after
 *       the first load of the key's current episode opens a new episode; loads closer than that belong to the
 *       same stampede. With a gap of TTL/2, a strategy that coalesces perfectly has exactly one load per
 *       episode, and a stampede of n callers shows n loads in one episode. Hence loads / episodes is
 *       "loader calls per expiry";</li>
 *   <li>{@link #peakConcurrentLoads()}: the most loads running at the same time since {@link #resetPeak()}.</li>
 * </ul>
 *
 * <p>Failure window: after {@link #failures(FailureMode, long, long, double)} the database misbehaves during the
 * first {@code failForNanos} of every {@code periodNanos} (measured from that call): {@link FailureMode#FAIL}
 * throws {@link DatabaseDownException} (after the usual latency: a timeout is not free), {@link FailureMode#SLOW}
 * multiplies the latency by {@code slowFactor}.
 *
 * <p>{@link #setFast(boolean)} turns latency off, to fill a cache quickly in a setup method. The values returned
 * are {@code key + "@" + loadNumber + "@" + completionNanoTime}; {@link #loadedAt(String)} reads the time back
 * so a facade can tell a stale value from a fresh one.
 */
public final class Database implements Loader<String, String> {

  /** How the database misbehaves during its failure window. */
  public enum FailureMode { NONE, FAIL, SLOW }

  /** What a failing database throws. */
  public static final class DatabaseDownException extends Exception {
    private static final long serialVersionUID = 1L;

    DatabaseDownException(String key) {
      super("database down while loading " + key, null, false, false);
    }
  }

  private final long minLatencyNanos;
  private final long maxLatencyNanos;
  private final long episodeGapNanos;
  private final AtomicLong loads = new AtomicLong();
  private final AtomicLong failures = new AtomicLong();
  private final AtomicLong episodes = new AtomicLong();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger peak = new AtomicInteger();
  private final ConcurrentHashMap<String, Long> episodeStart = new ConcurrentHashMap<>();
  private volatile boolean fast;
  private volatile FailureMode mode = FailureMode.NONE;
  private volatile long failureOrigin;
  private volatile long periodNanos = 1;
  private volatile long failForNanos;
  private volatile double slowFactor = 1;

  public Database(long minLatencyNanos, long maxLatencyNanos, long episodeGapNanos) {
    if (minLatencyNanos < 0 || maxLatencyNanos < minLatencyNanos || episodeGapNanos <= 0) {
      throw new IllegalArgumentException("bad latency/gap: " + minLatencyNanos + ".." + maxLatencyNanos + ", gap "
          + episodeGapNanos);
    }
    this.minLatencyNanos = minLatencyNanos;
    this.maxLatencyNanos = maxLatencyNanos;
    this.episodeGapNanos = episodeGapNanos;
  }

  /** Parses a latency range in milliseconds, "5-50" or "20". */
  public static long[] parseMillisRange(String range) {
    String[] parts = range.trim().split("-");
    long min = Long.parseLong(parts[0].trim());
    long max = parts.length > 1 ? Long.parseLong(parts[1].trim()) : min;
    return new long[] {min * 1_000_000L, max * 1_000_000L};
  }

  @Override
  public String load(String key) throws Exception {
    long start = System.nanoTime();
    int now = inFlight.incrementAndGet();
    peak.accumulateAndGet(now, Math::max);
    long n = loads.incrementAndGet();
    countEpisode(key, start);
    try {
      boolean failing = isFailing(start);
      if (!fast) {
        long latency = latencyNanos();
        if (failing && mode == FailureMode.SLOW) {
          latency = (long) (latency * slowFactor);
        }
        park(latency);
      }
      if (failing && mode == FailureMode.FAIL) {
        failures.incrementAndGet();
        throw new DatabaseDownException(key);
      }
      return key + "@" + n + "@" + System.nanoTime();
    } finally {
      inFlight.decrementAndGet();
    }
  }

  /**
   * {@link #load} for APIs that take no checked exception (Caffeine's mapping functions): a checked exception is
   * thrown as the cause of a {@link CompletionException}, which Caffeine passes through as it is.
   */
  public String loadUnchecked(String key) {
    try {
      return load(key);
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new CompletionException(e);
    }
  }

  /** The {@link System#nanoTime()} at which the value was loaded, from a value this database returned. */
  public static long loadedAt(String value) {
    return Long.parseLong(value.substring(value.lastIndexOf('@') + 1));
  }

  private void countEpisode(String key, long now) {
    boolean[] opened = new boolean[1];
    episodeStart.compute(key, (k, start) -> {
      if (start == null || now - start > episodeGapNanos) {
        opened[0] = true;
        return now;
      }
      return start;
    });
    if (opened[0]) {
      episodes.incrementAndGet();
    }
  }

  private long latencyNanos() {
    return minLatencyNanos == maxLatencyNanos ? minLatencyNanos
        : ThreadLocalRandom.current().nextLong(minLatencyNanos, maxLatencyNanos + 1);
  }

  /** Parks until {@code nanos} have passed (parkNanos may return early); keeps the interrupt status. */
  static void park(long nanos) {
    long deadline = System.nanoTime() + nanos;
    for (long left = nanos; left > 0; left = deadline - System.nanoTime()) {
      LockSupport.parkNanos(left);
      if (Thread.currentThread().isInterrupted()) {
        return;
      }
    }
  }

  /** Misbehave during the first {@code failForNanos} of every {@code periodNanos} from now on. */
  public void failures(FailureMode mode, long periodNanos, long failForNanos, double slowFactor) {
    if (periodNanos <= 0 || failForNanos < 0 || failForNanos > periodNanos || slowFactor < 1) {
      throw new IllegalArgumentException("bad failure window");
    }
    this.periodNanos = periodNanos;
    this.failForNanos = failForNanos;
    this.slowFactor = slowFactor;
    this.failureOrigin = System.nanoTime();
    this.mode = mode;
  }

  /** True if a load starting at {@code nanoTime} falls in the failure window. */
  public boolean isFailing(long nanoTime) {
    if (mode == FailureMode.NONE) {
      return false;
    }
    long phase = Math.floorMod(nanoTime - failureOrigin, periodNanos);
    return phase < failForNanos;
  }

  public void setFast(boolean fast) {
    this.fast = fast;
  }

  public long loads() {
    return loads.get();
  }

  public long failures() {
    return failures.get();
  }

  public long episodes() {
    return episodes.get();
  }

  public int inFlight() {
    return inFlight.get();
  }

  public int peakConcurrentLoads() {
    return peak.get();
  }

  /** Restarts peak tracking from the loads running now. */
  public void resetPeak() {
    peak.set(inFlight.get());
  }

  /** Forgets episode starts, e.g. after a cache was cleared on purpose. */
  public void resetEpisodes() {
    episodeStart.clear();
  }
}
