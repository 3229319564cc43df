package stampede.scenarios;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Counts of something per fixed time bucket (100 ms in the scenarios): database loads, errors, stale answers, hits.
 * Lock-free; an event before {@link #start} or past the last bucket is counted in {@link #outside()}, never lost
 * silently.
 */
public final class Timeline {
  private final long bucketNanos;
  private final AtomicLongArray counts;
  private final AtomicLongArray outside = new AtomicLongArray(1);
  private volatile long origin;
  private volatile boolean started;

  /** {@code span} of {@code bucket}-long buckets; nothing is counted until {@link #start}. */
  public Timeline(Duration bucket, Duration span) {
    this.bucketNanos = bucket.toNanos();
    if (bucketNanos <= 0) {
      throw new IllegalArgumentException("bucket must be positive: " + bucket);
    }
    this.counts = new AtomicLongArray((int) Math.max(1, (span.toNanos() + bucketNanos - 1) / bucketNanos));
  }

  /** Bucket 0 starts at {@code originNanos} (a {@link System#nanoTime()} reading); clears earlier counts. */
  public void start(long originNanos) {
    started = false;
    for (int i = 0; i < counts.length(); i++) {
      counts.set(i, 0);
    }
    outside.set(0, 0);
    origin = originNanos;
    started = true;
  }

  /** Counts one event at {@code nanoTime}. */
  public void record(long nanoTime) {
    add(nanoTime, 1);
  }

  public void add(long nanoTime, long n) {
    if (!started) {
      return;
    }
    long offset = nanoTime - origin;
    if (offset < 0 || offset / bucketNanos >= counts.length()) {
      outside.addAndGet(0, n);
      return;
    }
    counts.addAndGet((int) (offset / bucketNanos), n);
  }

  public long bucketNanos() {
    return bucketNanos;
  }

  public long origin() {
    return origin;
  }

  public int size() {
    return counts.length();
  }

  /** Events in bucket {@code i}. */
  public long get(int i) {
    return counts.get(i);
  }

  /** A copy of every bucket. */
  public long[] buckets() {
    long[] b = new long[counts.length()];
    for (int i = 0; i < b.length; i++) {
      b[i] = counts.get(i);
    }
    return b;
  }

  /** Events in the buckets that start in {@code [fromNanos, toNanos)} after the origin. */
  public long sum(long fromNanos, long toNanos) {
    long s = 0;
    for (int i = bucketAt(fromNanos); i < counts.length() && (long) i * bucketNanos < toNanos; i++) {
      s += counts.get(i);
    }
    return s;
  }

  /** The largest bucket among those that start in {@code [fromNanos, toNanos)} after the origin. */
  public long max(long fromNanos, long toNanos) {
    long m = 0;
    for (int i = bucketAt(fromNanos); i < counts.length() && (long) i * bucketNanos < toNanos; i++) {
      m = Math.max(m, counts.get(i));
    }
    return m;
  }

  /** Events before the origin or past the last bucket. */
  public long outside() {
    return outside.get(0);
  }

  private int bucketAt(long offsetNanos) {
    return (int) Math.max(0, (offsetNanos + bucketNanos - 1) / bucketNanos);
  }
}
