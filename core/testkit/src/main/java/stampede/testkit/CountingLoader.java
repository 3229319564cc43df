package stampede.testkit;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import stampede.core.Loader;
import stampede.core.Nullable;
import stampede.core.Ticker;

/**
 * A loader for tests: it counts its runs (in total and per key), tracks how many run at once (in total and per
 * key), sleeps a given time (a slow database: parked, never spinning) and may fail. Values are {@code key#n@t}: the
 * n-th load overall, started at ticker time t ({@link #loadedAt}).
 */
public final class CountingLoader implements Loader<String, String> {
  private final AtomicInteger loads = new AtomicInteger();
  private final AtomicInteger running = new AtomicInteger();
  private final AtomicInteger maxRunning = new AtomicInteger();
  private final Map<String, AtomicInteger> perKey = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> runningPerKey = new ConcurrentHashMap<>();
  private final AtomicInteger maxRunningPerKey = new AtomicInteger();
  private final Ticker ticker;
  private volatile long sleepMillis;
  private volatile @Nullable Supplier<? extends Exception> failure; // null: succeed

  /** Loads that take {@code sleepMillis} and are stamped with {@code ticker}'s time. */
  public CountingLoader(Ticker ticker, long sleepMillis) {
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
      Supplier<? extends Exception> f = failure;
      if (f != null) {
        throw f.get();
      }
      return key + "#" + n + "@" + t;
    } finally {
      rk.decrementAndGet();
      running.decrementAndGet();
    }
  }

  /** From now on every load fails with what {@code failure} supplies; null: loads succeed again. */
  public CountingLoader failWith(Supplier<? extends Exception> failure) {
    this.failure = failure;
    return this;
  }

  /** From now on every load takes {@code millis}. */
  public CountingLoader sleep(long millis) {
    this.sleepMillis = millis;
    return this;
  }

  /** Loads started so far, all keys. */
  public int loads() {
    return loads.get();
  }

  /** Loads of {@code key} started so far. */
  public int loadsOf(String key) {
    AtomicInteger c = perKey.get(key);
    return c == null ? 0 : c.get();
  }

  /** The most loads that ran at once, all keys. */
  public int maxRunning() {
    return maxRunning.get();
  }

  /** The most loads of one key that ran at once. */
  public int maxRunningPerKey() {
    return maxRunningPerKey.get();
  }

  /** Loads running now. */
  public int running() {
    return running.get();
  }

  /** The ticker time a value of this loader was loaded at. */
  public static long loadedAt(String value) {
    return Long.parseLong(value.substring(value.lastIndexOf('@') + 1));
  }
}
