package stampede.core;

import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@link Locks} in one process: leases expire on the injected {@link Ticker}, so a test can "crash" a
 * holder (never release) and move time past the lease. Signals wake local watchers only.
 */
public final class LocalLocks implements Locks {
  private record Lease(String owner, long expiresAt) { }

  private final Ticker ticker;
  private final ConcurrentHashMap<String, Lease> leases = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, AtomicLong> fences = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Set<CountDownLatch>> watchers = new ConcurrentHashMap<>();

  public LocalLocks(Ticker ticker) {
    this.ticker = Objects.requireNonNull(ticker, "ticker");
  }

  @Override
  public long tryAcquire(String name, String owner, long leaseMillis) {
    Objects.requireNonNull(owner, "owner");
    long now = ticker.read();
    long[] token = {0};
    leases.compute(name, (k, cur) -> {
      if (cur != null && cur.expiresAt > now) {
        return cur;
      }
      token[0] = fences.computeIfAbsent(k, x -> new AtomicLong()).incrementAndGet();
      return new Lease(owner, now + TimeUnit.MILLISECONDS.toNanos(leaseMillis));
    });
    return token[0];
  }

  @Override
  public boolean renew(String name, String owner, long leaseMillis) {
    long now = ticker.read();
    boolean[] done = {false};
    leases.computeIfPresent(name, (k, cur) -> {
      if (cur.owner.equals(owner) && cur.expiresAt > now) {
        done[0] = true;
        return new Lease(owner, now + TimeUnit.MILLISECONDS.toNanos(leaseMillis));
      }
      return cur;
    });
    return done[0];
  }

  @Override
  public boolean release(String name, String owner) {
    long now = ticker.read();
    boolean[] done = {false};
    leases.computeIfPresent(name, (k, cur) -> {
      if (cur.owner.equals(owner) && cur.expiresAt > now) {
        done[0] = true;
        return null;
      }
      return cur;
    });
    return done[0];
  }

  @Override
  public Watch watch(String name) {
    CountDownLatch latch = new CountDownLatch(1);
    Set<CountDownLatch> set = watchers.computeIfAbsent(name, k -> ConcurrentHashMap.newKeySet());
    set.add(latch);
    return new Watch() {
      @Override
      public boolean await(long timeout, TimeUnit unit) throws InterruptedException {
        return latch.await(timeout, unit);
      }

      @Override
      public void close() {
        set.remove(latch);
      }
    };
  }

  @Override
  public void signal(String name) {
    Set<CountDownLatch> set = watchers.get(name);
    if (set != null) {
      set.forEach(CountDownLatch::countDown);
    }
  }

  /** The current holder of {@code name}, or null (for tests and diagnostics). */
  public String holder(String name) {
    Lease l = leases.get(name);
    return l != null && l.expiresAt > ticker.read() ? l.owner : null;
  }
}
