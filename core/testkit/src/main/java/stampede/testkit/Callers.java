package stampede.testkit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntFunction;
import java.util.function.IntToLongFunction;
import java.util.function.Supplier;

/**
 * The caller race: C threads released together by a start gate, each running one call, with a hang check. What
 * each caller got is collected: its value, or the {@link Throwable} it ended with.
 */
public final class Callers {
  private Callers() { }

  /** {@code callers} threads run {@code call} at once; fails if any is still running after 30 s. */
  public static List<Object> run(int callers, Supplier<?> call) throws InterruptedException {
    return race(callers, i -> 0, i -> call.get(), Duration.ofSeconds(30), callers + " callers");
  }

  /**
   * Runs {@code callers} threads released together by a gate; caller i parks {@code delayNanos(i)} after the gate,
   * then runs {@code call(i)}. Returns each caller's value or the Throwable it ended with, in caller order. Fails
   * (AssertionError naming {@code context}) if a caller is still running after {@code bound}: a hung thread.
   */
  public static List<Object> race(int callers, IntToLongFunction delayNanos, IntFunction<Object> call, Duration bound,
      String context) throws InterruptedException {
    Object[] results = new Object[callers];
    CountDownLatch ready = new CountDownLatch(callers);
    CountDownLatch go = new CountDownLatch(1);
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < callers; i++) {
      int id = i;
      long delay = delayNanos.applyAsLong(i);
      Thread t = new Thread(() -> {
        ready.countDown();
        try {
          go.await();
          if (delay > 0) {
            LockSupport.parkNanos(delay);
          }
          results[id] = call.apply(id);
        } catch (Throwable e) {
          results[id] = e;
        }
      }, "caller-" + i);
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }
    if (!ready.await(30, TimeUnit.SECONDS)) {
      throw new AssertionError(context + ": callers did not start");
    }
    go.countDown();
    long deadline = System.nanoTime() + bound.toNanos();
    List<String> hung = new ArrayList<>();
    for (Thread t : threads) {
      t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
      if (t.isAlive()) {
        hung.add(t.getName());
      }
    }
    if (!hung.isEmpty()) {
      threads.forEach(Thread::interrupt);
      throw new AssertionError(context + ": " + hung.size() + " of " + callers + " callers still running after "
          + bound + " (hung): " + hung);
    }
    return Arrays.asList(results);
  }
}
