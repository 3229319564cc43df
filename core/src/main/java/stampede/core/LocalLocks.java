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
  private final AtomicLong fence = new AtomicLong(); // one counter: increasing for all names, so for each name
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
      token[0] = fence.incrementAndGet();
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
    return Watchers.watch(watchers, name);
  }

  @Override
  public void signal(String name) {
    Watchers.signal(watchers, name);
  }

  /** How many names have a watcher now (for tests: closed watches leave nothing behind). */
  int watchedNames() {
    return watchers.size();
  }

  /** The current holder of {@code name}, or null (for tests and diagnostics). */
  public String holder(String name) {
    Lease l = leases.get(name);
    return l != null && l.expiresAt > ticker.read() ? l.owner : null;
  }
}
