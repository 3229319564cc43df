package stampede.testkit;

import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import stampede.core.Locks;
import stampede.core.Nullable;
import stampede.core.Ticker;
import stampede.redis.Watchers;

/**
 * {@link Locks} in one process, a test double: leases expire on the injected {@link Ticker}, so a test can "crash" a
 * holder (never release) and move time past the lease. Signals wake local watchers only.
 */
public final class LocalLocks<K> implements Locks<K> {
  private record Lease(String owner, long expiresAt) { }

  private final Ticker ticker;
  private final ConcurrentHashMap<K, Lease> leases = new ConcurrentHashMap<>();
  private final AtomicLong fence = new AtomicLong(); // one counter: increasing for all keys, so for each key
  private final ConcurrentHashMap<K, Set<CountDownLatch>> watchers = new ConcurrentHashMap<>();

  public LocalLocks(Ticker ticker) {
    this.ticker = Objects.requireNonNull(ticker, "ticker");
  }

  @Override
  public long tryAcquire(K key, String owner, long leaseMillis) {
    Objects.requireNonNull(owner, "owner");
    long now = ticker.read();
    long[] token = {0};
    leases.compute(Objects.requireNonNull(key, "key"), (k, cur) -> {
      if (cur != null && cur.expiresAt > now) {
        return cur;
      }
      token[0] = fence.incrementAndGet();
      return new Lease(owner, now + TimeUnit.MILLISECONDS.toNanos(leaseMillis));
    });
    return token[0];
  }

  @Override
  public boolean renew(K key, String owner, long leaseMillis) {
    long now = ticker.read();
    boolean[] done = {false};
    leases.computeIfPresent(key, (k, cur) -> {
      if (cur.owner.equals(owner) && cur.expiresAt > now) {
        done[0] = true;
        return new Lease(owner, now + TimeUnit.MILLISECONDS.toNanos(leaseMillis));
      }
      return cur;
    });
    return done[0];
  }

  @Override
  public boolean release(K key, String owner) {
    long now = ticker.read();
    boolean[] done = {false};
    leases.computeIfPresent(key, (k, cur) -> {
      if (cur.owner.equals(owner) && cur.expiresAt > now) {
        done[0] = true;
        return null;
      }
      return cur;
    });
    return done[0];
  }

  @Override
  public Watch watch(K key) {
    return Watchers.watch(watchers, Objects.requireNonNull(key, "key"));
  }

  @Override
  public void signal(K key) {
    Watchers.signal(watchers, key);
  }

  /** How many keys have a watcher now (for tests: closed watches leave nothing behind). */
  public int watchedNames() {
    return watchers.size();
  }

  /** The current holder of {@code key}'s lease, or null (for tests and diagnostics). */
  public @Nullable String holder(K key) {
    Lease l = leases.get(key);
    return l != null && l.expiresAt > ticker.read() ? l.owner : null;
  }
}
