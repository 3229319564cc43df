package stampede.strategies;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/** Runs tasks on threads of their own and waits for them: the body of a {@code Lincheck.runConcurrentTest}. */
final class Concurrently {
  private Concurrently() { }

  /** Starts one thread per task, joins them all, and rethrows the first failure of any. */
  static void run(Runnable... tasks) {
    AtomicReference<Throwable> failure = new AtomicReference<>();
    List<Thread> threads = new ArrayList<>();
    for (Runnable task : tasks) {
      threads.add(new Thread(() -> {
        try {
          task.run();
        } catch (Throwable t) {
          failure.compareAndSet(null, t);
        }
      }));
    }
    threads.forEach(Thread::start);
    for (Thread t : threads) {
      try {
        t.join();
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
    }
    if (failure.get() != null) {
      throw new AssertionError("a thread failed: " + failure.get(), failure.get());
    }
  }

  /** Fails with {@code message} unless {@code ok}. */
  static void check(boolean ok, String message) {
    if (!ok) {
      throw new AssertionError(message);
    }
  }
}
