package stampede.scenarios;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import stampede.core.Nullable;

/**
 * An open-loop load generator: requests arrive on a fixed schedule whatever happens to the earlier ones, as users of
 * a service do. Request {@code i} is meant to start at {@code origin + i / rate} (its <em>intended start</em>); the
 * generator thread sleeps until a request is due, then hands every due request to a caller thread without waiting
 * for it, so a request blocked on a load never delays the next arrival. A closed loop (JMH's threads, most load
 * tools) sends a thread's next request only when its previous one returns, so a stalled service receives fewer
 * requests exactly when it is slow and the stampede is capped by the thread count.
 *
 * <p>Latency is measured from the intended start to completion, never from the moment a caller thread happened to
 * run the request: time a request spent waiting for the generator or for a free caller thread is latency the user
 * would have seen. Measuring from the actual start hides it (Gil Tene's "coordinated omission": "How NOT to Measure
 * Latency", Strange Loop 2015, and HdrHistogram's {@code recordValueWithExpectedInterval}); wrk2 (Gil Tene's fork of
 * wrk) schedules its requests at a constant throughput and corrects latency the same way.
 *
 * <p>The generator also reports on itself: the achieved dispatch rate against the target and its largest lag behind
 * the schedule. A run whose achieved rate is below {@value #BEHIND_FRACTION} of the target is flagged
 * {@link Result#behind()}: the machine could not generate the load, and the tables say so.
 *
 * <p>A burst (many requests due at the same instant) cannot be handed over at that instant by one thread: each
 * hand-over wakes a thread, and on 2 cores 10,000 of them take a few hundred milliseconds. So a run may hand requests
 * over ahead of time ({@code lead}): the caller thread then sleeps until the intended start itself, and the kernel's
 * timers wake the callers in parallel instead of one generator thread waking them in turn. Latency is still
 * measured from the intended start, so a caller that wakes late counts its lateness.
 *
 * <p>The clock is injected ({@link Clock}), so tests drive the schedule by hand; requests go to any {@link Executor}
 * (a {@link CallerPool} in runs). A {@link Listener} receives every completion with its three times; a
 * {@link Probe} turns them into percentiles and time series.
 *
 * <p>Run it through a scenario: {@code mvn -B -ntp -P bench -pl jmh -am verify -DskipTests -Dbench.skipJmh=true}
 * (see {@link ScenarioRunner}).
 */
public final class OpenLoop {
  /** A run whose achieved rate is below this fraction of its target is flagged as behind its schedule. */
  public static final double BEHIND_FRACTION = 0.95;

  /** Time, and the generator's sleep. */
  public interface Clock {
    long nanoTime();

    /** Returns once {@link #nanoTime()} is at least {@code deadline} (or a little later); never spins. */
    void sleepUntil(long deadline);

    /** {@link System#nanoTime()}, and {@link LockSupport#parkNanos} to sleep. */
    static Clock system() {
      return new Clock() {
        @Override
        public long nanoTime() {
          return System.nanoTime();
        }

        @Override
        public void sleepUntil(long deadline) {
          for (long left = deadline - System.nanoTime(); left > 0; left = deadline - System.nanoTime()) {
            LockSupport.parkNanos(left);
          }
        }
      };
    }
  }

  /** One request; it runs on a caller thread. Throwing is an error the caller saw. */
  @FunctionalInterface
  public interface Call {
    void call(long index) throws Exception;
  }

  /** Receives every request once it completed, on the caller thread that ran it. */
  @FunctionalInterface
  public interface Listener {
    /**
     * Request {@code index} completed.
     *
     * @param intended when the request was meant to start (its place in the schedule)
     * @param started  when a caller thread started it
     * @param ended    when it returned or threw
     * @param error    what it threw, or null
     */
    void completed(long index, long intended, long started, long ended, @Nullable Throwable error);
  }

  /**
   * Arrival times: {@code count} requests, request {@code i} intended at {@code i * intervalNanos} after the origin.
   * An interval of 0 is a burst: every request is due at the origin.
   */
  public record Schedule(long count, double intervalNanos) {
    public Schedule {
      if (count < 0 || intervalNanos < 0 || Double.isNaN(intervalNanos)) {
        throw new IllegalArgumentException("count " + count + ", interval " + intervalNanos);
      }
    }

    /** {@code perSecond} requests a second for {@code duration}. */
    public static Schedule rate(double perSecond, Duration duration) {
      if (!(perSecond > 0)) {
        throw new IllegalArgumentException("rate must be positive: " + perSecond);
      }
      return new Schedule(Math.round(perSecond * duration.toNanos() / 1e9), 1e9 / perSecond);
    }

