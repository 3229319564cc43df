package stampede.redis;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import stampede.core.Locks;

/**
 * {@link Locks#watch}/{@link Locks#signal} within one process: a latch per watcher, registered under its name. A
 * name's set is added and removed atomically with its last watcher, so the map holds only names being watched now.
 * The test kit's in-process locks use it; {@link RedisLocks} keeps the same latches per channel in
 * {@link RedisSignals}, with the channel's subscription.
 */
public final class Watchers {
  private Watchers() { }

  /** Registers a watcher of {@code name}; closing the watch removes it (and the name, with its last watcher). */
  public static <N> Locks.Watch watch(ConcurrentHashMap<N, Set<CountDownLatch>> watchers, N name) {
    CountDownLatch latch = new CountDownLatch(1);
    watchers.compute(name, (k, set) -> {
      Set<CountDownLatch> s = set != null ? set : ConcurrentHashMap.newKeySet();
      s.add(latch);
      return s;
    });
    return new Locks.Watch() {
      @Override
      public boolean await(long timeout, TimeUnit unit) throws InterruptedException {
        return latch.await(timeout, unit);
      }

      @Override
      public void close() {
        watchers.computeIfPresent(name, (k, set) -> {
          set.remove(latch);
          return set.isEmpty() ? null : set;
        });
      }
    };
  }

  /** Wakes the watchers registered when the signal arrives (a snapshot: a later watcher waits for the next). */
  public static <N> void signal(ConcurrentHashMap<N, Set<CountDownLatch>> watchers, N name) {
    Set<CountDownLatch> set = watchers.get(name);
    if (set != null) {
      List.copyOf(set).forEach(CountDownLatch::countDown);
    }
  }
}
