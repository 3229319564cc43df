package stampede.strategies;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntSupplier;
import org.junit.jupiter.api.Test;
import stampede.core.Event;
import stampede.core.Metrics;
import stampede.testkit.ManualTicker;

/**
 * Issue 18, item 4: the per-key tables of {@link Monitoring} and {@link HotKeyProtection} hold their bound under
 * concurrency. They evicted with "try the lock or skip", so concurrent callers added keys and nobody evicted: with
 * {@code maxTrackedKeys} 10,000 and 2 threads of distinct keys, Monitoring peaked at 1,297,375 keys and
 * HotKeyProtection at 943,895. The bound is {@code maxTrackedKeys} plus one key per caller in flight; here 4 threads
 * each bring 500,000 distinct keys, and the count is sampled by a thread of its own and by each caller after each of
 * its calls. The count is reserved before a key is added, so it is never below the map's size.
 */
class TrackedKeysBoundTest {
  private static final int MAX = 10_000;
  private static final int THREADS = 4;
  private static final int KEYS_EACH = 500_000;
  private final ManualTicker ticker = new ManualTicker();

  /** A caller's call with one of its distinct keys. */
  private interface Call {
    void call(Integer key);
  }

  @Test
  void monitoringHoldsItsBoundUnderConcurrentCallersOfDistinctKeys() throws Exception {
    Monitoring monitoring = Monitoring.builder(Metrics.none()).ticker(ticker).maxTrackedKeys(MAX).build();
    int peak = peakSize(monitoring::trackedKeys, key -> monitoring.record(Event.MISS, key));
    assertTrue(peak <= MAX + THREADS, "peak " + peak + " tracked keys, bound " + MAX + " + " + THREADS + " callers");
    assertTrue(monitoring.trackedKeys() <= MAX, "after the callers: " + monitoring.trackedKeys());
  }

  @Test
  void hotKeyProtectionHoldsItsBoundUnderConcurrentCallersOfDistinctKeys() throws Exception {
    HotKeyProtection<Integer, String> hot = HotKeyProtection.<Integer, String>builder(Duration.ofMinutes(1))
        .ticker(ticker).maxTrackedKeys(MAX).build();
    int peak = peakSize(hot::trackedKeys, key -> hot.decide(key, null, ticker.read()));
    assertTrue(peak <= MAX + THREADS, "peak " + peak + " tracked keys, bound " + MAX + " + " + THREADS + " callers");
    assertTrue(hot.trackedKeys() <= MAX, "after the callers: " + hot.trackedKeys());
    assertEquals(hot.trackedKeys(), hot.hottest(2 * MAX).size(), "the count is the map's size once callers are done");
  }

  /** Runs {@link #THREADS} callers of distinct keys at once; returns the largest size seen while they ran. */
  private static int peakSize(IntSupplier size, Call call) throws Exception {
    AtomicInteger peak = new AtomicInteger();
    AtomicBoolean done = new AtomicBoolean();
    Thread sampler = new Thread(() -> {
      while (!done.get()) {
        peak.accumulateAndGet(size.getAsInt(), Math::max);
        LockSupport.parkNanos(10_000); // leaves the cores to the callers, which also look after every call
      }
    });
    CyclicBarrier start = new CyclicBarrier(THREADS);
    List<Thread> callers = new ArrayList<>();
    AtomicInteger failures = new AtomicInteger();
    for (int t = 0; t < THREADS; t++) {
      int first = t * KEYS_EACH;
      Thread caller = new Thread(() -> {
        try {
          start.await();
          for (int i = 0; i < KEYS_EACH; i++) {
            call.call(first + i);
            peak.accumulateAndGet(size.getAsInt(), Math::max);
          }
        } catch (Exception | Error e) {
          failures.incrementAndGet();
          throw new IllegalStateException(e);
        }
      });
      callers.add(caller);
    }
    sampler.start();
    callers.forEach(Thread::start);
    for (Thread caller : callers) {
      caller.join(300_000);
      assertFalse(caller.isAlive(), "a caller still running after 5 minutes");
    }
    done.set(true);
    sampler.join(10_000);
    assertEquals(0, failures.get(), "callers that failed");
    return peak.get();
  }
}
