package stampede.strategies;

import static stampede.strategies.Concurrently.check;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import stampede.core.CacheStore;
import stampede.core.Entry;
import stampede.core.InterruptedLoadException;
import stampede.core.StoreException;
import stampede.core.Ticker;
import stampede.testkit.LocalLocks;
import stampede.testkit.ManualTicker;

/**
 * Model checking of {@link StoreGuard}'s open, probe and close, under every schedule Lincheck explores of two callers:
 * a failure opens it; while it is open, one command per {@code openFor} probes the store; a probe that reaches the
 * store closes it; a caller's own cancellation ({@link InterruptedLoadException} from the store) never opens it.
 */
class StoreGuardLincheckTest {
  private static final Duration OPEN_FOR = Duration.ofSeconds(5);

  private final ManualTicker ticker = new ManualTicker();

  /** A store that fails while {@link #down}, counts its commands, and cancels the commands of a cancelled thread. */
  static final class Remote implements CacheStore<String, String> {
    final AtomicBoolean down = new AtomicBoolean();
    final AtomicInteger calls = new AtomicInteger();
    final AtomicInteger cancels = new AtomicInteger(); // commands that reached the store on a cancelled thread
    final ThreadLocal<Boolean> cancelled = ThreadLocal.withInitial(() -> false);
    private final MapStore<String, String> store;

    Remote(Ticker ticker) {
      store = new MapStore<>(ticker);
    }

    private void call(String key) {
      calls.incrementAndGet();
      if (cancelled.get()) {
        cancels.incrementAndGet();
        throw InterruptedLoadException.of(key, "while waiting for the store", new InterruptedException());
      }
      if (down.get()) {
        throw new StoreException("store down", null);
      }
    }

    @Override
    public Entry<String> get(String key) {
      call(key);
      return store.get(key);
    }

    @Override
    public boolean put(String key, Entry<String> entry) {
      call(key);
      return store.put(key, entry);
    }

    @Override
    public void invalidate(String key) {
      call(key);
      store.invalidate(key);
    }

    @Override
    public Ticker ticker() {
      return store.ticker();
    }
  }

  private StoreGuard<String, String> guard(Remote remote) {
    return StoreGuard.builder(remote, new LocalLocks<String>(ticker)).ticker(ticker).openFor(OPEN_FOR).build();
  }

  /** A read by a caller whose thread is cancelled in the store command; its status cleared afterwards. */
  private static void cancelledRead(Remote remote, StoreGuard<String, String> guard) {
    remote.cancelled.set(true);
    int before = remote.cancels.get();
    try {
      guard.get("k");
      check(remote.cancels.get() == before, "a store command was cancelled and the read returned anyway");
    } catch (InterruptedLoadException expected) { // its command reached the store and was cancelled there
      check(Thread.interrupted(), "the cancelled caller lost its interrupt status");
    } finally {
      remote.cancelled.set(false);
    }
  }

  /** Opens the guard (one failed command) and lets {@code openFor} pass: the next command is due to probe. */
  private StoreGuard<String, String> openAndDue(Remote remote) {
    StoreGuard<String, String> guard = guard(remote);
    remote.down.set(true);
    guard.get("k");
    check(guard.isOpen(), "a failed command did not open it");
    ticker.advance(OPEN_FOR);
    remote.calls.set(0);
    return guard;
  }

  @Test
  void oneProbePerOpenFor() {
    LincheckBudget.runConcurrentTest(() -> {
      Remote remote = new Remote(ticker);
      StoreGuard<String, String> guard = openAndDue(remote);
      Concurrently.run(() -> guard.get("k"), () -> guard.get("k"));
      check(remote.calls.get() == 1, remote.calls.get() + " commands reached a store that is down in one openFor, "
          + "expected 1 probe");
      check(guard.isOpen(), "a failed probe closed it");
    });
  }

  @Test
  void aProbeThatReachesTheStoreClosesIt() {
    LincheckBudget.runConcurrentTest(() -> {
      Remote remote = new Remote(ticker);
      StoreGuard<String, String> guard = openAndDue(remote);
      remote.down.set(false);
      Concurrently.run(() -> guard.get("k"), () -> guard.get("k"));
      check(!guard.isOpen(), "the store answered the probe and the guard is still open");
      int before = remote.calls.get();
      guard.get("k");
      check(remote.calls.get() == before + 1, "a command after the guard closed did not reach the store");
    });
  }

  @Test
  void aCancelledCommandNeverOpensIt() {
    LincheckBudget.runConcurrentTest(() -> {
      Remote remote = new Remote(ticker);
      StoreGuard<String, String> guard = guard(remote);
      Concurrently.run(() -> cancelledRead(remote, guard), () -> guard.get("k"));
      check(!guard.isOpen(), "a caller cancelled in a store command opened the guard");
    });
  }

  @Test
  void aCancelledProbeDoesNotPutOffTheNext() {
    LincheckBudget.runConcurrentTest(() -> {
      Remote remote = new Remote(ticker);
      StoreGuard<String, String> guard = openAndDue(remote);
      remote.down.set(false);
      Concurrently.run(() -> cancelledRead(remote, guard), () -> guard.get("k"));
      guard.get("k");
      check(!guard.isOpen(), "the store is up, a probe was cancelled by its caller's interrupt, and the next command "
          + "did not probe: the guard stays open another openFor");
    });
  }
}
