package stampede.properties;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import stampede.core.Metrics;
import stampede.core.StoreFill;
import stampede.core.Ticker;
import stampede.core.Ttl;
import stampede.strategies.CacheAside;
import stampede.strategies.DistributedLock;
import stampede.testkit.StoreFixture;
import stampede.testkit.StoreKind;

/**
 * What only the properties need, on top of the test kit ({@code stampede.testkit}: CountingLoader, Callers, the
 * store fixtures): the broken switch, a tracking executor, waiting for a condition, assertions.
 */
final class Harness {
  private Harness() { }

  /** True when the suite runs against CacheAside without its SingleFlight (-Dstampede.broken=true). */
  static boolean broken() {
    return Boolean.getBoolean("stampede.broken");
  }

  /** {@code n} nodes of one store kind on the same data: the first fixture and {@code n - 1} of its nodes. */
  static List<StoreFixture<String>> openNodes(StoreKind kind, Ticker ticker, int n) {
    List<StoreFixture<String>> fixtures = new ArrayList<>();
    fixtures.add(kind.open(ticker));
    for (int i = 1; i < n; i++) {
      fixtures.add(fixtures.get(0).node());
    }
    return fixtures;
  }

  /** Closes the nodes, last opened first. */
  static void closeAll(List<StoreFixture<String>> fixtures) {
    for (int i = fixtures.size() - 1; i >= 0; i--) {
      fixtures.get(i).close();
    }
  }

  /**
   * One node's read path through a distributed lock: CacheAside over DistributedLock(StoreFill, fallback FAIL), values
   * fresh for {@link Coalescing#TTL}, owner tokens from {@code tokens}, lease renewals on {@code watchdog}.
   */
  static CacheAside<String, String> lockedReadPath(StoreFixture<String> node, Random tokens,
      ScheduledExecutorService watchdog, Metrics metrics, Duration lease, Duration maxWait) {
    DistributedLock<String, String> lock = DistributedLock.builder(node.store, node.locks,
        new StoreFill<>(node.store, metrics, Ttl.fixed(Coalescing.TTL))).metrics(metrics).tokens(tokens)
        .watchdog(watchdog).lease(lease).maxWait(maxWait).fallback(DistributedLock.Fallback.FAIL).build();
    return CacheAside.builder(node.store, lock).metrics(metrics).build();
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
      return await(() -> pending.get() == 0, timeout);
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
  static boolean await(BooleanSupplier condition, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline >= 0) {
        return false;
      }
      Thread.sleep(1);
    }
    return true;
  }

  /** Fails with {@code message} unless {@code ok}. */
  static void check(boolean ok, String message) {
    if (!ok) {
      throw new AssertionError(message);
    }
  }

  /** True if {@code cause} is {@code t} or in its cause chain. */
  static boolean causedBy(Throwable t, Throwable cause) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c == cause) {
        return true;
      }
    }
    return false;
  }
}
