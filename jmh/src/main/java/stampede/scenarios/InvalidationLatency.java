package stampede.scenarios;

import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLongArray;
import org.HdrHistogram.Histogram;

/**
 * How long after a write each node first serves the written value, or a newer one: the invalidation latency of a
 * cache shared by nodes. A writer records each write ({@link #written}: when it started, when it was acknowledged);
 * every request records what its node served ({@link #served}). A value's version is the {@link System#nanoTime()}
 * at its end ({@code key@n@nanos}, as the database and the writer make them), so a value "at least as new" as write
 * {@code w} is one whose version is at or after the start of {@code w}: the written value, a later write, or a load
 * that completed after it. For each node and write, the first such request gives one sample: its time minus the
 * write's acknowledgement (0 if the node served it before the writer heard back).
 *
 * <p>The path of a request is one volatile read while the node is up to date; it parses the value only while the
 * node still owes a write. Times are arguments, so tests drive it with made-up ones.
 */
final class InvalidationLatency {
  private final int nodes;
  private final AtomicLongArray startNanos;
  private final AtomicLongArray ackNanos;
  /** Per node: how many writes it has served a value as new as (the next one it owes is this index). */
  private final AtomicIntegerArray caughtUp;
  private final Histogram samples = new Histogram(3);
  private volatile int writes;

  /** For {@code nodes} nodes and at most {@code maxWrites} writes (later writes are not recorded). */
  InvalidationLatency(int nodes, int maxWrites) {
    this.nodes = nodes;
    this.startNanos = new AtomicLongArray(maxWrites);
    this.ackNanos = new AtomicLongArray(maxWrites);
    this.caughtUp = new AtomicIntegerArray(nodes);
  }

  /**
   * A write that started at {@code start} and was acknowledged at {@code ack}; one writer thread calls it. Returns
   * false if it is one more than {@code maxWrites} (not recorded).
   */
  boolean written(long start, long ack) {
    int w = writes;
    if (w == startNanos.length()) {
      return false;
    }
    startNanos.set(w, start);
    ackNanos.set(w, ack);
    writes = w + 1; // publishes the write's times
    return true;
  }

  /** Node {@code node} answered a request with {@code value} at {@code now}. */
  void served(int node, String value, long now) {
    int owed = caughtUp.get(node);
    if (owed >= writes) {
      return;
    }
    long version = version(value);
    if (version == Long.MIN_VALUE) {
      return;
    }
    for (int w = owed; w < writes && version - startNanos.get(w) >= 0; w = caughtUp.get(node)) {
      if (caughtUp.compareAndSet(node, w, w + 1)) {
        long latency = Math.max(0, now - ackNanos.get(w));
        synchronized (samples) {
          samples.recordValue(latency);
        }
      }
    }
  }

  /** The version of a value: the number after its last {@code @}; {@code Long.MIN_VALUE} if it has none. */
  static long version(String value) {
    int at = value == null ? -1 : value.lastIndexOf('@');
    if (at < 0) {
      return Long.MIN_VALUE;
    }
    try {
      return Long.parseLong(value, at + 1, value.length(), 10);
    } catch (NumberFormatException e) {
      return Long.MIN_VALUE;
    }
  }

  /** What was recorded: writes, samples, the (node, write) pairs never served, latency percentiles in ms. */
  Summary summary() {
    int w = writes;
    long owed = 0;
    for (int n = 0; n < nodes; n++) {
      owed += w - Math.min(w, caughtUp.get(n));
    }
    synchronized (samples) {
      long count = samples.getTotalCount();
      return new Summary(w, nodes, count, owed, ms(count, samples.getValueAtPercentile(50)),
          ms(count, samples.getValueAtPercentile(99)), ms(count, samples.getMaxValue()));
    }
  }

  private static double ms(long count, long nanos) {
    return count == 0 ? Double.NaN : nanos / 1e6;
  }

  /**
   * @param writes  writes recorded
   * @param nodes   nodes that should each serve every write
   * @param samples (node, write) pairs served
   * @param never   (node, write) pairs not served by the end: a node that served nothing as new afterwards
   */
  record Summary(int writes, int nodes, long samples, long never, double p50ms, double p99ms, double maxMs) { }
}
