package stampede.properties;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntFunction;
import java.util.function.Supplier;
import stampede.core.Loader;
import stampede.core.Ticker;

/** Shared test machinery: a counting loader, a start-gated caller race with a hang check, a tracking executor. */
final class Harness {
  private Harness() { }

  /** True when the suite should run against the deliberately broken single flight (-Dstampede.broken=true). */
  static boolean broken() {
    return Boolean.getBoolean("stampede.broken");
  }

  /**
   * A loader that counts its runs (in total and per key), tracks how many run at once, sleeps a given time (a
   * slow database) and may fail. Values are {@code key#n@t}: the n-th load overall, started at ticker time t.
   */
  static final class CountingLoader implements Loader<String, String> {
    final AtomicInteger loads = new AtomicInteger();
    final AtomicInteger running = new AtomicInteger();
    final AtomicInteger maxRunning = new AtomicInteger();
    final Map<String, AtomicInteger> perKey = new ConcurrentHashMap<>();
    final Map<String, AtomicInteger> runningPerKey = new ConcurrentHashMap<>();
    final AtomicInteger maxRunningPerKey = new AtomicInteger();
    private final Ticker ticker;
    volatile long sleepMillis;
    volatile Supplier<Exception> failure; // null: succeed

    CountingLoader(Ticker ticker, long sleepMillis) {
      this.ticker = ticker;
      this.sleepMillis = sleepMillis;
    }

    @Override
    public String load(String key) throws Exception {
      int n = loads.incrementAndGet();
      long t = ticker.read();
      perKey.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
      maxRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
      AtomicInteger rk = runningPerKey.computeIfAbsent(key, k -> new AtomicInteger());
      maxRunningPerKey.accumulateAndGet(rk.incrementAndGet(), Math::max);
      try {
        if (sleepMillis > 0) {
          Thread.sleep(sleepMillis);
        }
        Supplier<Exception> f = failure;
        if (f != null) {
          throw f.get();
        }
        return key + "#" + n + "@" + t;
      } finally {
        rk.decrementAndGet();
        running.decrementAndGet();
      }
    }

    int loadsOf(String key) {
      AtomicInteger c = perKey.get(key);
      return c == null ? 0 : c.get();
    }
  }

  /** The ticker time a {@link CountingLoader} value was loaded at. */
  static long loadedAt(String value) {
    return Long.parseLong(value.substring(value.lastIndexOf('@') + 1));
  }

  /**
   * Runs {@code callers} threads released together by a gate; caller i parks {@code delayNanos(i)} after the
   * gate, then runs {@code call(i)}. Returns each caller's value or the Throwable it ended with. Fails if a
   * caller is still running after {@code bound} (a hung thread), naming {@code context}.
   */
  static List<Object> race(int callers, IntFunction<Long> delayNanos, IntFunction<Object> call, Duration bound,
      String context) throws InterruptedException {
    Object[] results = new Object[callers];
    CountDownLatch ready = new CountDownLatch(callers);
    CountDownLatch go = new CountDownLatch(1);
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < callers; i++) {
      int id = i;
      long delay = delayNanos.apply(i);
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
    if (!ready.await(10, TimeUnit.SECONDS)) {
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
    List<Object> list = new ArrayList<>();
    for (Object r : results) {
      list.add(r);
    }
    return list;
  }

  /** An executor on a small pool that knows how many of its tasks are queued or running. */
  static final class TrackingExecutor implements Executor, AutoCloseable {
    private final ExecutorService pool = Executors.newFixedThreadPool(2);
    private final AtomicInteger pending = new AtomicInteger();

    @Override
    public void execute(Runnable task) {
      pending.incrementAndGet();
      try {
        pool.execute(() -> {
          try {
            task.run();
          } finally {
            pending.decrementAndGet();
          }
        });
      } catch (RuntimeException e) {
        pending.decrementAndGet();
        throw e;
      }
    }

    /** Waits (sleeping, not spinning) until no task is queued or running; false on timeout. */
    boolean awaitIdle(Duration timeout) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (pending.get() > 0) {
        if (System.nanoTime() - deadline >= 0) {
          return false;
        }
        Thread.sleep(1);
      }
      return true;
    }

    @Override
    public void close() {
      pool.shutdownNow();
      try {
        if (!pool.awaitTermination(5, TimeUnit.SECONDS)) {
          throw new AssertionError("background executor did not stop");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Waits (sleeping) until {@code condition} holds; false on timeout. */
  static boolean await(Supplier<Boolean> condition, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.get()) {
      if (System.nanoTime() - deadline >= 0) {
        return false;
      }
      Thread.sleep(1);
    }
    return true;
  }
}
