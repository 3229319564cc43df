package stampede.jmh;

import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
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
 * <p>{@link #setFast(boolean)} turns latency off, to fill a cache quickly in a setup method; such loads are counted
 * but open no expiry episode (a warm-up is not an expiry, and a million warmed keys need no episode state). The
 * values returned
 * are {@code key + "@" + loadNumber + "@" + completionNanoTime}; {@link #loadedAt(String)} reads the time back
 * so a facade can tell a stale value from a fresh one.
 *
 * <p>Connection pool: by default every load runs at once (an unbounded database, so a stampede shows at its full
 * size). {@link #pool(int)} bounds the loads running at once to a number of connections, as a JDBC pool does: a
 * load waits (FIFO) for a free connection before its latency starts, up to {@link #POOL_TIMEOUT} (HikariCP's
 * default connection timeout), then fails with {@link PoolTimeoutException}. The wait is part of the caller's
 * latency; {@link #inFlight()} and {@link #peakConcurrentLoads()} count loads waiting for a connection too.
 *
 * <p>{@link #listener(LoadListener)} sees every loader call as it starts (the open-loop scenarios bucket them in
 * time). Counting is lock-free on the load path: an episode is one compare-and-set on the key's start time.
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

  /** What a load waiting longer than {@link #POOL_TIMEOUT} for a connection throws. */
  public static final class PoolTimeoutException extends Exception {
    private static final long serialVersionUID = 1L;

    PoolTimeoutException(String key) {
      super("no database connection within " + POOL_TIMEOUT.toSeconds() + " s for " + key, null, false, false);
    }
  }

  /** Sees every loader call as it starts (before any wait for a connection). */
  @FunctionalInterface
  public interface LoadListener {
    void loadStarted(String key, long nanoTime);
  }

  /** How long a load waits for a pooled connection before it fails (HikariCP's connectionTimeout default). */
  public static final Duration POOL_TIMEOUT = Duration.ofSeconds(30);

  private final long minLatencyNanos;
  private final long maxLatencyNanos;
  private final long episodeGapNanos;
  private final AtomicLong loads = new AtomicLong();
  private final AtomicLong failures = new AtomicLong();
  private final AtomicLong episodes = new AtomicLong();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger peak = new AtomicInteger();
  private final ConcurrentHashMap<String, AtomicLong> episodeStart = new ConcurrentHashMap<>();
  private volatile Semaphore pool;
  private volatile int poolSize;
  private volatile LoadListener listener;
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
    if (!fast) {
      countEpisode(key, start);
    }
    LoadListener l = listener;
    if (l != null) {
      l.loadStarted(key, start);
    }
    Semaphore connections = fast ? null : pool;
    try {
      if (connections != null && !connections.tryAcquire(POOL_TIMEOUT.toNanos(), TimeUnit.NANOSECONDS)) {
        throw new PoolTimeoutException(key);
      }
    } catch (Exception e) {
      inFlight.decrementAndGet();
      throw e;
    }
    try {
      boolean failing = isFailing(System.nanoTime());
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
      if (connections != null) {
        connections.release();
      }
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
    AtomicLong start = episodeStart.get(key);
    if (start == null) {
      AtomicLong mine = new AtomicLong(now);
      start = episodeStart.putIfAbsent(key, mine);
      if (start == null) { // the key's first load: an episode
        episodes.incrementAndGet();
        return;
      }
    }
    for (long s = start.get(); now - s > episodeGapNanos; s = start.get()) {
      if (start.compareAndSet(s, now)) { // exactly one of the loads past the gap opens the next episode
        episodes.incrementAndGet();
        return;
      }
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

  /**
   * One outage: loads that reach the database in {@code [fromNanos, toNanos)} ({@link System#nanoTime()} readings,
   * possibly in the future) misbehave as {@code mode} says; before and after it is healthy.
   */
  public void outage(FailureMode mode, long fromNanos, long toNanos) {
    if (toNanos - fromNanos < 0) {
      throw new IllegalArgumentException("outage ends before it starts");
    }
    this.periodNanos = Long.MAX_VALUE;
    this.failForNanos = toNanos - fromNanos;
    this.slowFactor = 10;
    this.failureOrigin = fromNanos;
    this.mode = mode;
  }

  /** True if a load starting at {@code nanoTime} falls in the failure window. */
  public boolean isFailing(long nanoTime) {
    if (mode == FailureMode.NONE) {
      return false;
    }
    long since = nanoTime - failureOrigin;
    if (periodNanos == Long.MAX_VALUE) { // one outage
      return since >= 0 && since < failForNanos;
    }
    long phase = Math.floorMod(since, periodNanos);
    return phase < failForNanos;
  }

  /**
   * Bounds the loads running at once to {@code connections} (FIFO wait for a connection, see above); 0 removes the
   * bound. Set it before the load starts.
   */
  public void pool(int connections) {
    if (connections < 0) {
      throw new IllegalArgumentException("connections < 0: " + connections);
    }
    this.poolSize = connections;
    this.pool = connections == 0 ? null : new Semaphore(connections, true);
  }

  /** The connection pool's size, 0 if unbounded. */
  public int poolSize() {
    return poolSize;
  }

  /** Sees every loader call as it starts; null for none. */
  public void listener(LoadListener listener) {
    this.listener = listener;
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
