package stampede.properties;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import stampede.core.CacheStore;
import stampede.core.Entry;
import stampede.core.InterruptedLoadException;
import stampede.core.Locks;
import stampede.core.Ticker;

/**
 * A fixture's store and leases with deterministic interruption points, for {@link InterruptProperties}.
 *
 * <ul>
 *   <li>A caller {@linkplain #arm armed} with {@code n} blocks in its {@code n}-th entry command (get, put,
 *       invalidate, tryAcquire, watch) until it is interrupted, as a command to a slow store does. Then, on the
 *       in-process store, the command throws what a store's client throws for an interrupt
 *       ({@link InterruptedLoadException}, {@link CacheStore#get}); on Redis the interrupt status is set again and the
 *       real command runs, so the Lettuce client meets it.</li>
 *   <li>On the in-process store, any command started with the interrupt status set throws the same, as a network
 *       client's command does (Lettuce's fails with {@code RedisCommandInterruptedException}): the in-process run then
 *       asks of the strategies what Redis asks, in particular that clean-up (release, signal) runs with the status
 *       cleared.</li>
 *   <li>It knows which threads are blocked in a command, inside one, or waiting on a lease's signal, and how many
 *       watches are open.</li>
 * </ul>
 */
final class Interrupting implements EveryStrategy.Shared {
  private final CacheStore<String, String> store;
  private final Locks<String> locks;
  private final boolean inProcess;
  private final Map<Thread, Integer> armed = new ConcurrentHashMap<>();
  private final Map<Thread, Integer> commands = new ConcurrentHashMap<>();
  private final Set<Thread> blocked = ConcurrentHashMap.newKeySet();
  private final Set<Thread> inCommand = ConcurrentHashMap.newKeySet();
  private final Set<Thread> awaitingSignal = ConcurrentHashMap.newKeySet();
  private final AtomicInteger openWatches = new AtomicInteger();

  Interrupting(CacheStore<String, String> store, Locks<String> locks, boolean inProcess) {
    this.store = store;
    this.locks = locks;
    this.inProcess = inProcess;
  }

  /** {@code caller} blocks in its {@code n}-th entry command (from 0) until interrupted. */
  void arm(Thread caller, int n) {
    armed.put(caller, n);
  }

  /** {@code caller} no longer blocks in a command. */
  void disarm(Thread caller) {
    armed.remove(caller);
  }

  boolean blockedInCommand(Thread t) {
    return blocked.contains(t);
  }

  boolean inCommand(Thread t) {
    return inCommand.contains(t);
  }

  boolean awaitingSignal(Thread t) {
    return awaitingSignal.contains(t);
  }

  int openWatches() {
    return openWatches.get();
  }

  private <T> T command(String key, boolean entry, Supplier<T> call) {
    Thread me = Thread.currentThread();
    inCommand.add(me);
    try {
      if (entry) {
        int n = commands.merge(me, 1, Integer::sum) - 1;
        Integer at = armed.get(me);
        if (at != null && at == n) {
          blockUntilInterrupted(key);
        }
      }
      if (inProcess && me.isInterrupted()) {
        throw InterruptedLoadException.of(key, "while waiting for the store", new InterruptedException());
      }
      return call.get();
    } finally {
      inCommand.remove(me);
    }
  }

  private void blockUntilInterrupted(String key) {
    Thread me = Thread.currentThread();
    blocked.add(me);
    try {
      if (!new CountDownLatch(1).await(InterruptProperties.SETTLE.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new AssertionError("a caller blocked in a store command was never interrupted");
      }
    } catch (InterruptedException e) {
      if (inProcess) {
        throw InterruptedLoadException.of(key, "while waiting for the store", e);
      }
      me.interrupt(); // Redis: the real command meets the interrupt
    } finally {
      blocked.remove(me);
    }
  }

  @Override
  public Entry<String> get(String key) {
    return command(key, true, () -> store.get(key));
  }

  @Override
  public Entry<String> get(String key, long now) {
    return command(key, true, () -> store.get(key, now));
  }

  @Override
  public boolean put(String key, Entry<String> entry) {
    return command(key, true, () -> store.put(key, entry));
  }

  @Override
  public void invalidate(String key) {
    command(key, true, () -> {
      store.invalidate(key);
      return null;
    });
  }

  @Override
  public Ticker ticker() {
    return store.ticker();
  }

  @Override
  public long tryAcquire(String key, String owner, long leaseMillis) {
    return command(key, true, () -> locks.tryAcquire(key, owner, leaseMillis));
  }

  @Override
  public boolean renew(String key, String owner, long leaseMillis) {
    return command(key, false, () -> locks.renew(key, owner, leaseMillis));
  }

  @Override
  public boolean release(String key, String owner) {
    return command(key, false, () -> locks.release(key, owner));
  }

  @Override
  public void signal(String key) {
    command(key, false, () -> {
      locks.signal(key);
      return null;
    });
  }

  @Override
  public Watch watch(String key) {
    Watch watch = command(key, true, () -> locks.watch(key));
    openWatches.incrementAndGet();
    return new Watch() {
      private boolean closed;

      @Override
      public boolean await(long timeout, TimeUnit unit) throws InterruptedException {
        Thread me = Thread.currentThread();
        awaitingSignal.add(me);
        try {
          return watch.await(timeout, unit);
        } finally {
          awaitingSignal.remove(me);
        }
      }

      @Override
      public void close() {
        if (!closed) {
          closed = true;
          openWatches.decrementAndGet();
        }
        watch.close();
      }
    };
  }
}
