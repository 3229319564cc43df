package stampede.strategies;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import stampede.core.Counters;
import stampede.core.Event;
import stampede.core.Ticker;
import stampede.testkit.ManualTicker;

/**
 * {@link HotKeyProtection}'s counting and its bound on tracked keys, driven through its policy ({@code decide}) as the
 * read path calls it: what a key's rank is when the tracking is full, how much work a request over the bound does,
 * and that counting without a lock still reports a key turning hot once.
 */
class HotKeyTrackingTest {
  private static final Duration SECOND = Duration.ofSeconds(1);
  private static final int THRESHOLD = 5;
  private final ManualTicker ticker = new ManualTicker();
  private final Counters counters = new Counters();

  private HotKeyProtection<Object, String> hot(int maxTrackedKeys) {
    return HotKeyProtection.<Object, String>builder(Duration.ofSeconds(10)).metrics(counters).ticker(ticker)
        .hotAt(THRESHOLD, SECOND).maxTrackedKeys(maxTrackedKeys).build();
  }

  private void requests(HotKeyProtection<Object, String> hot, Object key, int n) {
    for (int i = 0; i < n; i++) {
      hot.decide(key, null, ticker.read());
    }
  }

  @Test
  void aKeyHotInTheLastWindowOutranksKeysReadOnceWhenTheTrackingIsFull() {
    HotKeyProtection<Object, String> hot = hot(10);
    requests(hot, "hot", THRESHOLD);
    ticker.advance(SECOND);
    for (int i = 0; i < 40; i++) {
      requests(hot, "once-" + i, 1);
      assertTrue(hot.trackedKeys() <= 10, "tracked " + hot.trackedKeys());
    }
    assertTrue(hot.isHot("hot"), "hot in the last window: still tracked and hot, over keys read once");
    assertEquals("hot", hot.hottest(50).get(hot.hottest(50).size() - 1), "ranked by this window, then the last");
  }

  @Test
  void aRequestOverTheBoundDropsAFewKeysNotAQuarterOfThem() {
    int max = 4_000;
    HotKeyProtection<Object, String> hot = hot(max);
    for (int i = 0; i < max; i++) {
      requests(hot, new CountedKey(i), 1);
    }
    assertEquals(max, hot.trackedKeys());
    CountedKey.hashes.set(0);
    requests(hot, new CountedKey(-1), 1); // the first key over the bound
    assertTrue(CountedKey.hashes.get() <= 16, "other keys hashed (looked up or removed) by one request: "
        + CountedKey.hashes.get());
    assertTrue(hot.trackedKeys() <= max, "tracked " + hot.trackedKeys());
    for (int i = 0; i < 1_000; i++) { // and the bound holds as new keys keep coming, one eviction per new key
      requests(hot, new CountedKey(max + i), 1);
      assertTrue(hot.trackedKeys() <= max, "tracked " + hot.trackedKeys());
    }
  }

  @Test
  void concurrentRequestsCountWithoutLosingTheTurnToHot() throws Exception {
    HotKeyProtection<Object, String> hot = hot(100);
    int threads = 4;
    int each = 10_000;
    CyclicBarrier start = new CyclicBarrier(threads);
    List<Thread> callers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Thread caller = new Thread(() -> {
        try {
          start.await();
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
        requests(hot, "k", each);
      });
      caller.start();
      callers.add(caller);
    }
    for (Thread caller : callers) {
      caller.join();
    }
    assertEquals(1, counters.get(Event.HOT_KEY), "turned hot once");
    assertTrue(hot.isHot("k"));
    ticker.advance(SECOND.multipliedBy(2));
    assertFalse(hot.isHot("k"));
  }

  @Test
  void aTickerThatIsNotTheStoresClockIsAClearError() {
    HotKeyProtection<Object, String> hot = HotKeyProtection.<Object, String>builder(Duration.ofSeconds(10))
        .ticker(Ticker.system()).build();
    long wallNanos = System.currentTimeMillis() * 1_000_000;
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> hot.decide("k", null, wallNanos));
    assertTrue(e.getMessage().contains("store.ticker()"), e.getMessage());
  }

  /** A key that counts how often any key but the newest is hashed, i.e. looked up or removed. */
  private record CountedKey(int id) {
    static final AtomicInteger hashes = new AtomicInteger();

    @Override
    public int hashCode() {
      if (id >= 0) {
        hashes.incrementAndGet();
      }
      return Integer.hashCode(id);
    }
  }
}
