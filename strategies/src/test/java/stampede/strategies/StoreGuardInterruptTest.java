package stampede.strategies;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import stampede.core.CacheStore;
import stampede.core.Counters;
import stampede.core.Entry;
import stampede.core.Event;
import stampede.core.InterruptedLoadException;
import stampede.core.Loader;
import stampede.core.Locks;
import stampede.core.StoreException;
import stampede.core.Ticker;
import stampede.testkit.ManualTicker;
import stampede.testkit.StoreFixture;
import stampede.testkit.StoreKind;

/**
 * Issue 18, the guard's side of interrupts: a caller's interrupt is its own cancellation, not a store outage. A store
 * and leases that, as Redis through Lettuce's sync API, refuse every command of an interrupted thread: the old
 * RedisStore reported it as a {@link StoreException} (an {@link InterruptedException} as its cause), the fixed one as
 * an {@link InterruptedLoadException}; the guard must open on neither.
 */
class StoreGuardInterruptTest {
  private final ManualTicker ticker = new ManualTicker();
  private final Counters counters = new Counters();
  private final StoreFixture<String> f = StoreKind.CAFFEINE.open(ticker);
  private final Refusing refusing = new Refusing(f.store, f.locks);

  @AfterEach
  void close() {
    Thread.interrupted();
    f.close();
  }

  /** Every command of an interrupted thread fails, as the caller's interrupt (either way a store may say it). */
  static final class Refusing implements CacheStore<String, String>, Locks<String> {
    final AtomicInteger calls = new AtomicInteger();
    volatile boolean asLoadException;
    private final CacheStore<String, String> store;
    private final Locks<String> locks;

    Refusing(CacheStore<String, String> store, Locks<String> locks) {
      this.store = store;
      this.locks = locks;
    }

    private <T> T call(String key, Supplier<T> command) {
      calls.incrementAndGet();
      if (Thread.currentThread().isInterrupted()) {
        InterruptedException cause = new InterruptedException();
        throw asLoadException ? new InterruptedLoadException(key, "while waiting for Redis", cause)
            : new StoreException("Redis GET of '" + key + "' failed: Command interrupted", cause);
      }
      return command.get();
    }

    @Override
    public Entry<String> get(String key) {
      return call(key, () -> store.get(key));
    }

    @Override
    public boolean put(String key, Entry<String> entry) {
      return call(key, () -> store.put(key, entry));
    }