    /** {@code count} requests all due at once. */
    public static Schedule burst(long count) {
      return new Schedule(count, 0);
    }

    /** Nanoseconds from the origin to the intended start of request {@code i}. */
    public long offset(long i) {
      return (long) (i * intervalNanos);
    }

    /** The target rate per second (infinite for a burst). */
    public double perSecond() {
      return intervalNanos == 0 ? Double.POSITIVE_INFINITY : 1e9 / intervalNanos;
    }
  }

  /**
   * What the generator did.
   *
   * @param dispatched    requests handed to a caller thread
   * @param completed     requests that completed before the drain timeout
   * @param origin        the schedule's origin ({@link Clock#nanoTime()})
   * @param lastDispatch  when the last request was handed over
   * @param maxLagNanos   the largest delay of a hand-over behind its planned time (the intended start, or that
   *                      minus the lead)
   * @param targetPerSecond  the schedule's rate
   */
  public record Result(long dispatched, long completed, long origin, long lastDispatch, long maxLagNanos,
      double targetPerSecond) {

    /**
     * Requests per second the generator actually handed over: the count over the time it took, one interval
     * included (so a run on schedule shows the target). Infinite for a burst.
     */
    public double achievedPerSecond() {
      if (Double.isInfinite(targetPerSecond)) {
        return Double.POSITIVE_INFINITY;
      }
      double seconds = (lastDispatch - origin) / 1e9 + 1 / targetPerSecond;
      return dispatched / seconds;
    }

    /** True if the achieved rate is below {@value #BEHIND_FRACTION} of the target. */
    public boolean behind() {
      return !Double.isInfinite(targetPerSecond) && achievedPerSecond() < BEHIND_FRACTION * targetPerSecond;
    }

    /** True if some request had not completed by the end of the drain. */
    public boolean incomplete() {
      return completed < dispatched;
    }
  }

  private final Clock clock;
  private final Executor callers;

  public OpenLoop(Clock clock, Executor callers) {
    this.clock = Objects.requireNonNull(clock, "clock");
    this.callers = Objects.requireNonNull(callers, "callers");
  }

  /**
   * Runs {@code schedule} from {@code origin} (a {@link Clock#nanoTime()} reading, usually now): sleeps until each
   * request is due, hands every due request to a caller thread, and after the last one waits up to {@code drain} for
   * the requests still running. The generator runs on the calling thread.
   */
  public Result run(Schedule schedule, long origin, Call call, Listener listener, Duration drain) {
    return run(schedule, origin, Duration.ZERO, call, listener, drain);
  }

  /**
   * As {@link #run(Schedule, long, Call, Listener, Duration)}, handing each request over {@code lead} before its
   * intended start; its caller sleeps until the intended start (see above: bursts).
   */
  public Result run(Schedule schedule, long origin, Duration lead, Call call, Listener listener, Duration drain) {
    Objects.requireNonNull(call, "call");
    Objects.requireNonNull(listener, "listener");
    long leadNanos = lead.toNanos();
    AtomicLong completed = new AtomicLong();
    long maxLag = 0;
    long lastDispatch = origin;
    long i = 0;
    long count = schedule.count();
    while (i < count) {
      long due = origin + schedule.offset(i) - leadNanos;
      long now = clock.nanoTime();
      if (now - due < 0) {
        clock.sleepUntil(due);
        now = clock.nanoTime();
      }
      maxLag = Math.max(maxLag, now - due); // a request already due goes at once, without sleeping
      long index = i;
      long intended = origin + schedule.offset(index);
      callers.execute(() -> {
        if (leadNanos > 0) {
          clock.sleepUntil(intended);
        }
        long started = clock.nanoTime();
        Throwable error = null;
        try {
          call.call(index);
        } catch (Throwable t) {
          error = t;
        }
        long ended = clock.nanoTime();
        try {
          listener.completed(index, intended, started, ended, error);
        } finally {
          completed.incrementAndGet();
        }
      });
      lastDispatch = now + leadNanos;
      i++;
    }
    long deadline = clock.nanoTime() + drain.toNanos();
    while (completed.get() < count && clock.nanoTime() - deadline < 0) {
      clock.sleepUntil(Math.min(deadline, clock.nanoTime() + 1_000_000));
    }
    return new Result(count, completed.get(), origin, lastDispatch, maxLag, schedule.perSecond());
  }

  /*
   * How to run it: it has no main of its own. Every scenario runs through it; a few seconds of each:
   *
   *   mvn -B -ntp -P bench -pl jmh -am verify -DskipTests -Dbench.profile=smoke -Dbench.skipJmh=true
   *
   * Its mechanics are tested with a hand-driven clock and executor in OpenLoopTest.
   */
}
