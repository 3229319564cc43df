package stampede.scenarios;

import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import stampede.core.Nullable;

/**
 * What a scenario keeps of the requests of an {@link OpenLoop}: latency from the intended start (the one the tables
 * report) and service time (from the moment a caller thread ran the request: what a closed-loop tool would have
 * reported), both in HdrHistogram {@link Recorder}s (wait-free for the recording threads, 3 significant digits); the
 * calls and errors per time bucket, by completion time, on {@link Timeline}s; the errors by kind
 * ({@link ErrorKinds}).
 *
 * <p>Only requests whose intended start is at or after {@link #measureFrom} are measured; earlier ones are warm-up
 * (the JIT compiles the strategy, the first load fills the cache). Errors are counted either way.
 */
public final class Probe implements OpenLoop.Listener {
  private final Recorder latency = new Recorder(3);
  private final Recorder service = new Recorder(3);
  private final Histogram latencyTotal = new Histogram(3);
  private final Histogram serviceTotal = new Histogram(3);
  private final AtomicLong maxStartLag = new AtomicLong();
  private final LongAdder measured = new LongAdder();
  private final LongAdder measuredErrors = new LongAdder();
  private final LongAdder errors = new LongAdder();
  private final ErrorKinds kinds = new ErrorKinds();
  private final ErrorKinds measuredKinds = new ErrorKinds();
  private final @Nullable Timeline calls;
  private final @Nullable Timeline failed;
  private volatile boolean warmup;
  private volatile long measureFrom;

  /** A probe with time series of calls and errors (either may be null: not kept). */
  public Probe(@Nullable Timeline calls, @Nullable Timeline errors) {
    this.calls = calls;
    this.failed = errors;
  }

  public Probe() {
    this(null, null);
  }

  /** Requests intended to start before {@code nanoTime} are not measured (warm-up). */
  public Probe measureFrom(long nanoTime) {
    this.measureFrom = nanoTime;
    this.warmup = true;
    return this;
  }

  @Override
  public void completed(long index, long intended, long started, long ended, @Nullable Throwable error) {
    if (error != null) {
      errors.increment();
      kinds.record(error);
      if (failed != null) {
        failed.record(ended);
      }
    }
    if (calls != null) {
      calls.record(ended);
    }
    if (!warmup || intended - measureFrom >= 0) {
      long lag = started - intended;
      if (lag > maxStartLag.get()) {
        maxStartLag.accumulateAndGet(lag, Math::max);
      }
      latency.recordValue(Math.max(0, ended - intended));
      service.recordValue(Math.max(0, ended - started));
      measured.increment();
      if (error != null) {
        measuredErrors.increment();
        measuredKinds.record(error);
      }
    }
  }

  /** Latency from the intended start of every measured request so far, in nanoseconds. */
  public synchronized Histogram latency() {
    latencyTotal.add(latency.getIntervalHistogram());
    return latencyTotal.copy();
  }

  /** Service time (from the actual start) of every measured request so far, in nanoseconds. */
  public synchronized Histogram serviceTime() {
    serviceTotal.add(service.getIntervalHistogram());
    return serviceTotal.copy();
  }

  /** The latest a measured request started after its intended start, in nanoseconds. */
  public long maxStartLag() {
    return maxStartLag.get();
  }

  /** Measured requests completed so far. */
  public long measured() {
    return measured.sum();
  }

  /** Errors among the measured requests. */
  public long measuredErrors() {
    return measuredErrors.sum();
  }

  /** Errors among all requests, warm-up included. */
  public long errors() {
    return errors.sum();
  }

  /** The errors among all requests by kind ({@link ErrorKinds}), warm-up included: {@link #errors()} of them. */
  public Map<String, Long> errorKinds() {
    return kinds.counts();
  }

  /** The errors among the measured requests by kind: {@link #measuredErrors()} of them. */
  public Map<String, Long> measuredErrorKinds() {
    return measuredKinds.counts();
  }

  public Timeline calls() {
    return Objects.requireNonNull(calls, "no calls timeline");
  }

  public Timeline failed() {
    return Objects.requireNonNull(failed, "no errors timeline");
  }

  /** Milliseconds at {@code percentile} (0-100) of a nanosecond histogram; NaN if empty. */
  public static double millis(Histogram h, double percentile) {
    return h.getTotalCount() == 0 ? Double.NaN : h.getValueAtPercentile(percentile) / 1e6;
  }

  /** The largest value of a nanosecond histogram, in milliseconds; NaN if empty. */
  public static double maxMillis(Histogram h) {
    return h.getTotalCount() == 0 ? Double.NaN : h.getMaxValue() / 1e6;
  }
}