    @Override
    public void invalidate(String key) {
      call(key, () -> {
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
      return call(key, () -> locks.tryAcquire(key, owner, leaseMillis));
    }

    @Override
    public boolean renew(String key, String owner, long leaseMillis) {
      return call(key, () -> locks.renew(key, owner, leaseMillis));
    }

    @Override
    public boolean release(String key, String owner) {
      return call(key, () -> locks.release(key, owner));
    }

    @Override
    public Watch watch(String key) {
      return call(key, () -> locks.watch(key));
    }

    @Override
    public void signal(String key) {
      call(key, () -> {
        locks.signal(key);
        return null;
      });
    }
  }

  private StoreGuard<String, String> guard() {
    return StoreGuard.builder(refusing, refusing).metrics(counters).ticker(ticker).build();
  }

  private void fresh(String key) {
    long now = ticker.read();
    f.store.put(key, new Entry<>(key + "@cached", now, now + Duration.ofHours(1).toNanos(), 0, 0));
  }

  /** The caller's own thread is interrupted while it calls {@code command}: it must get its interrupt back. */
  private static InterruptedLoadException interrupted(Runnable command) {
    Thread.currentThread().interrupt();
    InterruptedLoadException e = assertThrows(InterruptedLoadException.class, command::run);
    assertTrue(Thread.interrupted(), "the caller keeps its interrupt status");
    return e;
  }

  /**
   * Before: an interrupted get was read as a miss and opened the guard with the store up; a healthy caller's
   * invalidate then threw.
   */
  @Test
  void anInterruptedCommandLeavesItClosedAndHealthyCallersUseTheStore() {
    StoreGuard<String, String> guard = guard();
    for (boolean asLoadException : new boolean[] {false, true}) {
      refusing.asLoadException = asLoadException;
      interrupted(() -> guard.get("k"));
      interrupted(() -> guard.get("k", ticker.read()));
      interrupted(() -> guard.put("k", new Entry<>("v", ticker.read(), ticker.read() + 1, 0, 0)));
      interrupted(() -> guard.tryAcquire("k", "me", 1000));
      interrupted(() -> guard.watch("k"));
      interrupted(() -> guard.signal("k"));
      assertFalse(guard.isOpen(), "an interrupt is not an outage");
    }
    assertEquals(0, counters.get(Event.STORE_ERROR));
    guard.invalidate("k");
  }

  /** Before: 100 healthy callers on 100 keys fresh in the store made 100 loads after one cancelled request. */
  @Test
  void throughTheLayeredStackOneCancelledRequestCostsNoLoad() {
    AtomicInteger loads = new AtomicInteger();
    Loader<String, String> db = key -> {
      loads.incrementAndGet();
      Thread.sleep(1);
      return key + "@loaded";
    };
    for (int i = 0; i < 100; i++) {
      fresh("k" + i);
    }
    refusing.asLoadException = false;
    CacheAside<String, String> stack = LayeredStack.builder(refusing, refusing, Duration.ofMinutes(5), Runnable::run)
        .metrics(counters).ticker(ticker).build();
    Thread.currentThread().interrupt();
    assertThrows(RuntimeException.class, () -> stack.get("k0", db), "the cancelled request");
    assertTrue(Thread.interrupted());
    int cached = 0;
    for (int i = 0; i < 100; i++) {
      cached += stack.get("k" + i, db).equals("k" + i + "@cached") ? 1 : 0;
    }
    assertEquals("100 served from the store, 0 loads", cached + " served from the store, " + loads.get() + " loads");
  }

  /** A probe that is interrupted found nothing out: the next command probes, not one after the back-off. */
  @Test
  void anInterruptedProbeIsGivenBack() throws Exception {
    StoreGuardTest.Flaky flaky = new StoreGuardTest.Flaky(f);
    Refusing store = new Refusing(flaky, flaky);
    StoreGuard<String, String> guard = StoreGuard.builder(store, store).metrics(counters).ticker(ticker).build();
    fresh("k");
    flaky.down.set(true);
    onNewThread(() -> guard.get("k"));
    assertTrue(guard.isOpen());
    flaky.down.set(false);
    ticker.advance(Duration.ofMillis(50));
    Thread probe = new Thread(() -> {
      Thread.currentThread().interrupt();
      assertThrows(InterruptedLoadException.class, () -> guard.get("k"));
    });
    probe.start();
    probe.join(10_000);
    assertTrue(guard.isOpen(), "no verdict");
    Entry<String> next = onNewThread(() -> guard.get("k"));
    assertEquals("k@cached", next == null ? null : next.value(), "the next command is the probe, found the store");
    assertFalse(guard.isOpen());
  }

  /** While open, a waiter on the guard's in-process signal is interrupted as on any wait. */
  @Test
  void theLocalWatchPropagatesAnInterrupt() {
    StoreGuardTest.Flaky flaky = new StoreGuardTest.Flaky(f);
    StoreGuard<String, String> guard = StoreGuard.builder(flaky, flaky).metrics(counters).ticker(ticker).build();
    flaky.down.set(true);
    guard.get("k");
    try (Locks.Watch watch = guard.watch("k")) {
      Thread.currentThread().interrupt();
      assertThrows(InterruptedException.class, () -> watch.await(10, TimeUnit.SECONDS));
    }
  }

  private static <T> T onNewThread(Supplier<T> command) throws Exception {
    Object[] result = new Object[1];
    Thread t = new Thread(() -> result[0] = command.get());
    t.start();
    t.join(10_000);
    @SuppressWarnings("unchecked")
    T value = (T) result[0];
    return value;
  }
}
